import { beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '#shared/kernel/ids.ts';
import { compileFilter, type FilterSpec } from '#shared/platform/dynamodb/filter-eval.ts';
import { ListFilter } from '#shared/platform/dynamodb/list-filters.ts';
import type { Item, Table } from '#shared/platform/dynamodb/table.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// The in-memory FilterExpression (what deals by contact apply to the deals their association
// links stand for) agrees with DynamoDB's own on the same items, for every form ListFilter
// writes and the rest of the condition grammar; syntax it does not know throws.

let table: Table;
const pk = `filter-eval#${newId()}`;
const items: Item[] = [
  {
    id: 'a',
    owner_id: 'u1',
    hot: true,
    n: 5,
    tags: ['vip', 'fjord'],
    custom_fields: { f1: 'High', f2: ['x', 'y'] },
    d: '2031-01-01',
  },
  { id: 'b', owner_id: 'u2', hot: false, n: 50, tags: ['vip'], custom_fields: { f1: 'Low' }, d: '2031-06-01', note: 'héllo' },
  { id: 'c', owner_id: 'u3', n: -1, tags: [], custom_fields: {}, d: null },
  { id: 'd', owner_id: 'u1', hot: true, n: 5.5, custom_fields: { f2: ['y'] }, note: 'hello world', d: '2031-12-31' },
  { id: 'e', owner_id: 'u2', n: '5', tags: ['Fjord'], note: '' },
];

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  for (const item of items) await table.write([{ type: 'put', item: { pk, sk: item.id as string, ...item } }]);
});

async function dynamoIds(filter: FilterSpec): Promise<string[]> {
  const out = await table.client.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: '#pk_ = :pk_',
      FilterExpression: filter.expression,
      ExpressionAttributeNames: { '#pk_': 'pk', ...filter.names },
      ExpressionAttributeValues: { ':pk_': pk, ...filter.values },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((i) => String(i.id)).sort();
}

const memoryIds = (filter: FilterSpec) =>
  items
    .filter(compileFilter(filter))
    .map((i) => String(i.id))
    .sort();

const listFilters: [string, ListFilter][] = [
  ['eq', new ListFilter().eq('owner_id', 'u1')],
  ['eq boolean', new ListFilter().eq('hot', true)],
  ['in', new ListFilter().in('owner_id', ['u1', 'u3'])],
  ['range numbers', new ListFilter().range('n', 0, 10)],
  ['range dates', new ListFilter().range('d', '2031-02-01', undefined)],
  ['tagged', new ListFilter().tagged(['VIP', 'fjord'])],
  ['map entries', new ListFilter().mapEntries('custom_fields', [{ fieldId: 'f1', operator: 'eq', value: 'High' }])],
  ['map entry lists', new ListFilter().mapEntries('custom_fields', [{ fieldId: 'f2', operator: 'contains', value: 'y' }])],
  ['several', new ListFilter().in('owner_id', ['u1', 'u2']).eq('hot', true).range('n', 5, undefined)],
];

const raw: FilterSpec[] = [
  { expression: '(#n <= :a OR #n >= :b) AND attribute_exists(tags)', names: { '#n': 'n' }, values: { ':a': 0, ':b': 50 } },
  { expression: 'NOT hot = :t', values: { ':t': true } },
  { expression: 'attribute_not_exists(hot) OR hot <> :t', values: { ':t': true } },
  { expression: 'n BETWEEN :lo AND :hi', values: { ':lo': 5, ':hi': 6 } },
  { expression: 'begins_with(note, :h) AND size(note) > :z', values: { ':h': 'h', ':z': 5 } },
  { expression: 'contains(note, :w)', values: { ':w': 'llo' } },
  { expression: 'n = :five', values: { ':five': '5' } },
  { expression: 'note < :m', values: { ':m': 'i' } },
  { expression: 'custom_fields.f2[1] = :y', values: { ':y': 'y' } },
  { expression: 'size(tags) = :two', values: { ':two': 2 } },
  { expression: 'd = :null', values: { ':null': null } },
];

describe('compileFilter', () => {
  for (const [label, filter] of listFilters) {
    it(`agrees with DynamoDB on ListFilter's ${label}`, async () => {
      const spec = filter.build()!;
      expect(memoryIds(spec)).toEqual(await dynamoIds(spec));
    });
  }

  for (const spec of raw) {
    it(`agrees with DynamoDB on ${spec.expression}`, async () => {
      expect(memoryIds(spec)).toEqual(await dynamoIds(spec));
    });
  }

  it('throws on syntax it does not know, and on placeholders without a value', () => {
    expect(() => compileFilter({ expression: 'attribute_type(a, :s)', values: { ':s': 'S' } })).toThrow();
    expect(() => compileFilter({ expression: 'a = :missing' })).toThrow();
    expect(() => compileFilter({ expression: 'a = :v AND', values: { ':v': 1 } })).toThrow();
  });
});
