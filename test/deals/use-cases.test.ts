import { describe, expect, it } from 'vitest';
import {
  associateContact,
  createDeal,
  dealMover,
  dealStageChanges,
  deleteDeal,
  dissociateContact,
  getDeal,
  listAssociatedContacts,
  listDeals,
  updateDeal,
} from '#shared/deals/use-cases.ts';
import type { Deal } from '#shared/deals/domain.ts';
import { dealSummary } from '#shared/deals/board.ts';
import { MAX_SORTED_RECORDS } from '#shared/kernel/sorted-lists.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import {
  TEST_CORRELATION_ID,
  TEST_NOW,
  USERS,
  callsAs,
  eventTypes,
  fieldsOf,
  makeTeam,
  makeUser,
  rejection,
  testId,
} from '#test/helpers/fakes.ts';
import { InMemoryStore } from '#test/helpers/in-memory-store.ts';
import { makeCustomField } from '#test/custom-fields/fakes.ts';
import { makeContact } from '#test/contacts/fakes.ts';
import { makeEntry, pipelineWithStages } from '#test/pipelines/fakes.ts';
import { dealsDeps, makeDeal } from './fakes.ts';

// The deal use cases on the in-memory fakes: visibility and assignment per role, stage moves
// and their reasons, history and counters, If-Match and the replay on a concurrent change,
// events, associations, lists and the board's summary.

const { admin: ADMIN, manager: MANAGER, rep: REP, peer: PEER } = USERS;
const GONE = makeUser(testId(5), { status: 'inactive' });
const MAIN = pipelineWithStages(testId(10), ['Qualified', 'Proposal'], 20);
const OTHER = pipelineWithStages(testId(11), ['Intro'], 30);
const stage = (name: string, of = MAIN) => of.stages.find((s) => s.name === name)!;
const QUALIFIED = stage('Qualified');
const PROPOSAL = stage('Proposal');
const WON = stage('Won');
const LOST = stage('Lost');
const UNQUALIFIED = stage('Unqualified');
const INTRO = stage('Intro', OTHER);
const LOSS_REASON = testId(40);
const UNQUALIFIED_REASON = testId(41);
const SOURCE = testId(42);
const ORG = testId(50);
const PERSON = testId(51);
const BUYER = testId(52);
const BUDGET = makeCustomField(testId(60), { name: 'Budget', type: 'number' });
const PRIORITY = makeCustomField(testId(61), { name: 'Priority', type: 'list', choices: ['High', 'Low'] });
const CREATED = '2031-01-01T00:00:00.000Z';
const DEAL = testId(100);

function setup(...deals: Deal[]) {
  const store = new InMemoryStore().seed({
    users: [ADMIN, MANAGER, REP, PEER, GONE],
    pipelines: [MAIN.pipeline, OTHER.pipeline],
    stages: [...MAIN.stages, ...OTHER.stages],
    namedEntries: {
      loss_reason: [makeEntry(LOSS_REASON, 'Price')],
      deal_unqualified_reason: [makeEntry(UNQUALIFIED_REASON, 'No budget')],
      source: [makeEntry(SOURCE, 'Website')],
    },
    contacts: [
      makeContact(ORG, { is_organization: true, owner_id: REP.id }),
      makeContact(PERSON, { owner_id: REP.id, contact_id: ORG }),
      makeContact(BUYER, { owner_id: REP.id }),
    ],
    customFields: [BUDGET, PRIORITY],
    deals,
  });
  const deps = dealsDeps(store);
  return { store, deps, deals: deps.deals, as: callsAs() };
}

/** A deal of the rep in Qualified, as stored. */
const repDeal = (overrides: Partial<Deal> = {}) =>
  makeDeal(DEAL, QUALIFIED, { owner_id: REP.id, creator_id: REP.id, last_stage_change_by_id: REP.id, ...overrides });

describe('createDeal', () => {
  it("opens the deal in the default pipeline's first active stage, owned by the caller, with deal.created", async () => {
    const { store, deps, deals, as } = setup();
    const deal = await createDeal(deps, as.rep(), {
      name: 'Big one',
      value: '1200.5',
      tags: ['vip', ' vip ', 'q3'],
      custom_fields: { budget: 5 },
    });
    expect(deal).toMatchObject({
      name: 'Big one',
      value: '1200.50',
      currency: 'EUR',
      owner_id: REP.id,
      creator_id: REP.id,
      pipeline_id: MAIN.pipeline.id,
      stage_id: QUALIFIED.id,
      tags: ['vip', 'q3'],
      custom_fields: { Budget: 5 },
      last_stage_change_at: TEST_NOW,
      last_stage_change_by_id: REP.id,
      added_at: TEST_NOW,
      created_at: TEST_NOW,
      version: 1,
    });
    expect(eventTypes(deals.events)).toEqual(['deal.created']);
    expect(deals.events[0]!.metadata).toMatchObject({
      resource_id: deal.id,
      actor_id: REP.id,
      correlation_id: TEST_CORRELATION_ID,
    });
    expect(deals.events[0]!.data).toEqual({ ...deal, custom_fields: { [BUDGET.id]: 5 } });
    expect(await dealStageChanges(deps, as.rep(), deal.id)).toEqual([
      expect.objectContaining({ stage_id: QUALIFIED.id, entered_at: TEST_NOW, entered_by_id: REP.id, left_at: null }),
    ]);
    expect(store.stage(QUALIFIED.id)!.deal_count).toBe(1);
    expect(store.customFields.get(BUDGET.id)!.definition.value_count).toBe(1);
  });

  it('opens it in the first active stage of the pipeline asked for, or in the stage asked for, in the currency asked for', async () => {
    const { deps, as } = setup();
    expect(await createDeal(deps, as.rep(), { name: 'A', pipeline_id: OTHER.pipeline.id })).toMatchObject({
      pipeline_id: OTHER.pipeline.id,
      stage_id: INTRO.id,
    });
    expect(await createDeal(deps, as.rep(), { name: 'B', stage_id: PROPOSAL.id, currency: 'USD' })).toMatchObject({
      pipeline_id: MAIN.pipeline.id,
      stage_id: PROPOSAL.id,
      currency: 'USD',
    });
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const { store, deps, deals, as } = setup();
    const create = (input: Partial<Parameters<typeof createDeal>[2]>) => createDeal(deps, as.rep(), { name: 'X', ...input });
    expect(await fieldsOf(create({ value: '12.345' }))).toEqual(['body.value']);
    expect((await fieldsOf(create({ custom_fields: { Budget: 'lots', Nope: 1 } }))).sort()).toEqual([
      'body.custom_fields.Budget',
      'body.custom_fields.Nope',
    ]);
    expect(await fieldsOf(create({ stage_id: testId(99) }))).toEqual(['body.stage_id']);
    expect(await fieldsOf(create({ stage_id: QUALIFIED.id, pipeline_id: OTHER.pipeline.id }))).toEqual(['body.pipeline_id']);
    expect(await fieldsOf(create({ pipeline_id: testId(99) }))).toEqual(['body.pipeline_id']);
    expect(await fieldsOf(create({ stage_id: LOST.id }))).toEqual(['body.loss_reason_id']);
    expect(await fieldsOf(create({ stage_id: UNQUALIFIED.id }))).toEqual(['body.unqualified_reason_id']);
    // References are checked in the write (the fake, as the adapter).
    expect(await fieldsOf(create({ contact_id: testId(98) }))).toEqual(['body.contact_id']);
    expect(await fieldsOf(create({ organization_id: PERSON }))).toEqual(['body.organization_id']);
    expect(await fieldsOf(create({ source_id: testId(98) }))).toEqual(['body.source_id']);
    expect(await fieldsOf(createDeal(deps, as.admin(), { name: 'X', owner_id: GONE.id }))).toEqual(['body.owner_id']);
    expect(deals.events).toEqual([]);
    expect(store.deals.size).toBe(0);
    expect(store.stage(QUALIFIED.id)!.deal_count).toBe(0);
  });

  it('never places a deal in a deleted stage or pipeline (tombstones): the same 422 as an unknown id', async () => {
    const { store, deps, deals, as } = setup(repDeal());
    store.stages.get(PROPOSAL.id)!.deleted_at = CREATED;
    store.pipelines.get(OTHER.pipeline.id)!.deleted_at = CREATED;
    for (const s of OTHER.stages) store.stages.get(s.id)!.deleted_at = CREATED;
    const problemOf = async (promise: Promise<unknown>) => {
      const error = await rejection(promise);
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).problems;
    };
    const unknown = (field: string, id: string) => [
      { field, message: expect.stringMatching(new RegExp(`^no \\w+ ${id}$`)), code: 'unknown_reference' },
    ];
    expect(await problemOf(createDeal(deps, as.rep(), { name: 'X', stage_id: testId(99) }))).toEqual(
      unknown('body.stage_id', testId(99)),
    );
    expect(await problemOf(createDeal(deps, as.rep(), { name: 'X', stage_id: PROPOSAL.id }))).toEqual(
      unknown('body.stage_id', PROPOSAL.id),
    );
    expect(await problemOf(createDeal(deps, as.rep(), { name: 'X', stage_id: INTRO.id }))).toEqual(
      unknown('body.stage_id', INTRO.id),
    );
    expect(await problemOf(createDeal(deps, as.rep(), { name: 'X', pipeline_id: OTHER.pipeline.id }))).toEqual(
      unknown('body.pipeline_id', OTHER.pipeline.id),
    );
    expect(await problemOf(updateDeal(deps, as.rep(), DEAL, { stage_id: PROPOSAL.id }))).toEqual(
      unknown('body.stage_id', PROPOSAL.id),
    );
    expect(await problemOf(updateDeal(deps, as.rep(), DEAL, { pipeline_id: OTHER.pipeline.id }))).toEqual(
      unknown('body.pipeline_id', OTHER.pipeline.id),
    );
    expect(deals.events).toEqual([]);
    expect(store.deals.get(DEAL)).toMatchObject({ stage_id: QUALIFIED.id, version: 1 });
  });

  it('follows the assignment rule (F8.4): a rep assigns to themself only, a manager to a report, an admin to anyone', async () => {
    const { deps, as } = setup();
    expect(await rejection(createDeal(deps, as.rep(), { name: 'X', owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    expect((await createDeal(deps, as.manager(), { name: 'X', owner_id: REP.id })).owner_id).toBe(REP.id);
    expect(await rejection(createDeal(deps, as.manager(), { name: 'X', owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    expect((await createDeal(deps, as.admin(), { name: 'X', owner_id: PEER.id })).owner_id).toBe(PEER.id);
  });

  it('keeps a reason that fits the stage and drops one that does not', async () => {
    const { deps, as } = setup();
    const lost = await createDeal(deps, as.rep(), { name: 'L', stage_id: LOST.id, loss_reason_id: LOSS_REASON });
    expect(lost.loss_reason_id).toBe(LOSS_REASON);
    const active = await createDeal(deps, as.rep(), { name: 'A', loss_reason_id: LOSS_REASON });
    expect(active.loss_reason_id).toBeNull();
  });

  it('refuses a deal while there is no pipeline (409)', async () => {
    const store = new InMemoryStore().seed({ users: [REP] });
    expect(await rejection(createDeal(dealsDeps(store), callsAs().rep(), { name: 'X' }))).toBeInstanceOf(ConflictError);
  });
});

describe('getDeal', () => {
  it('shows a deal to its owner, their manager and admins; to anyone else it is not found, like an unknown id', async () => {
    const { deps, as } = setup(repDeal({ custom_fields: { [BUDGET.id]: 7 } }));
    expect(await getDeal(deps, as.rep(), DEAL)).toMatchObject({ id: DEAL, custom_fields: { Budget: 7 } });
    expect((await getDeal(deps, as.manager(), DEAL)).id).toBe(DEAL);
    expect((await getDeal(deps, as.admin(), DEAL)).id).toBe(DEAL);
    const hidden = await rejection(getDeal(deps, as.peer(), DEAL));
    expect(hidden).toBeInstanceOf(NotFoundError);
    expect((hidden as NotFoundError).detail).toEqual({ resource: 'deal', id: DEAL });
    expect(await rejection(getDeal(deps, as.rep(), testId(101)))).toBeInstanceOf(NotFoundError);
  });

  it("hides a manager's own deal from their report", async () => {
    const { deps, as } = setup(repDeal({ owner_id: MANAGER.id }));
    expect(await rejection(getDeal(deps, as.rep(), DEAL))).toBeInstanceOf(NotFoundError);
  });
});

describe('updateDeal', () => {
  it('publishes deal.updated with the previous values of what changed, at a new version', async () => {
    const { deps, deals, as } = setup(repDeal({ name: 'Old' }));
    const updated = await updateDeal(deps, as.rep(), DEAL, { name: 'New', hot: true, custom_fields: { Priority: 'high' } });
    expect(updated).toMatchObject({
      name: 'New',
      hot: true,
      custom_fields: { Priority: 'High' },
      version: 2,
      updated_at: TEST_NOW,
    });
    expect(eventTypes(deals.events)).toEqual(['deal.updated']);
    expect(deals.events[0]!.previous).toEqual({ name: 'Old', hot: false, custom_fields: {} });
    expect(await deals.get(DEAL)).toMatchObject({ name: 'New', custom_fields: { [PRIORITY.id]: 'High' }, version: 2 });
  });

  it('writes nothing when nothing changes', async () => {
    const { deps, deals, as } = setup(repDeal({ name: 'Same' }));
    expect((await updateDeal(deps, as.rep(), DEAL, { name: 'Same' })).version).toBe(1);
    expect(deals.writes).toEqual([]);
  });

  it('moves the deal between stages: deal.stage_changed, the stay closed and the next opened, the counts moved', async () => {
    const { store, deps, deals, as } = setup(repDeal());
    const moved = await updateDeal(deps, as.manager(), DEAL, { stage_id: PROPOSAL.id });
    expect(moved).toMatchObject({ stage_id: PROPOSAL.id, last_stage_change_at: TEST_NOW, last_stage_change_by_id: MANAGER.id });
    expect(eventTypes(deals.events)).toEqual(['deal.updated', 'deal.stage_changed']);
    expect(deals.events[1]!.previous).toEqual({
      stage_id: QUALIFIED.id,
      pipeline_id: MAIN.pipeline.id,
      last_stage_change_at: CREATED,
    });
    expect(await dealStageChanges(deps, as.rep(), DEAL)).toEqual([
      expect.objectContaining({ stage_id: QUALIFIED.id, entered_at: CREATED, left_at: TEST_NOW, left_by_id: MANAGER.id }),
      expect.objectContaining({ stage_id: PROPOSAL.id, entered_at: TEST_NOW, entered_by_id: MANAGER.id, left_at: null }),
    ]);
    expect([store.stage(QUALIFIED.id)!.deal_count, store.stage(PROPOSAL.id)!.deal_count]).toEqual([0, 1]);
  });

  it('needs a loss reason to lose a deal and an unqualified reason to disqualify it, naming the field', async () => {
    const { store, deps, deals, as } = setup(repDeal());
    expect(await fieldsOf(updateDeal(deps, as.rep(), DEAL, { stage_id: LOST.id }))).toEqual(['body.loss_reason_id']);
    expect(await fieldsOf(updateDeal(deps, as.rep(), DEAL, { stage_id: UNQUALIFIED.id }))).toEqual([
      'body.unqualified_reason_id',
    ]);
    // A reason that does not exist is refused by the write, which then changes nothing.
    expect(await fieldsOf(updateDeal(deps, as.rep(), DEAL, { stage_id: LOST.id, loss_reason_id: testId(97) }))).toEqual([
      'body.loss_reason_id',
    ]);
    expect(deals.writes).toEqual([]);
    expect([store.stage(QUALIFIED.id)!.deal_count, store.stage(LOST.id)!.deal_count]).toEqual([1, 0]);

    const lost = await updateDeal(deps, as.rep(), DEAL, { stage_id: LOST.id, loss_reason_id: LOSS_REASON });
    expect(lost).toMatchObject({ stage_id: LOST.id, loss_reason_id: LOSS_REASON });
    const unqualified = await updateDeal(deps, as.rep(), DEAL, {
      stage_id: UNQUALIFIED.id,
      unqualified_reason_id: UNQUALIFIED_REASON,
    });
    expect(unqualified).toMatchObject({ loss_reason_id: null, unqualified_reason_id: UNQUALIFIED_REASON });
  });

  it('clears the loss reason when a lost deal is won, saying so in previous', async () => {
    const { deps, deals, as } = setup(repDeal({ stage_id: LOST.id, loss_reason_id: LOSS_REASON }));
    const won = await updateDeal(deps, as.rep(), DEAL, { stage_id: WON.id });
    expect(won).toMatchObject({ stage_id: WON.id, loss_reason_id: null });
    expect(deals.events[0]!.previous).toMatchObject({ stage_id: LOST.id, loss_reason_id: LOSS_REASON });
  });

  it('ignores a loss reason for a deal that is not lost', async () => {
    const { deps, deals, as } = setup(repDeal());
    expect(await updateDeal(deps, as.rep(), DEAL, { loss_reason_id: LOSS_REASON })).toMatchObject({
      loss_reason_id: null,
      version: 1,
    });
    expect(deals.writes).toEqual([]);
  });

  it("moves to another pipeline's first active stage when only the pipeline is named", async () => {
    const { deps, as } = setup(repDeal());
    expect(await updateDeal(deps, as.rep(), DEAL, { pipeline_id: OTHER.pipeline.id })).toMatchObject({
      pipeline_id: OTHER.pipeline.id,
      stage_id: INTRO.id,
    });
    expect(await fieldsOf(updateDeal(deps, as.rep(), DEAL, { stage_id: QUALIFIED.id, pipeline_id: OTHER.pipeline.id }))).toEqual([
      'body.pipeline_id',
    ]);
  });

  it('publishes deal.owner_changed when a manager reassigns to a report; a rep may not give the deal away (403)', async () => {
    const { deps, deals, as } = setup(repDeal());
    expect(await rejection(updateDeal(deps, as.rep(), DEAL, { owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    expect(await rejection(updateDeal(deps, as.manager(), DEAL, { owner_id: PEER.id }))).toBeInstanceOf(ForbiddenError);
    await updateDeal(deps, as.manager(), DEAL, { owner_id: MANAGER.id });
    expect(eventTypes(deals.events)).toEqual(['deal.updated', 'deal.owner_changed']);
    expect(deals.events[1]!.previous).toEqual({ owner_id: REP.id });
    // Now the manager's: the rep no longer sees it.
    expect(await rejection(getDeal(deps, as.rep(), DEAL))).toBeInstanceOf(NotFoundError);
  });

  it('answers not found to a caller who cannot see the deal, before any other rule', async () => {
    const { deps, deals, as } = setup(repDeal());
    expect(await rejection(updateDeal(deps, as.peer(), DEAL, { owner_id: PEER.id }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(deleteDeal(deps, as.peer(), DEAL))).toBeInstanceOf(NotFoundError);
    expect(deals.writes).toEqual([]);
  });

  it('checks a new contact in the write, naming the field', async () => {
    const { deps, as } = setup(repDeal());
    expect(await fieldsOf(updateDeal(deps, as.rep(), DEAL, { contact_id: testId(96) }))).toEqual(['body.contact_id']);
    expect((await updateDeal(deps, as.rep(), DEAL, { contact_id: PERSON, organization_id: ORG })).contact_id).toBe(PERSON);
  });

  it('answers a stale If-Match with 412 and the current deal, custom fields by name', async () => {
    const { deps, deals, as } = setup(repDeal({ version: 3, custom_fields: { [BUDGET.id]: 5 } }));
    const error = await rejection(updateDeal(deps, as.rep(), DEAL, { name: 'X' }, 2));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toMatchObject({ id: DEAL, version: 3, custom_fields: { Budget: 5 } });
    expect((await updateDeal(deps, as.rep(), DEAL, { name: 'X' }, 3)).version).toBe(4);
    expect(deals.writes).toHaveLength(1);
  });

  it('replays the patch over a change made meanwhile, keeping both, when there is no If-Match', async () => {
    const { store, deps, deals, as } = setup(repDeal());
    let concurrent = 1;
    deals.beforeWrite = () => {
      if (concurrent-- > 0) Object.assign(store.deals.get(DEAL)!, { hot: true, version: 2 });
    };
    const updated = await updateDeal(deps, as.rep(), DEAL, { name: 'Renamed' });
    expect(updated).toMatchObject({ name: 'Renamed', hot: true, version: 3 });
    expect(await deals.get(DEAL)).toMatchObject({ name: 'Renamed', hot: true, version: 3 });
    expect(deals.events.map((e) => e.previous)).toEqual([{ name: 'Deal 0100' }]);
  });

  it('with If-Match, answers a change made meanwhile with 412 and that change', async () => {
    const { store, deps, deals, as } = setup(repDeal());
    deals.beforeWrite = () => Object.assign(store.deals.get(DEAL)!, { hot: true, version: 2 });
    const error = await rejection(updateDeal(deps, as.rep(), DEAL, { name: 'Renamed' }, 1));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toMatchObject({ hot: true, name: 'Deal 0100', version: 2 });
    expect(deals.writes).toEqual([]);
  });

  it('gives up with 412 when the deal keeps changing', async () => {
    const { store, deps, deals, as } = setup(repDeal());
    let attempts = 0;
    deals.beforeWrite = () => {
      attempts++;
      store.deals.get(DEAL)!.version += 1;
    };
    expect(await rejection(updateDeal(deps, as.rep(), DEAL, { name: 'Renamed' }))).toBeInstanceOf(VersionMismatchError);
    expect(attempts).toBeGreaterThan(1);
    expect((await deals.get(DEAL))!.name).toBe('Deal 0100');
  });
});

describe('deleteDeal', () => {
  it('deletes the deal, its history and links, with deal.deleted naming the associated contacts', async () => {
    const { store, deps, deals, as } = setup(repDeal());
    await associateContact(deps, as.rep(), DEAL, { contact_id: BUYER });
    await deleteDeal(deps, as.manager(), DEAL);
    expect(store.deals.size).toBe(0);
    expect(store.stage(QUALIFIED.id)!.deal_count).toBe(0);
    expect(await deals.stageChanges(DEAL)).toEqual([]);
    expect(await deals.associatedContacts(DEAL)).toEqual([]);
    expect(eventTypes(deals.events)).toEqual(['deal.contact_associated', 'deal.deleted']);
    expect(deals.events[1]!.data).toMatchObject({ id: DEAL, associated_contact_ids: [BUYER] });
  });

  it('answers a stale If-Match with 412 and deletes nothing', async () => {
    const { deps, deals, as } = setup(repDeal({ version: 2 }));
    expect(await rejection(deleteDeal(deps, as.rep(), DEAL, 1))).toBeInstanceOf(VersionMismatchError);
    expect(await deals.get(DEAL)).toBeDefined();
  });
});

describe('associated contacts', () => {
  it('links a contact with a role, with deal.contact_associated carrying the owner, and lists it to whoever sees the deal', async () => {
    const { deps, deals, as } = setup(repDeal({ contact_id: PERSON }));
    const link = await associateContact(deps, as.rep(), DEAL, { contact_id: BUYER, role: 'Decision maker' });
    expect(link).toEqual({ deal_id: DEAL, contact_id: BUYER, role: 'Decision maker', created_at: TEST_NOW });
    expect(deals.events[0]).toMatchObject({
      metadata: { event_type: 'deal.contact_associated', resource_type: 'deal', resource_id: DEAL },
      data: { ...link, owner_id: REP.id },
    });
    expect(await listAssociatedContacts(deps, as.manager(), DEAL)).toEqual([link]);
    expect(await rejection(listAssociatedContacts(deps, as.peer(), DEAL))).toBeInstanceOf(NotFoundError);
  });

  it('refuses the primary contact (422), a contact linked already (409), an unknown contact (422), an invisible deal (404)', async () => {
    const { deps, as } = setup(repDeal({ contact_id: PERSON }));
    expect(await fieldsOf(associateContact(deps, as.rep(), DEAL, { contact_id: PERSON }))).toEqual(['body.contact_id']);
    await associateContact(deps, as.rep(), DEAL, { contact_id: BUYER });
    expect(await rejection(associateContact(deps, as.rep(), DEAL, { contact_id: BUYER }))).toBeInstanceOf(ConflictError);
    expect(await fieldsOf(associateContact(deps, as.rep(), DEAL, { contact_id: testId(95) }))).toEqual(['body.contact_id']);
    expect(await rejection(associateContact(deps, as.peer(), DEAL, { contact_id: ORG }))).toBeInstanceOf(NotFoundError);
    expect((await listAssociatedContacts(deps, as.rep(), DEAL)).map((l) => l.contact_id)).toEqual([BUYER]);
  });

  it('unlinks with deal.contact_dissociated; an unlinked contact is not found', async () => {
    const { deps, deals, as } = setup(repDeal());
    await associateContact(deps, as.rep(), DEAL, { contact_id: BUYER });
    await dissociateContact(deps, as.manager(), DEAL, BUYER);
    expect(deals.events[1]).toMatchObject({
      metadata: { event_type: 'deal.contact_dissociated' },
      data: { deal_id: DEAL, contact_id: BUYER, owner_id: REP.id },
    });
    expect(await listAssociatedContacts(deps, as.rep(), DEAL)).toEqual([]);
    expect(await rejection(dissociateContact(deps, as.rep(), DEAL, BUYER))).toBeInstanceOf(NotFoundError);
  });
});

describe('listDeals', () => {
  const many = () =>
    setup(
      makeDeal(testId(100), QUALIFIED, { owner_id: REP.id, name: 'bravo', value: '300.00', tags: ['a', 'b'] }),
      makeDeal(testId(101), PROPOSAL, { owner_id: REP.id, name: 'Alpha', value: '50.00', hot: true, tags: ['a'] }),
      makeDeal(testId(102), QUALIFIED, {
        owner_id: REP.id,
        name: 'charlie',
        value: '1000.00',
        contact_id: PERSON,
        custom_fields: { [PRIORITY.id]: 'High' },
      }),
      makeDeal(testId(103), QUALIFIED, { owner_id: MANAGER.id, name: 'Delta', value: '10.00' }),
      makeDeal(testId(104), QUALIFIED, { owner_id: PEER.id, name: 'Echo', value: '20.00' }),
    );
  const ids = (page: { items: { id: string }[] }) => page.items.map((d) => d.id);

  it("lists the caller's scope newest first; an owner outside it lists nothing, without reading", async () => {
    const { deps, deals, as } = many();
    expect(ids(await listDeals(deps, as.rep(), { limit: 10, raw: {} }))).toEqual([testId(102), testId(101), testId(100)]);
    expect(deals.queries[0]!.owners).toEqual([REP.id]);
    expect(ids(await listDeals(deps, as.manager(), { limit: 10, raw: {} }))).toEqual([
      testId(103),
      testId(102),
      testId(101),
      testId(100),
    ]);
    expect((await listDeals(deps, as.admin(), { limit: 10, raw: {} })).items).toHaveLength(5);
    expect(deals.queries[2]!.owners).toBe('all');
    expect(await listDeals(deps, as.manager(), { limit: 10, owner_id: PEER.id, raw: {} })).toEqual({
      items: [],
      next_cursor: null,
    });
    expect(deals.queries).toHaveLength(3);
  });

  it('passes the filters to the repository: amounts in minor units, tags normalised, custom fields by id', async () => {
    const { deps, deals, as } = many();
    const page = await listDeals(deps, as.rep(), {
      limit: 10,
      value_from: '100',
      value_to: 1000,
      tags: ' a, b,a',
      raw: {},
    });
    expect(deals.queries[0]).toMatchObject({ value_from_minor: 10000, value_to_minor: 100000, tags: ['a', 'b'] });
    expect(ids(page)).toEqual([testId(100)]);
    const high = await listDeals(deps, as.rep(), { limit: 10, raw: { 'custom_fields[Priority]': 'high' } });
    expect(deals.queries[1]!.custom_fields).toEqual([{ fieldId: PRIORITY.id, operator: 'eq', value: 'High' }]);
    expect(ids(high)).toEqual([testId(102)]);
    expect(ids(await listDeals(deps, as.rep(), { limit: 10, hot: true, raw: {} }))).toEqual([testId(101)]);
    expect(ids(await listDeals(deps, as.rep(), { limit: 10, stage_id: QUALIFIED.id, raw: {} }))).toEqual([
      testId(102),
      testId(100),
    ]);
  });

  it('refuses a bad amount and unknown custom field filters, naming them', async () => {
    const { deps, as } = many();
    expect(await fieldsOf(listDeals(deps, as.rep(), { limit: 10, value_from: 'lots', raw: {} }))).toEqual(['query.value_from']);
    expect(
      await fieldsOf(listDeals(deps, as.rep(), { limit: 10, raw: { 'custom_fields[Nope]': 'x', 'custom_fields[Budget]': '1' } })),
    ).toEqual(['query.custom_fields[Nope]']);
  });

  it('lists the deals of a contact, whether it is their primary or an associated contact', async () => {
    const { deps, as } = many();
    await associateContact(deps, as.rep(), testId(100), { contact_id: PERSON });
    expect(ids(await listDeals(deps, as.rep(), { limit: 10, contact_id: PERSON, raw: {} }))).toEqual([testId(102), testId(100)]);
  });

  it('sorts by value or name in memory and pages with a cursor bound to the query', async () => {
    const { deps, as } = many();
    const first = await listDeals(deps, as.manager(), { limit: 2, sort_by: 'value', sort_order: 'asc', raw: {} });
    expect(first.items.map((d) => d.value)).toEqual(['10.00', '50.00']);
    const second = await listDeals(deps, as.manager(), {
      limit: 2,
      sort_by: 'value',
      sort_order: 'asc',
      cursor: first.next_cursor!,
      raw: {},
    });
    expect(second.items.map((d) => d.value)).toEqual(['300.00', '1000.00']);
    expect(second.next_cursor).toBeNull();
    expect(
      await fieldsOf(listDeals(deps, as.manager(), { limit: 2, sort_by: 'name', cursor: first.next_cursor!, raw: {} })),
    ).toEqual(['query.cursor']);
    const byName = await listDeals(deps, as.rep(), { limit: 10, sort_by: 'name', sort_order: 'desc', raw: {} });
    expect(byName.items.map((d) => d.name)).toEqual(['charlie', 'bravo', 'Alpha']);
  });

  it(`refuses to sort more than ${MAX_SORTED_RECORDS} deals in memory, naming sort_by, and lists them by creation`, async () => {
    const deals = Array.from({ length: MAX_SORTED_RECORDS + 1 }, (_, i) =>
      makeDeal(testId(1000 + i), QUALIFIED, { owner_id: REP.id }),
    );
    const { deps, as } = setup(...deals);
    expect(await fieldsOf(listDeals(deps, as.rep(), { limit: 10, sort_by: 'value', raw: {} }))).toEqual(['query.sort_by']);
    expect((await listDeals(deps, as.rep(), { limit: 10, raw: {} })).next_cursor).not.toBeNull();
  });
});

describe('dealSummary', () => {
  const board = () => {
    const TEAM = testId(70);
    const { store, deps, as } = setup(
      makeDeal(testId(100), QUALIFIED, { owner_id: REP.id, value: '100.00' }),
      makeDeal(testId(101), QUALIFIED, { owner_id: REP.id, value: '50.50', currency: 'USD' }),
      makeDeal(testId(102), PROPOSAL, { owner_id: MANAGER.id, value: '200.00' }),
      makeDeal(testId(103), QUALIFIED, { owner_id: PEER.id, value: '1000.00' }),
      makeDeal(testId(104), WON, { owner_id: REP.id, value: '0.00' }),
      makeDeal(testId(105), INTRO, { owner_id: REP.id, value: '999.00' }),
    );
    store.seed({ teams: [makeTeam(TEAM)] });
    for (const id of [MANAGER.id, PEER.id]) store.users.get(id)!.team_id = TEAM;
    return { deps, as, TEAM };
  };
  const columns = (summary: Awaited<ReturnType<typeof dealSummary>>) =>
    summary.stages.map((s) => [s.name, s.count, Object.fromEntries(s.values.map((v) => [v.currency, v.value]))]);

  it("sums each stage of the pipeline over the caller's scope, per currency, never adding currencies", async () => {
    const { deps, as } = board();
    const mine = await dealSummary(deps, as.rep(), { pipeline_id: MAIN.pipeline.id });
    expect(mine.stages[0]).toMatchObject({ stage_id: QUALIFIED.id, category: 'active', position: 1 });
    expect(columns(mine)).toEqual([
      ['Qualified', 2, { EUR: '100.00', USD: '50.50' }],
      ['Proposal', 0, {}],
      ['Won', 1, {}],
      ['Lost', 0, {}],
      ['Unqualified', 0, {}],
    ]);
    expect(columns(await dealSummary(deps, as.manager(), { pipeline_id: MAIN.pipeline.id })).slice(0, 2)).toEqual([
      ['Qualified', 2, { EUR: '100.00', USD: '50.50' }],
      ['Proposal', 1, { EUR: '200.00' }],
    ]);
    expect(columns(await dealSummary(deps, as.admin(), { pipeline_id: MAIN.pipeline.id }))[0]).toEqual([
      'Qualified',
      3,
      { EUR: '1100.00', USD: '50.50' },
    ]);
  });

  it('narrows to an owner or a team, within the scope', async () => {
    const { deps, as, TEAM } = board();
    const peer = await dealSummary(deps, as.admin(), { pipeline_id: MAIN.pipeline.id, owner_id: PEER.id });
    expect(columns(peer).slice(0, 2)).toEqual([
      ['Qualified', 1, { EUR: '1000.00' }],
      ['Proposal', 0, {}],
    ]);
    const team = await dealSummary(deps, as.admin(), { pipeline_id: MAIN.pipeline.id, team_id: TEAM });
    expect(columns(team).slice(0, 2)).toEqual([
      ['Qualified', 1, { EUR: '1000.00' }],
      ['Proposal', 1, { EUR: '200.00' }],
    ]);
    const managersTeam = await dealSummary(deps, as.manager(), { pipeline_id: MAIN.pipeline.id, team_id: TEAM });
    expect(columns(managersTeam).slice(0, 2)).toEqual([
      ['Qualified', 0, {}],
      ['Proposal', 1, { EUR: '200.00' }],
    ]);
    const outside = await dealSummary(deps, as.rep(), { pipeline_id: MAIN.pipeline.id, owner_id: PEER.id });
    expect(outside.stages.every((s) => s.count === 0)).toBe(true);
  });

  it('answers not found for an unknown pipeline', async () => {
    const { deps, as } = board();
    expect(await rejection(dealSummary(deps, as.admin(), { pipeline_id: testId(99) }))).toBeInstanceOf(NotFoundError);
  });
});

describe('dealMover (stage deletion)', () => {
  it('moves every deal of a stage as a stage change by the caller, with history and events', async () => {
    const { store, deps, deals, as } = setup(
      makeDeal(testId(100), QUALIFIED, { owner_id: REP.id }),
      makeDeal(testId(101), QUALIFIED, { owner_id: PEER.id }),
    );
    const call = as.admin();
    expect(await dealMover(deps).moveAllDeals(store.stage(QUALIFIED.id)!, store.stage(PROPOSAL.id)!, call)).toBe(2);
    expect([store.stage(QUALIFIED.id)!.deal_count, store.stage(PROPOSAL.id)!.deal_count]).toEqual([0, 2]);
    expect(eventTypes(deals.events).filter((t) => t === 'deal.stage_changed')).toHaveLength(2);
    expect((await deals.stageChanges(testId(101))).map((s) => [s.stage_id, s.left_by_id])).toEqual([
      [QUALIFIED.id, ADMIN.id],
      [PROPOSAL.id, null],
    ]);
  });

  it('refuses a closed stage or one of another pipeline as the target, naming move_deals_to', async () => {
    const { store, deps, as } = setup(repDeal());
    const mover = dealMover(deps);
    expect(await fieldsOf(mover.moveAllDeals(store.stage(QUALIFIED.id)!, store.stage(WON.id)!, as.admin()))).toEqual([
      'query.move_deals_to',
    ]);
    expect(await fieldsOf(mover.moveAllDeals(store.stage(QUALIFIED.id)!, store.stage(INTRO.id)!, as.admin()))).toEqual([
      'query.move_deals_to',
    ]);
    expect(store.stage(QUALIFIED.id)!.deal_count).toBe(1);
  });
});
