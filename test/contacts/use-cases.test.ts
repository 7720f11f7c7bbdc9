import { describe, expect, it } from 'vitest';
import {
  createContact,
  deleteContact,
  getContact,
  listContactDeals,
  listContacts,
  updateContact,
  type ContactsDeps,
} from '#shared/contacts/use-cases.ts';
import type { Call, PageQuery } from '#shared/kernel/ports.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '#shared/kernel/errors.ts';
import { fakeCall, fieldsOf, makeUser, principalOf, rejection, testId } from '#test/helpers/fakes.ts';
import { makeCustomField } from '#test/custom-fields/fakes.ts';
import { InMemoryStore } from '#test/helpers/in-memory-store.ts';
import { InMemoryContactRepository, makeContact } from './fakes.ts';

const MANAGER = makeUser(testId(2), { role: 'manager' });
const REP = makeUser(testId(3), { reports_to: MANAGER.id });
const PEER = makeUser(testId(4));
const ORG = testId(50);
const PERSON = testId(51);
const TIER = makeCustomField(testId(20), { resource_type: 'contact', name: 'Tier', type: 'list', choices: ['Gold', 'Silver'] });

const as = {
  manager: () => fakeCall(principalOf(MANAGER, [REP.id])),
  rep: () => fakeCall(principalOf(REP)),
  peer: () => fakeCall(principalOf(PEER)),
};

function setup() {
  // Owners and fields the contacts point at: the repository checks them.
  const store = new InMemoryStore().seed({ users: [MANAGER, REP, PEER], customFields: [TIER] });
  const contacts = new InMemoryContactRepository(store).seed(
    makeContact(ORG, { is_organization: true, name: 'Acme', owner_id: REP.id }),
    makeContact(PERSON, { owner_id: REP.id, contact_id: ORG }),
  );
  const dealCalls: { call: Call; contactId: string; page: PageQuery }[] = [];
  const deps: ContactsDeps = {
    contacts,
    customFields: { definitions: async () => [TIER] },
    deals: {
      ofContact: async (call, contactId, page) => {
        dealCalls.push({ call, contactId, page });
        return { items: [], next_cursor: null };
      },
    },
  };
  return { contacts, deps, dealCalls };
}

describe('createContact', () => {
  it('creates a person in an organisation, named from first and last name, with contact.created', async () => {
    const { contacts, deps } = setup();
    const person = await createContact(deps, as.rep(), {
      first_name: 'Zoë',
      last_name: 'Müller',
      contact_id: ORG,
      billing_address: { country: 'CH' },
      custom_fields: { tier: 'gold' },
    });
    expect(person).toMatchObject({
      is_organization: false,
      name: 'Zoë Müller',
      contact_id: ORG,
      owner_id: REP.id,
      prospect_status: 'none',
      customer_status: 'none',
      billing_address: { country: 'CH', city: null },
      custom_fields: { Tier: 'Gold' },
      version: 1,
    });
    // The organisation must lie in the caller's scope when the write lands.
    expect(contacts.writes.at(-1)).toEqual({
      op: 'create',
      refs: { owner_id: REP.id, source_id: null, contact_id: ORG, scope: { kind: 'owners', owner_ids: [REP.id] } },
    });
    expect(contacts.events.map((e) => e.metadata.event_type)).toEqual(['contact.created']);
  });

  it('creates an organisation by name; a past customer may be said at once', async () => {
    const { deps } = setup();
    const org = await createContact(deps, as.rep(), { is_organization: true, name: 'Globex', customer_status: 'past' });
    expect(org).toMatchObject({ is_organization: true, name: 'Globex', first_name: null, customer_status: 'past' });
  });

  it('refuses computed statuses, a name for a person, and a missing last name, naming each', async () => {
    const { deps } = setup();
    expect(await fieldsOf(createContact(deps, as.rep(), { last_name: 'Doe', prospect_status: 'current' }))).toEqual([
      'body.prospect_status',
    ]);
    expect(await fieldsOf(createContact(deps, as.rep(), { last_name: 'Doe', customer_status: 'current' }))).toEqual([
      'body.customer_status',
    ]);
    expect(await fieldsOf(createContact(deps, as.rep(), { name: 'Jane Doe', last_name: 'Doe' }))).toEqual(['body.name']);
    expect(await fieldsOf(createContact(deps, as.rep(), { first_name: 'Jane' }))).toEqual(['body.last_name']);
    expect(await fieldsOf(createContact(deps, as.rep(), { is_organization: true, name: 'X', contact_id: ORG }))).toEqual([
      'body.contact_id',
    ]);
  });

  it('refuses a person whose organisation is a person (the repository checks it in the write)', async () => {
    const { deps } = setup();
    expect(await fieldsOf(createContact(deps, as.rep(), { last_name: 'Doe', contact_id: PERSON }))).toEqual(['body.contact_id']);
  });

  it('follows the assignment rule (F8.4)', async () => {
    const { deps } = setup();
    expect(await rejection(createContact(deps, as.rep(), { last_name: 'Doe', owner_id: PEER.id }))).toBeInstanceOf(
      ForbiddenError,
    );
  });
});

describe('updateContact', () => {
  it('refuses changing is_organization but accepts it unchanged', async () => {
    const { deps } = setup();
    expect(await fieldsOf(updateContact(deps, as.rep(), PERSON, { is_organization: true }))).toEqual(['body.is_organization']);
    expect((await updateContact(deps, as.rep(), PERSON, { is_organization: false, title: 'CTO' })).title).toBe('CTO');
  });

  it('lets someone say "past customer" by hand, nothing else of the statuses', async () => {
    const { deps } = setup();
    expect((await updateContact(deps, as.rep(), PERSON, { customer_status: 'past' })).customer_status).toBe('past');
    expect(await fieldsOf(updateContact(deps, as.rep(), PERSON, { customer_status: 'none' }))).toEqual(['body.customer_status']);
    expect(await fieldsOf(updateContact(deps, as.rep(), PERSON, { prospect_status: 'none' }))).toEqual(['body.prospect_status']);
  });

  it('renames a person from first and last name, refuses clearing the last name or an organisation name', async () => {
    const { deps } = setup();
    expect((await updateContact(deps, as.rep(), PERSON, { first_name: 'Joan' })).name).toBe('Joan Doe');
    expect(await fieldsOf(updateContact(deps, as.rep(), PERSON, { last_name: null }))).toEqual(['body.last_name']);
    expect(await fieldsOf(updateContact(deps, as.rep(), ORG, { name: null }))).toEqual(['body.name']);
  });

  it('publishes contact.owner_changed on a manager’s reassignment', async () => {
    const { contacts, deps } = setup();
    await updateContact(deps, as.manager(), PERSON, { owner_id: MANAGER.id });
    expect(contacts.events.map((e) => e.metadata.event_type)).toEqual(['contact.updated', 'contact.owner_changed']);
  });

  it("answers not found for someone else's contact", async () => {
    const { deps } = setup();
    expect(await rejection(updateContact(deps, as.peer(), PERSON, { title: 'x' }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(getContact(deps, as.peer(), PERSON))).toBeInstanceOf(NotFoundError);
  });
});

describe('deleteContact', () => {
  it('refuses an organisation that still has people, then deletes it once they are gone', async () => {
    const { contacts, deps } = setup();
    expect(await rejection(deleteContact(deps, as.rep(), ORG))).toBeInstanceOf(ConflictError);
    await deleteContact(deps, as.rep(), PERSON);
    await deleteContact(deps, as.rep(), ORG);
    expect(contacts.events.map((e) => e.metadata.event_type)).toEqual(['contact.deleted', 'contact.deleted']);
  });
});

describe('lists', () => {
  it("lists an organisation's people in the caller's scope", async () => {
    const { deps } = setup();
    const people = await listContacts(deps, as.rep(), { limit: 10, contact_id: ORG, raw: {} });
    expect(people.items.map((c) => c.id)).toEqual([PERSON]);
    expect((await listContacts(deps, as.peer(), { limit: 10, contact_id: ORG, raw: {} })).items).toEqual([]);
  });

  it("reads a contact's deals through the deals module, only for a contact the caller can see", async () => {
    const { deps, dealCalls } = setup();
    expect(await rejection(listContactDeals(deps, as.peer(), PERSON, { limit: 5 }))).toBeInstanceOf(NotFoundError);
    expect(dealCalls).toEqual([]);
    await listContactDeals(deps, as.manager(), PERSON, { limit: 5, cursor: 'c' });
    expect(dealCalls).toEqual([{ call: expect.anything(), contactId: PERSON, page: { limit: 5, cursor: 'c' } }]);
    expect(dealCalls[0]!.call.principal.user_id).toBe(MANAGER.id);
  });
});
