import { describe, expect, it } from 'vitest';
import {
  CUSTOM_FIELD_CACHE_TTL_MS,
  CustomFieldCatalog,
  createCustomField,
  deleteCustomField,
  getCustomField,
  listCustomFields,
  updateCustomField,
  type CustomFieldsDeps,
} from '#shared/custom-fields/use-cases.ts';
import type { CustomFieldReader } from '#shared/custom-fields/ports.ts';
import { presentCustomFields, type CustomFieldDefinition } from '#shared/custom-fields/domain.ts';
import { ConflictError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import {
  FixedClock,
  TEST_CORRELATION_ID,
  TEST_NOW,
  fakeCall,
  makeUser,
  principalOf,
  testId,
  rejection,
} from '#test/helpers/fakes.ts';
import { InMemoryCustomFieldRepository, RecordingInvalidator, makeCustomField } from './fakes.ts';

const ADMIN = testId(1);
const BUDGET = testId(10);
const TIER = testId(11);
const LEAD_SOURCE = testId(12);
const FIRST_NEW_ID = '01JG0000000000000000000001';
const LATER = '2031-03-05T10:00:00.000Z';

function setup(...seeded: CustomFieldDefinition[]) {
  const repo = new InMemoryCustomFieldRepository().seed(...seeded);
  const catalog = new RecordingInvalidator();
  const deps: CustomFieldsDeps = { customFields: repo, catalog };
  return { repo, catalog, deps, call: fakeCall(principalOf(makeUser(ADMIN, { role: 'admin' }))) };
}

const budget = (overrides: Partial<CustomFieldDefinition> = {}) =>
  makeCustomField(BUDGET, { name: 'Budget', type: 'number', ...overrides });
const tier = (overrides: Partial<CustomFieldDefinition> = {}) =>
  makeCustomField(TIER, { name: 'Tier', type: 'list', choices: ['Gold', 'Silver'], ...overrides });

describe('createCustomField', () => {
  it('creates the definition (value_count 0, version 1) with a custom_field.created event, and invalidates the catalog', async () => {
    const { repo, catalog, deps, call } = setup();
    const created = await createCustomField(deps, call, 'deal', { name: 'Region', type: 'list', choices: ['North', 'South'] });
    const expected: CustomFieldDefinition = {
      id: FIRST_NEW_ID,
      resource_type: 'deal',
      name: 'Region',
      type: 'list',
      choices: ['North', 'South'],
      filterable: true,
      value_count: 0,
      created_at: TEST_NOW,
      updated_at: TEST_NOW,
      version: 1,
    };
    expect(created).toEqual(expected);
    expect(await repo.get(FIRST_NEW_ID)).toEqual(expected);
    expect(repo.events).toEqual([
      {
        metadata: {
          event_id: '01JG0000000000000000000002',
          event_type: 'custom_field.created',
          event_version: 1,
          occurred_at: TEST_NOW,
          actor_id: ADMIN,
          correlation_id: TEST_CORRELATION_ID,
          resource_type: 'custom_field',
          resource_id: FIRST_NEW_ID,
        },
        data: expected,
      },
    ]);
    expect(catalog.invalidated).toEqual(['deal']);
  });

  it('makes fields filterable by default, addresses never, and keeps an explicit choice', async () => {
    const { deps, call } = setup();
    expect((await createCustomField(deps, call, 'lead', { name: 'A', type: 'string' })).filterable).toBe(true);
    expect((await createCustomField(deps, call, 'lead', { name: 'B', type: 'address' })).filterable).toBe(false);
    expect((await createCustomField(deps, call, 'lead', { name: 'C', type: 'string', filterable: false })).filterable).toBe(
      false,
    );
    expect((await createCustomField(deps, call, 'lead', { name: 'D', type: 'text' })).choices).toBeNull();
  });

  it.each([
    ['a list without choices', 'body.choices', { name: 'X', type: 'list' as const }],
    ['choices on a string', 'body.choices', { name: 'X', type: 'string' as const, choices: ['a'] }],
    ['a filterable address', 'body.filterable', { name: 'X', type: 'address' as const, filterable: true }],
  ])('refuses %s, naming %s, and writes nothing', async (_label, path, input) => {
    const { repo, catalog, deps, call } = setup();
    const error = await rejection(createCustomField(deps, call, 'deal', input));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field)).toEqual([path]);
    expect(repo.fields.size).toBe(0);
    expect(catalog.invalidated).toEqual([]);
  });

  it('refuses a name the resource type already has, ignoring case; another resource type may use it', async () => {
    const { repo, deps, call } = setup(budget());
    const error = await rejection(createCustomField(deps, call, 'deal', { name: 'BUDGET', type: 'string' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/named "BUDGET" already exists/);
    expect(repo.events).toEqual([]);
    expect((await createCustomField(deps, call, 'lead', { name: 'Budget', type: 'number' })).resource_type).toBe('lead');
  });
});

describe('getCustomField and listCustomFields', () => {
  it('finds a field only under its own resource type', async () => {
    const { deps } = setup(budget());
    expect((await getCustomField(deps, 'deal', BUDGET)).name).toBe('Budget');
    expect(await rejection(getCustomField(deps, 'lead', BUDGET))).toBeInstanceOf(NotFoundError);
    expect(await rejection(getCustomField(deps, 'deal', testId(404)))).toBeInstanceOf(NotFoundError);
  });

  it('lists the fields of one resource type, oldest first, page by page', async () => {
    const { deps } = setup(tier(), budget(), makeCustomField(LEAD_SOURCE, { resource_type: 'lead', name: 'Source' }));
    const first = await listCustomFields(deps, 'deal', { limit: 1 });
    expect(first.items.map((d) => d.id)).toEqual([BUDGET]);
    const second = await listCustomFields(deps, 'deal', { limit: 1, cursor: first.next_cursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ id: TIER })], next_cursor: null });
  });
});

describe('updateCustomField', () => {
  it('renames a field: same id and value count, version + 1, the old name free again, an event with previous', async () => {
    const { repo, catalog, deps } = setup(budget({ value_count: 3 }));
    const call = fakeCall(principalOf(makeUser(ADMIN, { role: 'admin' })), LATER);
    const saved = await updateCustomField(deps, call, 'deal', BUDGET, { name: 'Budget (EUR)' }, 1);
    expect(saved).toEqual(budget({ name: 'Budget (EUR)', value_count: 3, updated_at: LATER, version: 2 }));
    expect(await repo.get(BUDGET)).toEqual(saved);
    expect(repo.events).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ event_type: 'custom_field.updated', resource_id: BUDGET }),
        data: saved,
        previous: { name: 'Budget' },
      }),
    ]);
    expect(catalog.invalidated).toEqual(['deal']);
    // Values are kept by id: the record's stored value now shows under the new name.
    expect(presentCustomFields([saved], { [BUDGET]: 100 })).toEqual({ 'Budget (EUR)': 100 });
    await createCustomField(deps, call, 'deal', { name: 'budget', type: 'string' });
  });

  it('refuses a rename onto another field of the resource type, ignoring case', async () => {
    const { repo, deps, call } = setup(budget(), tier());
    expect(await rejection(updateCustomField(deps, call, 'deal', BUDGET, { name: 'TIER' }))).toBeInstanceOf(ConflictError);
    expect((await repo.get(BUDGET))!.name).toBe('Budget');
  });

  it('lets a field change the case of its own name', async () => {
    const { deps, call } = setup(budget());
    expect((await updateCustomField(deps, call, 'deal', BUDGET, { name: 'BUDGET' })).name).toBe('BUDGET');
  });

  it('answers a stale If-Match with the current definition', async () => {
    const { repo, deps, call } = setup(budget({ version: 4 }));
    const error = await rejection(updateCustomField(deps, call, 'deal', BUDGET, { name: 'Spend' }, 3));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toMatchObject({ version: 4, name: 'Budget' });
    expect(repo.events).toEqual([]);
  });

  it('refuses a type change while records hold values, and allows it when none do', async () => {
    const { repo, deps, call } = setup(budget({ value_count: 2 }));
    const error = await rejection(updateCustomField(deps, call, 'deal', BUDGET, { type: 'string' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/holds values in 2 record\(s\).*from number to string/);
    repo.addValueCounts({ [BUDGET]: -2 });
    expect((await updateCustomField(deps, call, 'deal', BUDGET, { type: 'string' })).type).toBe('string');
  });

  it('drops the choices of a field that stops being a list, and needs them for one that becomes a list', async () => {
    const { deps, call } = setup(tier(), budget());
    expect(await updateCustomField(deps, call, 'deal', TIER, { type: 'string' })).toMatchObject({
      type: 'string',
      choices: null,
    });
    const error = await rejection(updateCustomField(deps, call, 'deal', BUDGET, { type: 'multi_select_list' }));
    expect((error as ValidationError).problems).toEqual([
      { field: 'body.choices', message: expect.stringMatching(/needs its choices/) },
    ]);
    expect(await updateCustomField(deps, call, 'deal', BUDGET, { type: 'multi_select_list', choices: ['A', 'B'] })).toMatchObject(
      { type: 'multi_select_list', choices: ['A', 'B'] },
    );
  });

  it('refuses to drop the choices of a list field, and to make an address filterable', async () => {
    const { deps, call } = setup(tier(), makeCustomField(LEAD_SOURCE, { name: 'Office', type: 'address', filterable: false }));
    expect(
      ((await rejection(updateCustomField(deps, call, 'deal', TIER, { choices: null }))) as ValidationError).problems[0]!.field,
    ).toBe('body.choices');
    expect(
      ((await rejection(updateCustomField(deps, call, 'deal', LEAD_SOURCE, { filterable: true }))) as ValidationError)
        .problems[0]!.field,
    ).toBe('body.filterable');
  });

  it('makes a field that becomes an address unfilterable', async () => {
    const { deps, call } = setup(budget());
    expect(await updateCustomField(deps, call, 'deal', BUDGET, { type: 'address' })).toMatchObject({ filterable: false });
  });

  it('adds and reorders choices of a field in use, but refuses to remove one', async () => {
    const { deps, call } = setup(tier({ value_count: 5 }));
    const added = await updateCustomField(deps, call, 'deal', TIER, { choices: ['Silver', 'Gold', 'Bronze'] });
    expect(added.choices).toEqual(['Silver', 'Gold', 'Bronze']);
    const error = await rejection(updateCustomField(deps, call, 'deal', TIER, { choices: ['Gold', 'Bronze'] }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/choices cannot be removed \("Silver"\)/);
    // Respelling a choice is a removal too: stored values hold the old spelling.
    expect(
      await rejection(updateCustomField(deps, call, 'deal', TIER, { choices: ['GOLD', 'Silver', 'Bronze'] })),
    ).toBeInstanceOf(ConflictError);
  });

  it('removes choices of a field no record uses', async () => {
    const { deps, call } = setup(tier());
    expect((await updateCustomField(deps, call, 'deal', TIER, { choices: ['Gold'] })).choices).toEqual(['Gold']);
  });

  it('refuses at write time when a record took a value between the read and the write', async () => {
    // A record write lands between the use case's read (value_count 0) and its write.
    class RacedRepository extends InMemoryCustomFieldRepository {
      override async get(id: string) {
        const read = await super.get(id);
        this.addValueCounts({ [id]: 1 });
        return read;
      }
    }
    const repo = new RacedRepository().seed(tier());
    const deps: CustomFieldsDeps = { customFields: repo, catalog: new RecordingInvalidator() };
    const error = await rejection(updateCustomField(deps, setup().call, 'deal', TIER, { type: 'string' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((await repo.get(TIER))!.type).toBe('list');
    expect(repo.events).toEqual([]);
  });

  it('writes nothing when nothing changes', async () => {
    const { repo, catalog, deps, call } = setup(budget());
    expect(await updateCustomField(deps, call, 'deal', BUDGET, { name: 'Budget', filterable: true })).toEqual(budget());
    expect(repo.events).toEqual([]);
    expect(catalog.invalidated).toEqual([]);
  });

  it('does not find a field under another resource type', async () => {
    const { deps, call } = setup(budget());
    expect(await rejection(updateCustomField(deps, call, 'contact', BUDGET, { name: 'X' }))).toBeInstanceOf(NotFoundError);
  });
});

describe('deleteCustomField', () => {
  it('deletes the definition with a custom_field.deleted event; the name is free again and values no longer show', async () => {
    const { repo, catalog, deps, call } = setup(budget({ value_count: 2 }), tier());
    await deleteCustomField(deps, call, 'deal', BUDGET);
    expect(await repo.get(BUDGET)).toBeUndefined();
    expect(
      repo.events.map((e) => [e.metadata.event_type, e.metadata.resource_id, (e.data as CustomFieldDefinition).name]),
    ).toEqual([['custom_field.deleted', BUDGET, 'Budget']]);
    expect(catalog.invalidated).toEqual(['deal']);
    expect(await rejection(getCustomField(deps, 'deal', BUDGET))).toBeInstanceOf(NotFoundError);
    const remaining = await repo.listAll('deal');
    expect(presentCustomFields(remaining, { [BUDGET]: 100, [TIER]: 'Gold' })).toEqual({ Tier: 'Gold' });
    await createCustomField(deps, call, 'deal', { name: 'Budget', type: 'number' });
  });

  it('honours If-Match, and a second delete finds nothing', async () => {
    const { deps, call } = setup(budget({ version: 2 }));
    expect(await rejection(deleteCustomField(deps, call, 'deal', BUDGET, 1))).toBeInstanceOf(VersionMismatchError);
    await deleteCustomField(deps, call, 'deal', BUDGET, 2);
    expect(await rejection(deleteCustomField(deps, call, 'deal', BUDGET))).toBeInstanceOf(NotFoundError);
  });
});

describe('CustomFieldCatalog', () => {
  function catalogSetup(...seeded: CustomFieldDefinition[]) {
    const repo = new InMemoryCustomFieldRepository().seed(...seeded);
    const clock = new FixedClock();
    const catalog = new CustomFieldCatalog(repo, { clock });
    return { repo, clock, catalog };
  }

  it('loads each resource type once and answers from memory within the TTL', async () => {
    const { repo, clock, catalog } = catalogSetup(
      budget(),
      makeCustomField(LEAD_SOURCE, { resource_type: 'lead', name: 'Source' }),
    );
    expect((await catalog.definitions('deal')).map((d) => d.name)).toEqual(['Budget']);
    clock.advance(CUSTOM_FIELD_CACHE_TTL_MS - 1);
    await catalog.definitions('deal');
    expect((await catalog.definitions('lead')).map((d) => d.name)).toEqual(['Source']);
    expect(repo.listAllCalls).toEqual(['deal', 'lead']);
  });

  it('loads again once the TTL has passed, and so sees changes made elsewhere', async () => {
    const { repo, clock, catalog } = catalogSetup(budget());
    await catalog.definitions('deal');
    repo.seed(tier());
    expect((await catalog.definitions('deal')).map((d) => d.name)).toEqual(['Budget']);
    clock.advance(CUSTOM_FIELD_CACHE_TTL_MS);
    expect((await catalog.definitions('deal')).map((d) => d.name)).toEqual(['Budget', 'Tier']);
    expect(repo.listAllCalls).toEqual(['deal', 'deal']);
  });

  it('reads again, once, for a call naming a field its copy does not know (created through another function)', async () => {
    const { repo, catalog } = catalogSetup(budget());
    await catalog.definitions('deal');
    repo.seed(tier());
    // Known names (any case) cost nothing; an unknown one reloads and finds the new field.
    expect((await catalog.definitions('deal', ['budget'])).map((d) => d.name)).toEqual(['Budget']);
    expect((await catalog.definitions('deal', ['Tier'])).map((d) => d.name)).toEqual(['Budget', 'Tier']);
    expect(repo.listAllCalls).toEqual(['deal', 'deal']);
    // A name that exists nowhere reloads once per call, never more: bounded, and then refused by validation.
    await catalog.definitions('deal', ['Nope', 'Neither']);
    expect(repo.listAllCalls).toEqual(['deal', 'deal', 'deal']);
  });

  it('is invalidated by the use cases of its container: create, update and delete show at once', async () => {
    const { repo, catalog } = catalogSetup(budget());
    const deps: CustomFieldsDeps = { customFields: repo, catalog };
    const call = fakeCall(principalOf(makeUser(ADMIN, { role: 'admin' })));
    await catalog.definitions('deal');
    const lead = await catalog.definitions('lead');
    const names = async () => (await catalog.definitions('deal')).map((d) => d.name).sort();
    const created = await createCustomField(deps, call, 'deal', { name: 'Tier', type: 'list', choices: ['Gold'] });
    expect(await names()).toEqual(['Budget', 'Tier']);
    await updateCustomField(deps, call, 'deal', created.id, { name: 'Level' });
    expect(await names()).toEqual(['Budget', 'Level']);
    await deleteCustomField(deps, call, 'deal', BUDGET);
    expect(await names()).toEqual(['Level']);
    // Only the resource type that changed is loaded again.
    expect(await catalog.definitions('lead')).toEqual(lead);
    expect(repo.listAllCalls).toEqual(['deal', 'lead', 'deal', 'deal', 'deal']);
  });

  it('refresh: drops a copy another container made stale, at once, and trusts a current one past the TTL', async () => {
    const { repo, clock, catalog } = catalogSetup(
      budget(),
      makeCustomField(LEAD_SOURCE, { resource_type: 'lead', name: 'Source' }),
    );
    // A container that never read definitions checks nothing.
    await catalog.refresh();
    expect(repo.versionReads).toBe(0);
    await catalog.definitions('deal');
    // A copy loaded before any refresh has no known version: the first refresh drops it.
    await catalog.refresh();
    await catalog.definitions('deal');
    await catalog.definitions('lead');
    expect(repo.listAllCalls).toEqual(['deal', 'deal', 'lead']);
    // Current copies stay, however old: a refresh found them current.
    clock.advance(CUSTOM_FIELD_CACHE_TTL_MS * 3);
    await catalog.refresh();
    expect((await catalog.definitions('deal')).map((d) => d.name)).toEqual(['Budget']);
    expect(repo.listAllCalls).toEqual(['deal', 'deal', 'lead']);
    // Renamed through another function (another container): the next request sees it, and
    // only the resource type that changed is loaded again.
    repo.seed(budget({ name: 'Spend', version: 2 }));
    await catalog.refresh();
    expect((await catalog.definitions('deal')).map((d) => d.name)).toEqual(['Spend']);
    await catalog.definitions('lead');
    expect(repo.listAllCalls).toEqual(['deal', 'deal', 'lead', 'deal']);
    expect(repo.versionReads).toBe(3);
  });

  it('refresh: a failed read of the versions drops every copy, and the request goes on', async () => {
    const { repo, catalog } = catalogSetup(budget());
    await catalog.definitions('deal');
    const failing = Object.assign(repo, {
      catalogVersions: async () => {
        throw new Error('throttled');
      },
    });
    await expect(catalog.refresh()).resolves.toBeUndefined();
    expect((await catalog.definitions('deal')).map((d) => d.name)).toEqual(['Budget']);
    expect(failing.listAllCalls).toEqual(['deal', 'deal']);
  });

  it('shares one load among concurrent callers', async () => {
    const { repo, catalog } = catalogSetup(budget());
    await Promise.all([catalog.definitions('deal'), catalog.definitions('deal'), catalog.definitions('deal')]);
    expect(repo.listAllCalls).toEqual(['deal']);
  });

  it('does not keep a failed load', async () => {
    let calls = 0;
    const flaky: CustomFieldReader = {
      catalogVersions: async () => ({ lead: 0, contact: 0, deal: 0 }),
      listAll: async () => {
        calls += 1;
        if (calls === 1) throw new Error('throttled');
        return [budget()];
      },
    };
    const catalog = new CustomFieldCatalog(flaky, { clock: new FixedClock() });
    await expect(catalog.definitions('deal')).rejects.toThrow('throttled');
    expect((await catalog.definitions('deal')).map((d) => d.name)).toEqual(['Budget']);
    expect(calls).toBe(2);
  });

  it('gives each caller its own array of shared, frozen definitions', async () => {
    const { catalog } = catalogSetup(budget(), tier());
    const first = await catalog.definitions('deal');
    first.reverse();
    expect((await catalog.definitions('deal')).map((d) => d.id)).toEqual([BUDGET, TIER]);
    expect(Object.isFrozen(first[0])).toBe(true);
    expect(() => (first[0]!.choices as string[]).push('Bronze')).toThrow(TypeError);
  });

  it('drops every resource type on invalidate()', async () => {
    const { repo, catalog } = catalogSetup(budget());
    await catalog.definitions('deal');
    await catalog.definitions('lead');
    catalog.invalidate();
    await catalog.definitions('deal');
    await catalog.definitions('lead');
    expect(repo.listAllCalls).toEqual(['deal', 'lead', 'deal', 'lead']);
  });
});
