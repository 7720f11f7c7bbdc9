import { beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { leadIndex } from '#shared/leads/dynamodb.ts';
import { indexKeys } from '#shared/platform/dynamodb/partitions.ts';
import { recordIdOf, sellIdsOf } from '#shared/platform/dynamodb/sell-ids.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { callSellIdBackfillStep, sellIdBackfillStep } from '#shared/sell-facade/dynamodb.ts';
import { callIndex, textMessageIndex } from '#shared/calls/dynamodb.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { namedEntryKey, pipelineIndex } from '#shared/pipelines/dynamodb.ts';
import { makeUser } from '#test/helpers/fakes.ts';
import { newId } from '#shared/kernel/ids.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// Sell ids on DynamoDB Local: a created record takes the next number of its kind in the same
// write; records written before numbers existed get theirs from the backfill, once.

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

async function backfill(): Promise<void> {
  let checkpoint: string | null = null;
  do checkpoint = await sellIdBackfillStep(table, checkpoint);
  while (checkpoint !== null);
}

describe('Sell ids', () => {
  it('numbers records at creation, in sequence, each found again by its number in one read', async () => {
    const [a, b] = [newId(), newId()];
    await table.write([{ type: 'create', item: leadItem(a) }]);
    await table.write([{ type: 'create', item: leadItem(b) }]);
    const numbers = await sellIdsOf(table, 'lead', [a, b]);
    expect(numbers.get(b)).toBe(numbers.get(a)! + 1);
    expect(await recordIdOf(table, 'lead', numbers.get(a)!)).toBe(a);
  });

  it('numbers records written before Sell ids with the backfill, once however often it runs', async () => {
    const old = newId();
    await table.client.send(new PutCommand({ TableName: table.name, Item: leadItem(old) }));
    expect((await sellIdsOf(table, 'lead', [old])).size).toBe(0);
    await backfill();
    const first = (await sellIdsOf(table, 'lead', [old])).get(old);
    expect(first).toEqual(expect.any(Number));
    expect(await recordIdOf(table, 'lead', first!)).toBe(old);
    await backfill();
    expect((await sellIdsOf(table, 'lead', [old])).get(old)).toBe(first);
    // A record created after the backfill takes a number past it.
    const fresh = newId();
    await table.write([{ type: 'create', item: leadItem(fresh) }]);
    expect((await sellIdsOf(table, 'lead', [fresh])).get(fresh)).toBeGreaterThan(first!);
  });

  it('numbers call outcomes, calls and texts written before they had Sell ids with their own backfill, once', async () => {
    const user = makeUser(newId());
    await new DynamoUserRepository(table).create(user, []);
    const [outcome, mine, nobodys, text] = [newId(), newId(), newId(), newId()];
    const put = (item: Record<string, unknown>) => table.client.send(new PutCommand({ TableName: table.name, Item: item }));
    await put({
      ...namedEntryKey('call_outcome', outcome),
      ...indexKeys(outcome, pipelineIndex.entries('call_outcome')),
      kind: 'call_outcome',
      id: outcome,
      name: `Outcome ${outcome}`,
    });
    const at = '2026-11-30T10:00:00.000Z';
    await put({
      pk: `call#${mine}`,
      sk: 'call',
      ...indexKeys(`${at}#${mine}`, callIndex.byUser(user.id), callIndex.unmatched(user.id)),
      kind: 'call',
      id: mine,
    });
    await put({
      pk: `call#${nobodys}`,
      sk: 'call',
      ...indexKeys(`${at}#${nobodys}`, callIndex.unmatched('none')),
      kind: 'call',
      id: nobodys,
    });
    await put({
      pk: `text_message#${text}`,
      sk: 'text_message',
      ...indexKeys(text, textMessageIndex.byUser(user.id), textMessageIndex.unmatched(user.id)),
      kind: 'text_message',
      id: text,
    });
    const run = async () => {
      let checkpoint: string | null = null;
      do checkpoint = await callSellIdBackfillStep(table, checkpoint);
      while (checkpoint !== null);
    };
    await run();
    const numbers = async () => [
      (await sellIdsOf(table, 'call_outcome', [outcome])).get(outcome),
      ...(await sellIdsOf(table, 'call', [mine, nobodys])).values(),
      (await sellIdsOf(table, 'text_message', [text])).get(text),
    ];
    const first = await numbers();
    expect(first).toEqual([expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)]);
    expect(await recordIdOf(table, 'call', (await sellIdsOf(table, 'call', [mine])).get(mine)!)).toBe(mine);
    await run();
    expect(await numbers()).toEqual(first);
  });
});
