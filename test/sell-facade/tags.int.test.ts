import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#shared/kernel/ids.ts';
import { recordIdOf, sellIdsOf } from '#shared/platform/dynamodb/sell-ids.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { DynamoTagRegistry } from '#shared/sell-facade/dynamodb.ts';
import type { SellTag } from '#shared/sell-facade/ports.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// The facade's tag registry on DynamoDB Local: a tag gets a Sell id as it is created, one name
// per resource type ignoring case, renames move the name's claim, deletes free it.

let table: Table;
let tags: DynamoTagRegistry;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  tags = new DynamoTagRegistry(table);
});

const tag = (name: string, resource_type: SellTag['resource_type'] = 'lead'): SellTag => ({
  id: newId(),
  name,
  resource_type,
  creator_id: 'U1',
  created_at: '2026-12-01T00:00:00Z',
  updated_at: '2026-12-01T00:00:00Z',
});

describe('tag registry', () => {
  it('registers a tag with a Sell id, once per resource type and name ignoring case', async () => {
    const vip = tag('VIP');
    expect(await tags.create(vip)).toBe(true);
    const number = (await sellIdsOf(table, 'tag', [vip.id])).get(vip.id);
    expect(number).toEqual(expect.any(Number));
    expect(await recordIdOf(table, 'tag', number!)).toBe(vip.id);
    expect(await tags.create(tag('vip'))).toBe(false);
    expect(await tags.create(tag('vip', 'deal'))).toBe(true);
    expect((await tags.find('lead', ' Vip'.trim()))?.id).toBe(vip.id);
    expect([await tags.claimed('lead', 'vIP'), await tags.claimed('contact', 'VIP')]).toEqual([true, false]);
    expect((await tags.list()).map((t) => `${t.resource_type}:${t.name}`)).toEqual(['lead:VIP', 'deal:vip']);
  });

  it('renames (the old name is free again, the new one taken) and removes', async () => {
    const gold = tag('Gold');
    const silver = tag('Silver');
    await tags.create(gold);
    await tags.create(silver);
    expect(await tags.rename(gold, { ...gold, name: 'silver' })).toBe(false);
    expect(await tags.rename(gold, { ...gold, name: 'Platinum' })).toBe(true);
    expect((await tags.get(gold.id))?.name).toBe('Platinum');
    expect(await tags.find('lead', 'Gold')).toBeUndefined();
    expect(await tags.create(tag('Gold'))).toBe(true);
    await tags.remove(silver);
    expect(await tags.get(silver.id)).toBeUndefined();
    expect(await tags.claimed('lead', 'Silver')).toBe(false);
    expect(await tags.create(tag('SILVER'))).toBe(true);
  });
});
