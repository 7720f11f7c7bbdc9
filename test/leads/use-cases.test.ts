import { describe, expect, it } from 'vitest';
import { createLead, deleteLead, getLead, listLeads, updateLead, type LeadsDeps } from '#shared/leads/use-cases.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { leadAsConverted } from '#shared/leads/domain.ts';
import { TEST_CORRELATION_ID, TEST_NOW, fakeCall, makeUser, principalOf, rejection, testId } from '#test/helpers/fakes.ts';
import { catalogOf, makeCustomField } from '#test/custom-fields/fakes.ts';
import { InMemoryStore } from '#test/helpers/in-memory-store.ts';
import { makeEntry } from '#test/pipelines/fakes.ts';
import { InMemoryLeadRepository, makeLead } from '#test/contacts/fakes.ts';

const ADMIN = makeUser(testId(1), { role: 'admin' });
const MANAGER = makeUser(testId(2), { role: 'manager' });
const REP = makeUser(testId(3), { reports_to: MANAGER.id });
const PEER = makeUser(testId(4));
const SEGMENT = makeCustomField(testId(20), {
  resource_type: 'lead',
  name: 'Segment',
  type: 'list',
  choices: ['SMB', 'Enterprise'],
});
const SCORE = makeCustomField(testId(21), { resource_type: 'lead', name: 'Score', type: 'number', filterable: false });

const as = {
  admin: () => fakeCall(principalOf(ADMIN)),
  manager: () => fakeCall(principalOf(MANAGER, [REP.id])),
  rep: () => fakeCall(principalOf(REP)),
  peer: () => fakeCall(principalOf(PEER)),
};

function setup(...seeded: Parameters<InMemoryLeadRepository['seed']>) {
  // Owners, the reason and the fields the leads point at: the repository checks them.
  const store = new InMemoryStore().seed({
    users: [ADMIN, MANAGER, REP, PEER],
    customFields: [SEGMENT, SCORE],
    namedEntries: { lead_unqualified_reason: [makeEntry(testId(9), 'No budget')] },
  });
  const leads = new InMemoryLeadRepository(store).seed(...seeded);
  const deps: LeadsDeps = { leads, customFields: catalogOf(store) };
  return { leads, deps };
}

const repLead = (overrides = {}) => makeLead(testId(100), { owner_id: REP.id, creator_id: REP.id, ...overrides });

describe('createLead', () => {
  it('creates a new lead owned by the caller, custom fields by name in and out, with lead.created', async () => {
    const { leads, deps } = setup();
    const lead = await createLead(deps, as.rep(), {
      last_name: 'Doe',
      organization_name: 'Acme',
      tags: ['vip', ' vip '],
      address: { city: 'Lyon' },
      custom_fields: { segment: 'smb' },
    });
    expect(lead).toMatchObject({
      owner_id: REP.id,
      creator_id: REP.id,
      status: 'new',
      tags: ['vip'],
      address: { line1: null, city: 'Lyon', postal_code: null, state: null, country: null },
      custom_fields: { Segment: 'SMB' },
      converted_at: null,
      converted_contact_id: null,
      created_at: TEST_NOW,
      version: 1,
    });
    expect(leads.leads.get(lead.id)!.custom_fields).toEqual({ [SEGMENT.id]: 'SMB' });
    expect(leads.writes).toEqual([{ op: 'create', refs: { owner_id: REP.id, source_id: null, unqualified_reason_id: null } }]);
    expect(leads.events.map((e) => [e.metadata.event_type, e.metadata.resource_id, e.metadata.correlation_id])).toEqual([
      ['lead.created', lead.id, TEST_CORRELATION_ID],
    ]);
  });

  it('refuses invalid custom field values, naming each field, and writes nothing', async () => {
    const { leads, deps } = setup();
    const error = await rejection(
      createLead(deps, as.rep(), { last_name: 'Doe', custom_fields: { Segment: 'Huge', Score: 'lots', Nope: 1 } }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field).sort()).toEqual(
      ['body.custom_fields.Nope', 'body.custom_fields.Score', 'body.custom_fields.Segment'].sort(),
    );
    expect(leads.writes).toEqual([]);
  });

  it('follows the assignment rule (F8.4): a rep assigns to themself only, a manager to a report', async () => {
    const { deps } = setup();
    expect(await rejection(createLead(deps, as.rep(), { last_name: 'Doe', owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    expect((await createLead(deps, as.manager(), { last_name: 'Doe', owner_id: REP.id })).owner_id).toBe(REP.id);
    expect(await rejection(createLead(deps, as.manager(), { last_name: 'Doe', owner_id: PEER.id }))).toBeInstanceOf(
      ForbiddenError,
    );
  });

  it('needs a last name or an organization name, and a reason when unqualified', async () => {
    const { deps } = setup();
    const noName = (await rejection(createLead(deps, as.rep(), { first_name: 'Jane' }))) as ValidationError;
    expect(noName.problems.map((p) => p.field)).toEqual(['body.last_name']);
    const noReason = (await rejection(
      createLead(deps, as.rep(), { last_name: 'Doe', status: 'unqualified' }),
    )) as ValidationError;
    expect(noReason.problems.map((p) => p.field)).toEqual(['body.unqualified_reason_id']);
  });
});

describe('getLead', () => {
  it("answers not found for someone else's lead, and shows a report's lead to their manager", async () => {
    const { deps } = setup(repLead());
    expect(await rejection(getLead(deps, as.peer(), testId(100)))).toBeInstanceOf(NotFoundError);
    expect((await getLead(deps, as.manager(), testId(100))).id).toBe(testId(100));
    expect((await getLead(deps, as.admin(), testId(100))).id).toBe(testId(100));
  });
});

describe('updateLead', () => {
  it('publishes lead.updated and lead.status_changed with the previous status', async () => {
    const { leads, deps } = setup(repLead());
    const updated = await updateLead(deps, as.rep(), testId(100), { status: 'unqualified', unqualified_reason_id: testId(9) });
    expect(updated).toMatchObject({ status: 'unqualified', unqualified_reason_id: testId(9), version: 2 });
    expect(leads.events.map((e) => e.metadata.event_type)).toEqual(['lead.updated', 'lead.status_changed']);
    expect(leads.events[1]!.previous).toMatchObject({ status: 'new' });
    expect(leads.writes[0]!.refs).toEqual({ owner_id: REP.id, source_id: null, unqualified_reason_id: testId(9) });
  });

  it('publishes lead.owner_changed when a manager reassigns, and refuses a rep giving the lead away', async () => {
    const { leads, deps } = setup(repLead());
    expect(await rejection(updateLead(deps, as.rep(), testId(100), { owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    await updateLead(deps, as.manager(), testId(100), { owner_id: MANAGER.id });
    expect(leads.events.map((e) => e.metadata.event_type)).toEqual(['lead.updated', 'lead.owner_changed']);
    expect(leads.events[1]!.previous).toEqual({ owner_id: REP.id });
  });

  it('clears a part of the address and keeps the others', async () => {
    const { deps } = setup(
      repLead({ address: { line1: '1 Main St', city: 'Lyon', postal_code: null, state: null, country: 'FR' } }),
    );
    const updated = await updateLead(deps, as.rep(), testId(100), { address: { city: null } });
    expect(updated.address).toEqual({ line1: '1 Main St', city: null, postal_code: null, state: null, country: 'FR' });
  });

  it('writes nothing when nothing changes', async () => {
    const { leads, deps } = setup(repLead());
    expect((await updateLead(deps, as.rep(), testId(100), { last_name: 'Doe' })).version).toBe(1);
    expect(leads.writes).toEqual([]);
  });

  it('refuses any change to a converted lead (409), which stays readable', async () => {
    const converted = leadAsConverted(repLead(), { contact_id: testId(7), organization_id: null, deal_id: null, at: TEST_NOW });
    const { leads, deps } = setup(converted);
    expect(await rejection(updateLead(deps, as.rep(), testId(100), { title: 'CEO' }))).toBeInstanceOf(ConflictError);
    expect(await rejection(deleteLead(deps, as.rep(), testId(100)))).toBeInstanceOf(ConflictError);
    expect((await getLead(deps, as.rep(), testId(100))).status).toBe('converted');
    expect(leads.writes).toEqual([]);
  });

  it('answers 412 for a stale If-Match, and not found for a lead the caller cannot see', async () => {
    const { deps } = setup(repLead({ version: 3 }));
    expect(await rejection(updateLead(deps, as.rep(), testId(100), { title: 'CEO' }, 2))).toBeInstanceOf(VersionMismatchError);
    expect(await rejection(updateLead(deps, as.peer(), testId(100), { title: 'CEO' }))).toBeInstanceOf(NotFoundError);
  });
});

describe('deleteLead', () => {
  it('deletes with lead.deleted', async () => {
    const { leads, deps } = setup(repLead());
    await deleteLead(deps, as.rep(), testId(100));
    expect(leads.leads.size).toBe(0);
    expect(leads.events.map((e) => e.metadata.event_type)).toEqual(['lead.deleted']);
  });
});

describe('listLeads', () => {
  const many = () =>
    setup(
      repLead(),
      makeLead(testId(101), { owner_id: REP.id, last_name: 'adams' }),
      makeLead(testId(102), { owner_id: REP.id, last_name: 'Zeta', status: 'working' }),
      makeLead(testId(103), { owner_id: PEER.id, last_name: 'Other' }),
    );

  it("lists the caller's scope only, newest first; an owner outside it lists nothing without reading", async () => {
    const { leads, deps } = many();
    const page = await listLeads(deps, as.rep(), { limit: 10, raw: {} });
    expect(page.items.map((l) => l.id)).toEqual([testId(102), testId(101), testId(100)]);
    expect(leads.queries[0]!.owners).toEqual([REP.id]);
    const outside = await listLeads(deps, as.manager(), { limit: 10, owner_id: PEER.id, raw: {} });
    expect(outside).toEqual({ items: [], next_cursor: null });
    expect(leads.queries).toHaveLength(1);
  });

  it('sorts by last name ignoring case, and pages with a cursor bound to the query', async () => {
    const { deps } = many();
    const first = await listLeads(deps, as.rep(), { limit: 2, sort_by: 'last_name', sort_order: 'asc', raw: {} });
    expect(first.items.map((l) => l.last_name)).toEqual(['adams', 'Doe']);
    const second = await listLeads(deps, as.rep(), {
      limit: 2,
      sort_by: 'last_name',
      sort_order: 'asc',
      cursor: first.next_cursor!,
      raw: {},
    });
    expect(second).toMatchObject({ items: [expect.objectContaining({ last_name: 'Zeta' })], next_cursor: null });
    expect(
      await rejection(listLeads(deps, as.rep(), { limit: 2, sort_by: 'first_name', cursor: first.next_cursor!, raw: {} })),
    ).toBeInstanceOf(ValidationError);
  });

  it('refuses filters on unknown or unfilterable custom fields, naming them', async () => {
    const { deps } = many();
    const error = (await rejection(
      listLeads(deps, as.rep(), { limit: 10, raw: { 'custom_fields[Score]': '5', 'custom_fields[Nope]': 'x' } }),
    )) as ValidationError;
    expect(error.problems.map((p) => p.field)).toEqual(['query.custom_fields[Score]', 'query.custom_fields[Nope]']);
  });

  it('passes the status and normalised address and tag filters to the repository', async () => {
    const { leads, deps } = many();
    await listLeads(deps, as.admin(), { limit: 10, status: 'working', city: ' Zürich ', tags: 'a, b,a', raw: {} });
    expect(leads.queries[0]).toMatchObject({ owners: 'all', status: 'working', address: { city: 'zurich' }, tags: ['a', 'b'] });
  });
});
