import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCustomFieldRepository, customFieldCountOps, customFieldFilterExpression } from '#shared/custom-fields/dynamodb.ts';
import type { Table, WriteOp } from '#shared/platform/dynamodb/table.ts';
import {
  CustomFieldCatalog,
  createCustomField,
  deleteCustomField,
  updateCustomField,
  type CustomFieldsDeps,
} from '#shared/custom-fields/use-cases.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import {
  parseCustomFieldFilters,
  validateCustomFieldInput,
  valueCountChanges,
  type CustomFieldDefinition,
  type StoredCustomFields,
} from '#shared/custom-fields/domain.ts';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';
import { rejection } from '#test/helpers/fakes.ts';

// The custom field adapter against DynamoDB Local: unique names under concurrency, value counts
// moved inside a record's transaction, and the guards that keep values and definitions honest.

let table: Table;
let repo: DynamoCustomFieldRepository;
let deps: CustomFieldsDeps;
const meter = new CountingMeter();
const admin: Principal = { user_id: 'system', email: '', role: 'admin', direct_reports: [] };
const call = () => callContext(admin, 'test', systemClock, () => newId());
let n = 0;
const unique = (prefix: string) => `${prefix} ${Date.now().toString(36)}${n++}`;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  repo = new DynamoCustomFieldRepository(table);
  deps = { customFields: repo, catalog: new CustomFieldCatalog(repo) };
});

/**
 * A stand-in for a record repository's write (deals, later leads and contacts): the record
 * and the value count moves in one transaction, as the real ones do.
 */
async function writeRecord(
  id: string,
  before: StoredCustomFields,
  after: StoredCustomFields,
  definitions?: CustomFieldDefinition[],
): Promise<void> {
  const ops: WriteOp[] = [
    {
      type: 'update',
      key: { pk: `test_record#${id}`, sk: 'test_record' },
      update: 'SET custom_fields = :cf, gsi2pk = :collection, gsi2sk = :id',
      values: { ':cf': after, ':collection': `test_record#${collection}`, ':id': id },
    },
    ...customFieldCountOps(valueCountChanges(before, after), definitions ? { definitions } : {}),
  ];
  await table.write(ops);
}
const collection = newId();

describe('definitions on the table', () => {
  it('creates, reads and lists definitions of one resource type, keys stripped', async () => {
    const name = unique('Budget');
    const created = await createCustomField(deps, call(), 'contact', { name, type: 'number' });
    expect(await repo.get(created.id)).toEqual(created);
    const all = await repo.listAll('contact');
    expect(all.find((d) => d.id === created.id)).toEqual(created);
    expect(Object.keys(created)).not.toContain('pk');
    expect((await repo.listAll('lead')).find((d) => d.id === created.id)).toBeUndefined();
  });

  it("moves the resource type's catalog version in every definition write's transaction, and reads it in one GetItem", async () => {
    const before = await repo.catalogVersions();
    const created = await createCustomField(deps, call(), 'contact', { name: unique('Versioned'), type: 'string' });
    await updateCustomField(deps, call(), 'contact', created.id, { name: unique('Renamed') });
    await deleteCustomField(deps, call(), 'contact', created.id);
    meter.reset();
    expect(await repo.catalogVersions()).toEqual({ ...before, contact: before.contact + 3 });
    expect(meter.calls.map((c) => c.operation)).toEqual(['GetItem']);
    // A refused write moves nothing.
    const taken = await createCustomField(deps, call(), 'lead', { name: unique('Taken'), type: 'string' });
    const after = await repo.catalogVersions();
    expect(await rejection(createCustomField(deps, call(), 'lead', { name: taken.name, type: 'string' }))).toBeInstanceOf(
      ConflictError,
    );
    expect(await repo.catalogVersions()).toEqual(after);
  });

  it('pages through the definitions in creation order', async () => {
    const names = [unique('P1'), unique('P2'), unique('P3')];
    for (const name of names) await createCustomField(deps, call(), 'lead', { name, type: 'string' });
    const first = await repo.list('lead', { limit: 2 });
    const second = await repo.list('lead', { limit: 100, cursor: first.next_cursor! });
    const listed = [...first.items, ...second.items].map((d) => d.name);
    expect(listed.filter((x) => names.includes(x))).toEqual(names);
  });

  it('gives a name to exactly one field when ten creations race, whatever the case', async () => {
    const name = unique('Race');
    const spellings = Array.from({ length: 10 }, (_, i) => (i % 2 ? name.toUpperCase() : name.toLowerCase()));
    const results = await Promise.allSettled(
      spellings.map((spelling) => createCustomField(deps, call(), 'deal', { name: spelling, type: 'string' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ConflictError),
    ).toBe(true);
    const holders = (await repo.listAll('deal')).filter((d) => d.name.toLowerCase() === name.toLowerCase());
    expect(holders).toHaveLength(1);
  });

  it('lets one of two concurrent renames onto the same name land', async () => {
    const a = await createCustomField(deps, call(), 'deal', { name: unique('A'), type: 'string' });
    const b = await createCustomField(deps, call(), 'deal', { name: unique('B'), type: 'string' });
    const target = unique('Target');
    const results = await Promise.allSettled([
      updateCustomField(deps, call(), 'deal', a.id, { name: target }),
      updateCustomField(deps, call(), 'deal', b.id, { name: target.toUpperCase() }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
  });

  it('moves the name on a rename: the old name is free, the new one taken', async () => {
    const old = unique('Old');
    const field = await createCustomField(deps, call(), 'deal', { name: old, type: 'string' });
    const renamed = unique('New');
    await updateCustomField(deps, call(), 'deal', field.id, { name: renamed });
    await createCustomField(deps, call(), 'deal', { name: old, type: 'string' });
    expect(
      await rejection(createCustomField(deps, call(), 'deal', { name: renamed.toLowerCase(), type: 'string' })),
    ).toBeInstanceOf(ConflictError);
  });

  it('answers a stale version with the current definition', async () => {
    const field = await createCustomField(deps, call(), 'deal', { name: unique('V'), type: 'string' });
    const v2 = await updateCustomField(deps, call(), 'deal', field.id, { filterable: false });
    const error = await rejection(
      repo.update({ before: field, after: { ...field, name: unique('W'), version: 2 }, requireNoValues: false }, []),
    );
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toEqual(v2);
  });
});

describe('value counts moved by record writes', () => {
  it('counts values in the record transaction; a type change is refused while any is held, allowed once cleared', async () => {
    const field = await createCustomField(deps, call(), 'deal', { name: unique('Size'), type: 'number' });
    const record = newId();
    await writeRecord(record, {}, { [field.id]: 3 }, [field]);
    expect((await repo.get(field.id))!.value_count).toBe(1);

    const error = await rejection(updateCustomField(deps, call(), 'deal', field.id, { type: 'string' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/holds values in 1 record/);

    await writeRecord(record, { [field.id]: 3 }, {}, [field]);
    expect((await repo.get(field.id))!.value_count).toBe(0);
    expect((await updateCustomField(deps, call(), 'deal', field.id, { type: 'string' })).type).toBe('string');
  });

  it('refuses the type change at write time when a record took a value after the read', async () => {
    const field = await createCustomField(deps, call(), 'deal', { name: unique('Late'), type: 'list', choices: ['A', 'B'] });
    await writeRecord(newId(), {}, { [field.id]: 'A' }, [field]);
    // `field` is the read from before the record write: value_count 0.
    const after = { ...field, type: 'string' as const, choices: null, version: 2 };
    const error = await rejection(repo.update({ before: field, after, requireNoValues: true }, []));
    expect(error).toBeInstanceOf(ConflictError);
    expect((await repo.get(field.id))!.type).toBe('list');
  });

  it('never overwrites the count when a definition changes', async () => {
    const field = await createCustomField(deps, call(), 'deal', { name: unique('Kept'), type: 'string' });
    await writeRecord(newId(), {}, { [field.id]: 'x' });
    await writeRecord(newId(), {}, { [field.id]: 'y' });
    // A rename from a read taken before the counts moved.
    await repo.update({ before: field, after: { ...field, name: unique('Renamed'), version: 2 }, requireNoValues: false }, []);
    expect((await repo.get(field.id))!.value_count).toBe(2);
  });

  it('refuses a new value for a deleted field, naming it, and writes nothing', async () => {
    const field = await createCustomField(deps, call(), 'deal', { name: unique('Gone'), type: 'string' });
    await deleteCustomField(deps, call(), 'deal', field.id);
    const record = newId();
    const named = await rejection(writeRecord(record, {}, { [field.id]: 'x' }, [field]));
    expect(named).toBeInstanceOf(ValidationError);
    expect((named as ValidationError).problems).toEqual([
      {
        field: `body.custom_fields.${field.name}`,
        message: 'this custom field was deleted; reload the custom fields and try again',
      },
    ]);
    const byId = await rejection(writeRecord(record, {}, { [field.id]: 'x' }));
    expect((byId as ValidationError).problems[0]!.field).toBe(`body.custom_fields.${field.id}`);
    expect(await table.get({ pk: `test_record#${record}`, sk: 'test_record' })).toBeUndefined();
  });

  it('lets a record drop the value of a deleted field (the tombstone takes the count)', async () => {
    const field = await createCustomField(deps, call(), 'deal', { name: unique('Orphan'), type: 'string' });
    const record = newId();
    await writeRecord(record, {}, { [field.id]: 'x' });
    await deleteCustomField(deps, call(), 'deal', field.id);
    await writeRecord(record, { [field.id]: 'x' }, {});
    expect(await table.get({ pk: `test_record#${record}`, sk: 'test_record' })).toMatchObject({ custom_fields: {} });
    expect(await repo.get(field.id)).toBeUndefined();
  });

  it('refuses a value validated against a stale type (a container whose catalog has not caught up)', async () => {
    const field = await createCustomField(deps, call(), 'deal', { name: unique('Drift'), type: 'number' });
    const stale = [field];
    await updateCustomField(deps, call(), 'deal', field.id, { type: 'string' });
    const error = await rejection(writeRecord(newId(), {}, { [field.id]: 5 }, stale));
    expect((error as ValidationError).problems).toEqual([
      { field: `body.custom_fields.${field.name}`, message: expect.stringMatching(/now of type string/) },
    ]);
    expect((await repo.get(field.id))!.value_count).toBe(0);
  });
});

describe('deleting a definition', () => {
  it('removes it from reads and lists, frees its name, and honours If-Match', async () => {
    const name = unique('Del');
    const field = await createCustomField(deps, call(), 'contact', { name, type: 'string' });
    expect(await rejection(deleteCustomField(deps, call(), 'contact', field.id, 7))).toBeInstanceOf(VersionMismatchError);
    await deleteCustomField(deps, call(), 'contact', field.id, 1);
    expect(await repo.get(field.id)).toBeUndefined();
    expect((await repo.listAll('contact')).find((d) => d.id === field.id)).toBeUndefined();
    await createCustomField(deps, call(), 'contact', { name, type: 'number' });
    expect(await rejection(repo.delete(field, undefined, []))).toBeInstanceOf(NotFoundError);
  });
});

describe('filters on custom field values', () => {
  it('finds records by value with the FilterExpression built from parseCustomFieldFilters', async () => {
    const size = await createCustomField(deps, call(), 'deal', { name: unique('Sz'), type: 'number' });
    const vip = await createCustomField(deps, call(), 'deal', { name: unique('Vip'), type: 'bool' });
    const tags = await createCustomField(deps, call(), 'deal', {
      name: unique('Tags'),
      type: 'multi_select_list',
      choices: ['Red', 'Green', 'Blue'],
    });
    const definitions = [size, vip, tags];
    const records: Record<string, Record<string, unknown>> = {
      one: { [size.name]: '1.50', [vip.name]: true, [tags.name]: ['Red', 'Blue'] },
      two: { [size.name]: 1.5, [vip.name]: false, [tags.name]: ['Green'] },
      three: { [size.name]: 2, [vip.name]: true },
    };
    const ids: Record<string, string> = {};
    for (const [label, input] of Object.entries(records)) {
      ids[label] = newId();
      const { stored, problems } = validateCustomFieldInput(definitions, input, {});
      expect(problems).toEqual([]);
      await writeRecord(ids[label]!, {}, stored, definitions);
    }
    const find = async (query: Record<string, string>) => {
      const filter = customFieldFilterExpression(parseCustomFieldFilters(definitions, query))!;
      const page = await table.page({ partitions: [{ index: 'gsi2', pk: `test_record#${collection}` }], limit: 100, filter });
      const labels = Object.fromEntries(Object.entries(ids).map(([label, id]) => [id, label]));
      return page.items
        .map((i) => labels[String(i.gsi2sk)])
        .filter(Boolean)
        .sort();
    };
    expect(await find({ [`custom_fields[${size.name}]`]: '1.5' })).toEqual(['one', 'two']);
    expect(await find({ [`custom_fields[${vip.name}]`]: 'true' })).toEqual(['one', 'three']);
    expect(await find({ [`custom_fields[${tags.name}]`]: 'blue' })).toEqual(['one']);
    expect(await find({ [`custom_fields[${size.name}]`]: '1.5', [`custom_fields[${vip.name}]`]: 'false' })).toEqual(['two']);
    expect(customFieldFilterExpression([])).toBeUndefined();
    expect((await repo.get(tags.id))!.value_count).toBe(2);
  });
});

describe('the catalog on the table', () => {
  it('costs one query cold and none warm', async () => {
    const catalog = new CustomFieldCatalog(repo);
    meter.reset();
    await catalog.definitions('deal');
    expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    meter.reset();
    for (let i = 0; i < 5; i++) await catalog.definitions('deal');
    expect(meter.total).toBe(0);
  });
});
