import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoContactRepository, organizationPeopleKey } from '#shared/contacts/dynamodb.ts';
import { DynamoCustomFieldRepository } from '#shared/custom-fields/dynamodb.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { createContact, deleteContact, listContacts, updateContact, type ContactsDeps } from '#shared/contacts/use-cases.ts';
import { createCustomField, CustomFieldCatalog } from '#shared/custom-fields/use-cases.ts';
import { callContext, systemClock, type Call } from '#shared/kernel/ports.ts';
import type { ValidationError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { makeUser, rejection } from '#test/helpers/fakes.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';

// The contact adapter against DynamoDB Local: a person's organisation checked in the write,
// the organisation's people counted, deleting it detaching them (even under a race), the
// people of an organisation by index, filters and search terms.

let table: Table;
const meter = new CountingMeter();
let contacts: DynamoContactRepository;
let deps: ContactsDeps;
let tier: { id: string };
const admin = makeUser(newId(), { role: 'admin' });
const repA = makeUser(newId());
const repB = makeUser(newId());
const principal = (u: typeof repA): Principal => ({ user_id: u.id, email: u.email, role: u.role, direct_reports: [] });
const as = (u: typeof repA): Call => callContext(principal(u), 'test', systemClock, () => newId());

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  contacts = new DynamoContactRepository(table);
  const users = new DynamoUserRepository(table);
  for (const u of [admin, repA, repB]) await users.create(u, []);
  const fields = new DynamoCustomFieldRepository(table);
  const catalog = new CustomFieldCatalog(fields);
  tier = await createCustomField({ customFields: fields, catalog }, as(admin), 'contact', {
    name: 'Tier',
    type: 'list',
    choices: ['Gold', 'Silver'],
  });
  deps = {
    contacts,
    customFields: catalog,
    deals: { ofContact: async () => expect.unreachable('no deals here') },
  };
});

const people = async (orgId: string) => Number((await table.get(organizationPeopleKey(orgId)))?.people ?? 0);
const org = (name: string, who = repA) => createContact(deps, as(who), { is_organization: true, name });
const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id);

describe('people and organisations', () => {
  it('puts a person in an organisation, counts them, and lists the people of the organisation', async () => {
    const acme = await org('Acme');
    const jane = await createContact(deps, as(repA), { first_name: 'Jane', last_name: 'Doe', contact_id: acme.id });
    // repB may not name repA's organisation; an admin may, for repB.
    const joe = await createContact(deps, as(admin), { last_name: 'Bloggs', contact_id: acme.id, owner_id: repB.id });
    expect(await people(acme.id)).toBe(2);
    expect(ids(await listContacts(deps, as(admin), { limit: 10, contact_id: acme.id, raw: {} }))).toEqual([joe.id, jane.id]);
    // A rep sees only their own people of the organisation (the owner filter on the index).
    expect(ids(await listContacts(deps, as(repA), { limit: 10, contact_id: acme.id, raw: {} }))).toEqual([jane.id]);
  });

  it('refuses an organisation that is a person or nothing, naming body.contact_id', async () => {
    const jane = await createContact(deps, as(repA), { last_name: 'Doe' });
    const notOrg = await rejection(createContact(deps, as(repA), { last_name: 'X', contact_id: jane.id }));
    expect((notOrg as ValidationError).problems).toEqual([
      { field: 'body.contact_id', message: `contact ${jane.id} is a person, not an organisation`, code: 'invalid' },
    ]);
    const nothing = await rejection(createContact(deps, as(repA), { last_name: 'X', contact_id: newId() }));
    expect((nothing as ValidationError).problems[0]!.field).toBe('body.contact_id');
  });

  it('counts people as they move; deleting an organisation detaches its people and leaves nothing behind', async () => {
    const acme = await org('Acme Two');
    const globex = await org('Globex');
    const jane = await createContact(deps, as(repA), { last_name: 'Doe', contact_id: acme.id });
    const john = await createContact(deps, as(repA), { last_name: 'Roe', contact_id: acme.id });
    await updateContact(deps, as(repA), jane.id, { contact_id: globex.id });
    expect([await people(acme.id), await people(globex.id)]).toEqual([1, 1]);
    await deleteContact(deps, as(repA), acme.id);
    expect(await table.partition(`contact#${acme.id}`)).toEqual([]);
    expect(await contacts.get(john.id)).toMatchObject({ contact_id: null, version: 2 });
    await deleteContact(deps, as(repA), jane.id);
    expect(await people(globex.id)).toBe(0);
    await deleteContact(deps, as(repA), globex.id);
    expect(await table.partition(`contact#${globex.id}`)).toEqual([]);
  });

  it('never leaves a person in a deleted organisation when the two race', async () => {
    for (let round = 0; round < 5; round++) {
      const acme = await org(`Race ${round}`);
      const [joined, deleted] = await Promise.allSettled([
        createContact(deps, as(repA), { last_name: `Racer ${round}`, contact_id: acme.id }),
        deleteContact(deps, as(repA), acme.id),
      ]);
      expect(deleted.status).toBe('fulfilled');
      expect(await contacts.get(acme.id)).toBeUndefined();
      // Joined before the delete: detached by it (or by its sweep); after it: refused.
      if (joined.status === 'fulfilled') expect(await contacts.get(joined.value.id)).toMatchObject({ contact_id: null });
      expect(await table.partition(`contact#${acme.id}`)).toEqual([]);
    }
  });
});

describe('contact lists and search terms', () => {
  let tag: string;
  const made: Record<string, string> = {};
  beforeAll(async () => {
    tag = `t${Date.now()}`;
    made.org = (await createContact(deps, as(repA), { is_organization: true, name: 'Zeta Corp', tags: [tag] })).id;
    made.gold = (
      await createContact(deps, as(repA), {
        last_name: 'Gold',
        tags: [tag],
        address: { country: 'Österreich' },
        custom_fields: { Tier: 'Gold' },
      })
    ).id;
    made.past = (await createContact(deps, as(repA), { last_name: 'Past', tags: [tag], customer_status: 'past' })).id;
  });

  it('filters on is_organization, customer_status, country and custom fields', async () => {
    const list = (extra: Record<string, unknown>, raw: Record<string, unknown> = {}) =>
      listContacts(deps, as(repA), { limit: 10, tags: tag, ...extra, raw });
    expect(ids(await list({ is_organization: true }))).toEqual([made.org]);
    expect(ids(await list({ customer_status: 'past' }))).toEqual([made.past]);
    expect(ids(await list({ country: 'osterreich' }))).toEqual([made.gold]);
    expect(ids(await list({}, { 'custom_fields[Tier]': 'Gold' }))).toEqual([made.gold]);
    expect((await list({ sort_by: 'name', sort_order: 'asc' })).items.map((c) => c.name)).toEqual(['Gold', 'Past', 'Zeta Corp']);
    expect(await table.get({ pk: `custom_field#${tier.id}`, sk: 'custom_field' })).toMatchObject({ value_count: 1 });
  });

  it('indexes the name and e-mail, and follows a rename', async () => {
    const c = await createContact(deps, as(repA), { first_name: 'Anna', last_name: 'Bell', email: 'anna@bell.example' });
    const terms = async () => (await table.partition(`contact#${c.id}`, 'search#')).map((i) => String(i.term)).sort();
    expect(await terms()).toEqual(expect.arrayContaining(['anna bell', 'bell']));
    expect((await terms()).some((t) => t.startsWith('anna bell example'))).toBe(true);
    await updateContact(deps, as(repA), c.id, { last_name: 'Smith' });
    expect(await terms()).toEqual(expect.arrayContaining(['anna smith', 'smith']));
    expect(await terms()).not.toContain('bell');
  });
});
