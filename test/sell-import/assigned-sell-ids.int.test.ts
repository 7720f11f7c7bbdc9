import { beforeAll, describe, expect, it } from 'vitest';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { ConflictError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import { indexKeys } from '#shared/platform/dynamodb/partitions.ts';
import {
  advanceSellSequence,
  recordIdOf,
  sellIdOps,
  sellIdsOf,
  withAssignedSellIds,
} from '#shared/platform/dynamodb/sell-ids.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { DynamoSellIdMap } from '#shared/sell-import/dynamodb.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// What the importer needs of Sell ids on DynamoDB Local: a record created inside
// withAssignedSellIds takes the number given (a taken one fails its write with a conflict),
// the sequence moves past a number and never back, and an alias names an existing record.

let table: Table;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
});

const leadItem = (id: string) => ({
  pk: `lead#${id}`,
  sk: 'lead',
  ...indexKeys(id, leadIndex.all()),
  kind: 'lead',
  id,
  last_name: `Lead ${id}`,
  version: 1,
});

describe('assigned Sell ids', () => {
  it('creates a record under the number given; a taken number fails the write, writing nothing', async () => {
    const [a, b] = [newId(), newId()];
    await withAssignedSellIds(
      (type) => (type === 'lead' ? 5_500_123 : undefined),
      () => table.write([{ type: 'create', item: leadItem(a) }]),
    );
    expect(await recordIdOf(table, 'lead', 5_500_123)).toBe(a);
    expect((await sellIdsOf(table, 'lead', [a])).get(a)).toBe(5_500_123);
    const refused = await withAssignedSellIds(
      () => 5_500_123,
      () => table.write([{ type: 'create', item: leadItem(b) }]),
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect(await table.get({ pk: `lead#${b}`, sk: 'lead' })).toBeUndefined();
  });

  it('moves the sequence past imported numbers, never back; new records take the next', async () => {
    await advanceSellSequence(table, 'lead', 7_000_000);
    await advanceSellSequence(table, 'lead', 10);
    const fresh = newId();
    await table.write([{ type: 'create', item: leadItem(fresh) }]);
    expect((await sellIdsOf(table, 'lead', [fresh])).get(fresh)).toBe(7_000_001);
  });

  it('aliases a number to an existing record once; a number naming another record is refused', async () => {
    const ids = new DynamoSellIdMap(table);
    const [a, b] = [newId(), newId()];
    expect(await ids.alias('user', 9_100_001, a)).toBe(true);
    expect(await ids.alias('user', 9_100_001, a)).toBe(true);
    expect(await ids.alias('user', 9_100_001, b)).toBe(false);
    expect(await ids.idOf('user', 9_100_001)).toBe(a);
  });

  it('shows a matched user under their Sell id from then on; their number from before still finds them', async () => {
    const ids = new DynamoSellIdMap(table);
    const user = newId();
    await table.write(sellIdOps('user', 41, user)); // numbered here when invited
    expect(await ids.alias('user', 9_100_002, user, { shown: true })).toBe(true);
    expect((await sellIdsOf(table, 'user', [user])).get(user)).toBe(9_100_002);
    expect(await ids.idOf('user', 9_100_002)).toBe(user);
    expect(await ids.idOf('user', 41)).toBe(user);
    // A number another user holds is refused, and changes nothing shown.
    const other = newId();
    expect(await ids.alias('user', 9_100_002, other, { shown: true })).toBe(false);
    expect((await sellIdsOf(table, 'user', [other])).get(other)).toBeUndefined();
  });
});
