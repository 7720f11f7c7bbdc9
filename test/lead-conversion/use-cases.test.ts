import { describe, expect, it } from 'vitest';
import { convertLead, conversionView } from '#shared/lead-conversion/use-cases.ts';
import type { Lead } from '#shared/leads/domain.ts';
import { leadAsConverted } from '#shared/leads/domain.ts';
import { ConflictError, ForbiddenError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { TEST_NOW, USERS, callsAs, eventTypes, fieldsOf, makeUser, rejection, testId } from '#test/helpers/fakes.ts';
import { InMemoryStore } from '#test/helpers/in-memory-store.ts';
import { makeCustomField } from '#test/custom-fields/fakes.ts';
import { makeContact, makeLead } from '#test/contacts/fakes.ts';
import { makeNote } from '#test/notes/fakes.ts';
import { makeTask } from '#test/tasks/fakes.ts';
import { makeEntry, pipelineWithStages } from '#test/pipelines/fakes.ts';
import { conversionDeps } from './fakes.ts';

// Lead conversion on the in-memory fakes: what the lead becomes (person, organisation, deal),
// the one write and its events, the notes and tasks that follow, and every refusal, each of
// which leaves everything as it was.

const { admin: ADMIN, manager: MANAGER, rep: REP, peer: PEER } = USERS;
const GONE = makeUser(testId(5), { status: 'inactive' });
const MAIN = pipelineWithStages(testId(10), ['Qualified', 'Proposal'], 20);
const QUALIFIED = MAIN.stages[0]!;
const SOURCE = testId(40);
const LEAD = testId(100);
const LEAD_REF: RecordRef = { resource_type: 'lead', resource_id: LEAD };
const ORG = testId(50);
const PEER_ORG = testId(51);
const A_PERSON = testId(52);
const LEAD_SEGMENT = makeCustomField(testId(60), {
  resource_type: 'lead',
  name: 'Segment',
  type: 'list',
  choices: ['SMB', 'Enterprise'],
});
const CONTACT_SEGMENT = makeCustomField(testId(61), {
  resource_type: 'contact',
  name: 'segment',
  type: 'list',
  choices: ['SMB', 'Enterprise'],
});
const LEAD_SCORE = makeCustomField(testId(62), { resource_type: 'lead', name: 'Score', type: 'number' });
const CONTACT_SCORE = makeCustomField(testId(63), { resource_type: 'contact', name: 'Score', type: 'string' });

const repLead = (overrides: Partial<Lead> = {}) =>
  makeLead(LEAD, {
    first_name: 'Ada',
    last_name: 'Byron',
    organization_name: 'Engines Ltd',
    email: 'ada@engines.example',
    owner_id: REP.id,
    creator_id: REP.id,
    source_id: SOURCE,
    tags: ['vip'],
    custom_fields: { [LEAD_SEGMENT.id]: 'SMB', [LEAD_SCORE.id]: 7 },
    ...overrides,
  });

function setup(lead: Lead = repLead()) {
  const store = new InMemoryStore().seed({
    users: [ADMIN, MANAGER, REP, PEER, GONE],
    pipelines: [MAIN.pipeline],
    stages: MAIN.stages,
    namedEntries: { source: [makeEntry(SOURCE, 'Website')] },
    customFields: [LEAD_SEGMENT, CONTACT_SEGMENT, LEAD_SCORE, CONTACT_SCORE],
    contacts: [
      makeContact(ORG, { is_organization: true, name: 'Existing Inc', owner_id: REP.id }),
      makeContact(PEER_ORG, { is_organization: true, name: 'Theirs Inc', owner_id: PEER.id }),
      makeContact(A_PERSON, { owner_id: REP.id }),
    ],
    leads: [lead],
    notes: [makeNote(testId(200), LEAD_REF, { creator_id: REP.id }), makeNote(testId(201), LEAD_REF, { creator_id: MANAGER.id })],
    tasks: [makeTask(testId(300), { owner_id: REP.id, ...LEAD_REF })],
  });
  const deps = conversionDeps(store);
  return { store, deps, writer: deps.writer, as: callsAs() };
}

/** Everything a conversion may write, to compare before and after a refusal. */
const snapshot = (store: InMemoryStore) =>
  structuredClone({
    leads: [...store.leads],
    contacts: [...store.contacts],
    deals: [...store.deals],
    notes: [...store.notes],
    tasks: [...store.tasks],
    fields: [...store.customFields],
  });

describe('convertLead', () => {
  it('makes the lead a person in a new organisation, with a deal, in one write with their events', async () => {
    const { store, deps, writer, as } = setup();
    const { lead, contact, organization, deal } = await convertLead(deps, as.rep(), LEAD, {
      deal: { name: 'First order', value: 100 },
    });
    expect(organization).toMatchObject({ is_organization: true, name: 'Engines Ltd', owner_id: REP.id, source_id: SOURCE });
    expect(contact).toMatchObject({
      is_organization: false,
      first_name: 'Ada',
      last_name: 'Byron',
      contact_id: organization!.id,
      owner_id: REP.id,
      creator_id: REP.id,
      source_id: SOURCE,
      email: 'ada@engines.example',
      tags: ['vip'],
      // Carried to the contact field of the same name and type only.
      custom_fields: { [CONTACT_SEGMENT.id]: 'SMB' },
    });
    expect(deal).toMatchObject({
      name: 'First order',
      value: '100.00',
      owner_id: REP.id,
      contact_id: contact.id,
      organization_id: organization!.id,
      pipeline_id: MAIN.pipeline.id,
      stage_id: QUALIFIED.id,
      source_id: SOURCE,
    });
    expect(lead).toMatchObject({
      status: 'converted',
      converted_at: TEST_NOW,
      converted_contact_id: contact.id,
      converted_organization_id: organization!.id,
      converted_deal_id: deal!.id,
      version: 2,
    });
    expect(store.leads.get(LEAD)).toEqual(lead);
    expect(store.contacts.get(contact.id)).toEqual(contact);
    expect(store.deals.get(deal!.id)).toEqual(deal);
    expect(store.stage(QUALIFIED.id)!.deal_count).toBe(1);
    expect(store.customFields.get(CONTACT_SEGMENT.id)!.definition.value_count).toBe(1);

    expect(eventTypes(writer.events)).toEqual(['contact.created', 'contact.created', 'deal.created', 'lead.converted']);
    expect(writer.events.map((e) => e.metadata.resource_id)).toEqual([organization!.id, contact.id, deal!.id, LEAD]);
    expect(writer.events[3]!.previous).toEqual({ status: 'new' });
  });

  it('moves the lead’s notes and tasks to the new contact, as new versions', async () => {
    const { store, deps, writer, as } = setup();
    const { contact } = await convertLead(deps, as.rep(), LEAD, {});
    for (const record of [...store.notes.values(), ...store.tasks.values()]) {
      expect(record).toMatchObject({ resource_type: 'contact', resource_id: contact.id, updated_at: TEST_NOW, version: 2 });
    }
    expect(writer.laterMoves).toEqual([]);
  });

  it('moves the notes and tasks that do not fit in the write right after it', async () => {
    const { store, deps, writer, as } = setup();
    writer.room = 1;
    const { contact } = await convertLead(deps, as.rep(), LEAD, {});
    expect(writer.laterMoves).toEqual([{ notes: [testId(201)], tasks: [testId(300)] }]);
    expect([...store.notes.values(), ...store.tasks.values()].every((r) => r.resource_id === contact.id)).toBe(true);
  });

  it('links an existing organisation the caller sees instead of creating one', async () => {
    const { store, deps, writer, as } = setup();
    const { contact, organization } = await convertLead(deps, as.rep(), LEAD, { organization_id: ORG });
    expect(organization!.id).toBe(ORG);
    expect(contact.contact_id).toBe(ORG);
    expect(eventTypes(writer.events)).toEqual(['contact.created', 'lead.converted']);
    expect(store.contacts.size).toBe(4);
  });

  it('creates no organisation when asked not to, and no deal unless asked', async () => {
    const { deps, writer, as } = setup();
    const result = await convertLead(deps, as.rep(), LEAD, { create_organization: false });
    expect(result).toMatchObject({ organization: null, deal: null, contact: { contact_id: null } });
    expect(eventTypes(writer.events)).toEqual(['contact.created', 'lead.converted']);
  });

  it('converts a lead without a last name into its organisation', async () => {
    const { deps, as } = setup(repLead({ first_name: null, last_name: null, organization_name: 'Solo Corp' }));
    const { lead, contact, organization } = await convertLead(deps, as.rep(), LEAD, {});
    expect(contact).toEqual(organization);
    expect(contact).toMatchObject({ is_organization: true, name: 'Solo Corp' });
    expect(lead.converted_contact_id).toBe(contact.id);
  });

  it('refuses an unknown, invisible or person organisation, naming organization_id, and writes nothing', async () => {
    const { store, deps, writer, as } = setup();
    const before = snapshot(store);
    for (const organization_id of [testId(99), PEER_ORG, A_PERSON]) {
      expect(await fieldsOf(convertLead(deps, as.rep(), LEAD, { organization_id }))).toEqual(['body.organization_id']);
    }
    expect(snapshot(store)).toEqual(before);
    expect(writer.events).toEqual([]);
  });

  it('refuses to create an organisation the lead has no name for, and a lead that would become nothing', async () => {
    const noOrg = setup(repLead({ organization_name: null }));
    expect(await fieldsOf(convertLead(noOrg.deps, noOrg.as.rep(), LEAD, { create_organization: true }))).toEqual([
      'body.create_organization',
    ]);
    const nameless = setup(repLead({ last_name: null }));
    expect(await fieldsOf(convertLead(nameless.deps, nameless.as.rep(), LEAD, { create_organization: false }))).toEqual([
      'body.create_organization',
    ]);
  });

  it('refuses a lead converted already (409), writing nothing', async () => {
    const converted = leadAsConverted(repLead(), { contact_id: A_PERSON, organization_id: null, deal_id: null, at: TEST_NOW });
    const { store, deps, writer, as } = setup(converted);
    const before = snapshot(store);
    expect(await rejection(convertLead(deps, as.rep(), LEAD, {}))).toBeInstanceOf(ConflictError);
    expect(snapshot(store)).toEqual(before);
    expect(writer.events).toEqual([]);
  });

  it("is the owner's, their manager's or an admin's to convert; to anyone else the lead is not found", async () => {
    const hidden = setup();
    expect(await rejection(convertLead(hidden.deps, hidden.as.peer(), LEAD, {}))).toBeInstanceOf(NotFoundError);
    expect(await rejection(convertLead(hidden.deps, hidden.as.rep(), testId(99), {}))).toBeInstanceOf(NotFoundError);
    const managed = setup();
    expect((await convertLead(managed.deps, managed.as.manager(), LEAD, {})).contact.owner_id).toBe(REP.id);
  });

  it('gives the new records to another owner only by the assignment rule (F8.4)', async () => {
    const { deps, as } = setup();
    expect(await rejection(convertLead(deps, as.rep(), LEAD, { owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    expect(await rejection(convertLead(deps, as.manager(), LEAD, { owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    const { contact, deal } = await convertLead(deps, as.manager(), LEAD, { owner_id: MANAGER.id, deal: { name: 'D' } });
    expect([contact.owner_id, deal!.owner_id]).toEqual([MANAGER.id, MANAGER.id]);
  });

  it('writes nothing when a reference fails in the write: an owner who is not active, a deal in no pipeline', async () => {
    const { store, deps, writer, as } = setup();
    const before = snapshot(store);
    expect(await fieldsOf(convertLead(deps, as.admin(), LEAD, { owner_id: GONE.id }))).toEqual(['body.owner_id']);
    expect(await fieldsOf(convertLead(deps, as.rep(), LEAD, { deal: { name: 'D', pipeline_id: testId(98) } }))).toEqual([
      'body.pipeline_id',
    ]);
    expect(snapshot(store)).toEqual(before);
    expect(writer.events).toEqual([]);
  });

  it('fails with 412 when the lead changed since it was read, leaving everything as it was', async () => {
    const { store, deps, writer, as } = setup();
    writer.beforeWrite = () => Object.assign(store.leads.get(LEAD)!, { title: 'CEO', version: 2 });
    const { leads: _leads, ...before } = snapshot(store);
    const error = await rejection(convertLead(deps, as.rep(), LEAD, { deal: { name: 'D' } }));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toMatchObject({ title: 'CEO', status: 'new' });
    const { leads: _after, ...after } = snapshot(store);
    expect(after).toEqual(before);
    expect(writer.events).toEqual([]);
  });
});

describe('conversionView', () => {
  it('shows custom fields by name on each record', async () => {
    const { deps, as } = setup();
    const view = await conversionView(deps, await convertLead(deps, as.rep(), LEAD, {}));
    expect(view.lead.custom_fields).toEqual({ Segment: 'SMB', Score: 7 });
    expect(view.contact.custom_fields).toEqual({ segment: 'SMB' });
    expect(view.deal).toBeNull();
  });
});
