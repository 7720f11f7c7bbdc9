import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoContactRepository } from '#shared/contacts/dynamodb.ts';
import { DynamoCustomFieldRepository } from '#shared/custom-fields/dynamodb.ts';
import { createCustomField, CustomFieldCatalog, deleteCustomField } from '#shared/custom-fields/use-cases.ts';
import { DynamoDealRepository } from '#shared/deals/dynamodb.ts';
import type { DealListQuery } from '#shared/deals/ports.ts';
import { createDeal, dealCreatedEvent, dealReferences, updateDeal, type DealsDeps } from '#shared/deals/use-cases.ts';
import type { Deal } from '#shared/deals/domain.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { ConflictError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock, type Call } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { Stage } from '#shared/pipelines/domain.ts';
import { DynamoNamedListRepository, DynamoPipelineRepository } from '#shared/pipelines/dynamodb.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { fieldsOf, makeUser, rejection } from '#test/helpers/fakes.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';
import { makeContact } from '#test/contacts/fakes.ts';
import { makeEntry, makePipeline, makeStage } from '#test/pipelines/fakes.ts';
import { makeDeal } from './fakes.ts';

// The deal repository against DynamoDB Local, through its port (and the use cases where they
// decide what it is given): the stage's deal_count, the board's counters per stage, owner and
// currency, the stage history and the associated contacts, all kept in the deal's own
// transaction; the references checked inside it, naming the field, a refusal leaving nothing;
// the lists' indexes and filters; and what each of these costs in requests.

let table: Table;
const meter = new CountingMeter();
let deals: DynamoDealRepository;
let pipelines: DynamoPipelineRepository;
let lists: DynamoNamedListRepository;
let fields: DynamoCustomFieldRepository;
let contacts: DynamoContactRepository;
let deps: DealsDeps;
let priority: { id: string };
let doomed: { id: string };
const admin = makeUser(newId(), { role: 'admin' });
const manager = makeUser(newId(), { role: 'manager' });
const repA = makeUser(newId(), { reports_to: manager.id });
const repB = makeUser(newId(), { reports_to: manager.id });
const gone = makeUser(newId(), { status: 'inactive' });
const SOURCE = newId();
const LOSS_REASON = newId();
const UNQUALIFIED_REASON = newId();
const ORG = makeContact(newId(), { is_organization: true, name: 'Acme' });
const PERSON = makeContact(newId(), { contact_id: ORG.id });
const BUYER = makeContact(newId());

const principal = (u: typeof repA, reports: string[] = []): Principal => ({
  user_id: u.id,
  email: u.email,
  role: u.role,
  direct_reports: reports,
});
const as = (u: typeof repA): Call => callContext(principal(u), 'test', systemClock, () => newId());
/** The manager, seeing both reps. */
const asManager = (): Call => callContext(principal(manager, [repA.id, repB.id]), 'test', systemClock, () => newId());
const operations = () => meter.calls.map((c) => c.operation);

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  deals = new DynamoDealRepository(table);
  pipelines = new DynamoPipelineRepository(table);
  lists = new DynamoNamedListRepository(table);
  fields = new DynamoCustomFieldRepository(table);
  contacts = new DynamoContactRepository(table);
  const users = new DynamoUserRepository(table);
  for (const u of [admin, manager, repA, repB, gone]) await users.create(u, []);
  await lists.create('source', [makeEntry(SOURCE, 'Website')], []);
  await lists.create('loss_reason', [makeEntry(LOSS_REASON, 'Price')], []);
  await lists.create('deal_unqualified_reason', [makeEntry(UNQUALIFIED_REASON, 'No budget')], []);
  for (const c of [ORG, PERSON, BUYER]) {
    const contact = { ...c, owner_id: repA.id };
    await contacts.create(contact, { owner_id: repA.id, source_id: null, contact_id: contact.contact_id }, []);
  }
  const catalog = new CustomFieldCatalog(fields);
  const fieldDeps = { customFields: fields, catalog };
  priority = await createCustomField(fieldDeps, as(admin), 'deal', { name: 'Priority', type: 'list', choices: ['High', 'Low'] });
  doomed = await createCustomField(fieldDeps, as(admin), 'deal', { name: 'Doomed', type: 'string' });
  const main = await newPipeline();
  deps = {
    deals,
    stages: pipelines,
    customFields: catalog,
    defaultPipelineId: async () => main.pipeline.id,
    defaultCurrency: async () => 'EUR',
    teamMemberIds: async () => [],
  };
  await catalog.definitions('deal'); // warm: request counts below leave the catalog out
});

/** A pipeline of its own (Qualified, Proposal, Won, Lost, Unqualified): counters start at zero. */
async function newPipeline() {
  const pipeline = makePipeline(newId(), { name: `Pipeline ${newId()}` });
  const names = [
    ['Qualified', 'active'],
    ['Proposal', 'active'],
    ['Won', 'won'],
    ['Lost', 'lost'],
    ['Unqualified', 'unqualified'],
  ] as const;
  const stages = names.map(([name, category], i) => makeStage(newId(), pipeline.id, { name, category, position: i + 1 }));
  await pipelines.createPipeline(pipeline, stages, []);
  const stage = (name: (typeof names)[number][0]): Stage => stages.find((s) => s.name === name)!;
  return { pipeline, stage };
}

/** A deal of repA in `stage`, as the use cases would build it. */
const aDeal = (stage: Stage, overrides: Partial<Deal> = {}) =>
  makeDeal(newId(), stage, { owner_id: repA.id, creator_id: repA.id, last_stage_change_by_id: repA.id, ...overrides });

/** Writes a new deal through the port, with its deal.created event. */
async function created(deal: Deal): Promise<Deal> {
  await deals.create(deal, dealReferences(deal), [dealCreatedEvent(as(repA), deal)]);
  return deal;
}

const dealCount = async (stage: Stage) => (await pipelines.get(stage.id))!.deal_count;
const valueCount = async (fieldId: string) => (await fields.get(fieldId))!.value_count;
/** The board's counters of a pipeline as [stage name, owner, currency, count, minor units]. */
async function board(p: Awaited<ReturnType<typeof newPipeline>>) {
  const names = new Map((await pipelines.ofPipeline(p.pipeline.id)).map((s) => [s.id, s.name]));
  return (await deals.stageStats(p.pipeline.id))
    .map((s) => [names.get(s.stage_id), s.owner_id, s.currency, s.count, s.value_minor])
    .sort((a, b) => String(a).localeCompare(String(b)));
}

describe('deal writes', () => {
  it('creates the deal, its first stay, the stage and board counters and the custom field count in one write', async () => {
    const p = await newPipeline();
    const before = await valueCount(priority.id);
    const deal = aDeal(p.stage('Qualified'), { value: '150.25', custom_fields: { [priority.id]: 'High' } });
    meter.reset();
    await created(deal);
    // The deal's Sell id (its sequence, one UpdateItem), then the one write.
    expect(operations()).toEqual(['UpdateItem', 'TransactWriteItems']);
    meter.reset();
    expect(await deals.get(deal.id)).toEqual(deal);
    expect(operations()).toEqual(['GetItem']);
    expect(await deals.stageChanges(deal.id)).toEqual([
      expect.objectContaining({
        deal_id: deal.id,
        stage_id: p.stage('Qualified').id,
        entered_at: deal.last_stage_change_at,
        entered_by_id: repA.id,
        left_at: null,
      }),
    ]);
    expect(await dealCount(p.stage('Qualified'))).toBe(1);
    meter.reset();
    expect(await deals.stageStats(p.pipeline.id)).toEqual([
      { stage_id: p.stage('Qualified').id, owner_id: repA.id, currency: 'EUR', count: 1, value_minor: 15025 },
    ]);
    expect(operations()).toEqual(['Query']);
    expect(await valueCount(priority.id)).toBe(before + 1);
  });

  it('moves a deal between stages in one write: the stay closed and the next opened, counts and buckets moved', async () => {
    const p = await newPipeline();
    const view = await createDeal(deps, as(repA), { name: 'Move me', pipeline_id: p.pipeline.id, value: 10 });
    meter.reset();
    await updateDeal(deps, asManager(), view.id, { stage_id: p.stage('Proposal').id });
    // The deal, the target stage, the write.
    expect(operations()).toEqual(['GetItem', 'GetItem', 'TransactWriteItems']);
    const history = await deals.stageChanges(view.id);
    expect(history.map((s) => [s.stage_id, s.entered_by_id, s.left_by_id])).toEqual([
      [p.stage('Qualified').id, repA.id, manager.id],
      [p.stage('Proposal').id, manager.id, null],
    ]);
    expect(history[0]!.left_at).toBe(history[1]!.entered_at);
    expect([await dealCount(p.stage('Qualified')), await dealCount(p.stage('Proposal'))]).toEqual([0, 1]);
    expect(await board(p)).toEqual([['Proposal', repA.id, 'EUR', 1, 1000]]);
  });

  it("keeps the board's buckets: a value change adjusts one, an owner or currency change moves the deal to another", async () => {
    const p = await newPipeline();
    const view = await createDeal(deps, as(repA), { name: 'Grow', pipeline_id: p.pipeline.id, value: '100' });
    await createDeal(deps, as(repA), { name: 'Other', pipeline_id: p.pipeline.id, value: '1' });
    await updateDeal(deps, as(repA), view.id, { value: '250.50' });
    expect(await board(p)).toEqual([['Qualified', repA.id, 'EUR', 2, 25150]]);
    await updateDeal(deps, asManager(), view.id, { owner_id: repB.id, currency: 'USD' });
    expect(await board(p)).toEqual([
      ['Qualified', repA.id, 'EUR', 1, 100],
      ['Qualified', repB.id, 'USD', 1, 25050],
    ]);
  });

  it('deletes the deal with its history and links, and the counters and field counts it held', async () => {
    const p = await newPipeline();
    const deal = await created(aDeal(p.stage('Qualified'), { value: '5', custom_fields: { [priority.id]: 'Low' } }));
    await deals.associate(deal, { deal_id: deal.id, contact_id: BUYER.id, role: null, created_at: deal.created_at }, []);
    const before = await valueCount(priority.id);
    meter.reset();
    await deals.delete(deal, []);
    // The deal's partition (to find its children) and its notes, tasks and appointments, one
    // write, then the notes, tasks and appointments again (what a concurrent write added before
    // the delete).
    expect(operations()).toEqual(['Query', 'Query', 'Query', 'Query', 'TransactWriteItems', 'Query', 'Query', 'Query']);
    expect(await deals.get(deal.id)).toBeUndefined();
    expect(await deals.stageChanges(deal.id)).toEqual([]);
    expect(await deals.associatedContacts(deal.id)).toEqual([]);
    expect(await dealCount(p.stage('Qualified'))).toBe(0);
    expect(await board(p)).toEqual([]);
    expect(await valueCount(priority.id)).toBe(before - 1);
    const ofBuyer = await deals.list({ owners: [repA.id], contact_id: BUYER.id, order: 'desc' }, { limit: 50 });
    expect(ofBuyer.items.map((d) => d.id)).not.toContain(deal.id);
  });

  it('refuses a stale version with the current deal, changing nothing', async () => {
    const p = await newPipeline();
    const deal = await created(aDeal(p.stage('Qualified')));
    const moved = { ...deal, stage_id: p.stage('Proposal').id, version: 2 };
    await deals.update(deal, { ...deal, name: 'Theirs', version: 2 }, dealReferences(deal), []);
    const error = await rejection(deals.update(deal, moved, dealReferences(moved), []));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current).toMatchObject({ id: deal.id, name: 'Theirs', version: 2 });
    expect(await rejection(deals.delete(deal, []))).toBeInstanceOf(VersionMismatchError);
    expect([await dealCount(p.stage('Qualified')), await dealCount(p.stage('Proposal'))]).toEqual([1, 0]);
    expect(await deals.stageChanges(deal.id)).toHaveLength(1);
  });
});

describe('references, checked inside the transaction', () => {
  it('refuses what a deal points at when it is missing or wrong, naming the field, and writes nothing', async () => {
    const p = await newPipeline();
    const other = await newPipeline();
    const refused: [Partial<Deal>, string][] = [
      [{ contact_id: newId() }, 'body.contact_id'],
      [{ organization_id: PERSON.id }, 'body.organization_id'],
      [{ organization_id: newId() }, 'body.organization_id'],
      [{ owner_id: gone.id }, 'body.owner_id'],
      [{ owner_id: newId() }, 'body.owner_id'],
      [{ source_id: newId() }, 'body.source_id'],
      [{ stage_id: p.stage('Lost').id, loss_reason_id: newId() }, 'body.loss_reason_id'],
      [{ stage_id: p.stage('Unqualified').id, unqualified_reason_id: newId() }, 'body.unqualified_reason_id'],
      [{ stage_id: other.stage('Qualified').id }, 'body.stage_id'],
      [{ custom_fields: { [newId()]: 'x' } }, 'body.custom_fields'],
    ];
    for (const [overrides, field] of refused) {
      const deal = aDeal(p.stage('Qualified'), overrides);
      const problems = await fieldsOf(deals.create(deal, dealReferences(deal), [dealCreatedEvent(as(repA), deal)]));
      expect(problems.map((f) => (f.startsWith('body.custom_fields.') ? 'body.custom_fields' : f))).toEqual([field]);
      expect(await deals.get(deal.id)).toBeUndefined();
    }
    for (const name of ['Qualified', 'Lost', 'Unqualified'] as const) expect(await dealCount(p.stage(name))).toBe(0);
    expect(await dealCount(other.stage('Qualified'))).toBe(0);
    expect(await board(p)).toEqual([]);
  });

  it('refuses a deleted stage (a tombstone) in the write itself, even when the read saw it live: create and move', async () => {
    const p = await newPipeline();
    const deal = await created(aDeal(p.stage('Qualified')));
    await pipelines.deleteStage(p.stage('Proposal'), [], []);
    const fresh = aDeal(p.stage('Proposal'));
    expect(await fieldsOf(deals.create(fresh, dealReferences(fresh), []))).toEqual(['body.stage_id']);
    expect(await deals.get(fresh.id)).toBeUndefined();
    const moved = { ...deal, stage_id: p.stage('Proposal').id, version: 2 };
    expect(await fieldsOf(deals.update(deal, moved, dealReferences(moved), []))).toEqual(['body.stage_id']);
    expect(await deals.get(deal.id)).toMatchObject({ stage_id: p.stage('Qualified').id, version: 1 });
    expect(await pipelines.get(p.stage('Proposal').id)).toMatchObject({ deal_count: 0, deleted_at: expect.any(String) });
    expect(await dealCount(p.stage('Qualified'))).toBe(1);
  });

  it('accepts every reference when it holds', async () => {
    const p = await newPipeline();
    const deal = await created(
      aDeal(p.stage('Lost'), {
        contact_id: PERSON.id,
        organization_id: ORG.id,
        source_id: SOURCE,
        loss_reason_id: LOSS_REASON,
      }),
    );
    expect(await deals.get(deal.id)).toEqual(deal);
    const unqualified = await created(aDeal(p.stage('Unqualified'), { unqualified_reason_id: UNQUALIFIED_REASON }));
    expect((await deals.get(unqualified.id))!.unqualified_reason_id).toBe(UNQUALIFIED_REASON);
  });

  it('refuses a value for a custom field deleted meanwhile, naming it', async () => {
    const p = await newPipeline();
    const catalog = new CustomFieldCatalog(fields);
    await deleteCustomField({ customFields: fields, catalog }, as(admin), 'deal', doomed.id);
    const deal = aDeal(p.stage('Qualified'), { custom_fields: { [doomed.id]: 'x' } });
    expect(await fieldsOf(deals.create(deal, dealReferences(deal), []))).toEqual([`body.custom_fields.${doomed.id}`]);
    expect(await deals.get(deal.id)).toBeUndefined();
  });

  it('re-checks on update only the references that changed', async () => {
    const p = await newPipeline();
    const source = newId();
    await lists.create('source', [makeEntry(source, `Fair ${source}`)], []);
    const deal = await created(aDeal(p.stage('Qualified'), { source_id: source }));
    await lists.delete('source', (await lists.get('source', source))!, []);
    const renamed = { ...deal, name: 'Renamed', version: 2 };
    await deals.update(deal, renamed, dealReferences(renamed), []);
    expect((await deals.get(deal.id))!.name).toBe('Renamed');
    const elsewhere = { ...renamed, contact_id: newId(), version: 3 };
    expect(await fieldsOf(deals.update(renamed, elsewhere, dealReferences(elsewhere), []))).toEqual(['body.contact_id']);
    expect((await deals.get(deal.id))!.version).toBe(2);
  });
});

describe('a contact deleted while a deal is linked to it', () => {
  it('never leaves a deal naming a deleted contact, whichever lands first', async () => {
    for (let round = 0; round < 5; round++) {
      const contact = { ...makeContact(newId(), { last_name: `Racer ${round}` }), owner_id: repA.id };
      await contacts.create(contact, { owner_id: repA.id, source_id: null, contact_id: null }, []);
      const [linked, deleted] = await Promise.allSettled([
        createDeal(deps, as(repA), { name: `Race ${round}`, contact_id: contact.id }),
        contacts.delete(contact, []),
      ]);
      expect(deleted.status).toBe('fulfilled');
      // Linked before the delete: unlinked by it (or by its sweep); after it: refused.
      if (linked.status === 'fulfilled') expect(await deals.get(linked.value.id)).toMatchObject({ contact_id: null });
      const left = await deals.list({ owners: 'all', contact_id: contact.id, order: 'desc' }, { limit: 10 });
      expect(left.items).toEqual([]);
    }
  });
});

describe('associated contacts', () => {
  it('links a contact once, if it exists and the deal kept its owner, and unlinks it', async () => {
    const p = await newPipeline();
    const deal = await created(aDeal(p.stage('Qualified'), { contact_id: PERSON.id }));
    const link = { deal_id: deal.id, contact_id: BUYER.id, role: 'Champion', created_at: deal.created_at };
    meter.reset();
    await deals.associate(deal, link, []);
    expect(operations()).toEqual(['TransactWriteItems']);
    meter.reset();
    expect(await deals.associatedContacts(deal.id)).toEqual([link]);
    expect(operations()).toEqual(['Query']);
    expect(await rejection(deals.associate(deal, link, []))).toBeInstanceOf(ConflictError);
    expect(await fieldsOf(deals.associate(deal, { ...link, contact_id: newId() }, []))).toEqual(['body.contact_id']);
    const stale = { ...deal, owner_id: repB.id };
    expect(await rejection(deals.associate(stale, { ...link, contact_id: ORG.id }, []))).toBeInstanceOf(ConflictError);
    await deals.dissociate(deal, BUYER.id, []);
    expect(await deals.associatedContacts(deal.id)).toEqual([]);
    expect(await rejection(deals.dissociate(deal, BUYER.id, []))).toBeInstanceOf(NotFoundError);
  });

  it("lists a contact's deals, primary or associated, in one query and one batch read, following owner changes", async () => {
    const p = await newPipeline();
    const contact = makeContact(newId(), { owner_id: repA.id });
    await contacts.create(contact, { owner_id: repA.id, source_id: null, contact_id: null }, []);
    const primary = await created(aDeal(p.stage('Qualified'), { contact_id: contact.id }));
    const linked = await created(aDeal(p.stage('Qualified')));
    await deals.associate(linked, { deal_id: linked.id, contact_id: contact.id, role: null, created_at: linked.created_at }, []);
    const ofContact = (owners: DealListQuery['owners']) =>
      deals.list({ owners, contact_id: contact.id, order: 'desc' }, { limit: 10 }).then((page) => page.items.map((d) => d.id));
    meter.reset();
    expect(await ofContact([repA.id])).toEqual([linked.id, primary.id]);
    expect(operations()).toEqual(['Query', 'BatchGetItem']);
    // The links carry the deal's owner: they follow it when the deal changes hands.
    await updateDeal(deps, asManager(), linked.id, { owner_id: repB.id });
    expect(await ofContact([repA.id])).toEqual([primary.id]);
    expect(await ofContact([repB.id])).toEqual([linked.id]);
    expect(await ofContact('all')).toEqual([linked.id, primary.id]);
  });
});

describe('lists', () => {
  // Owners of their own, so that their partitions hold these deals only.
  const listA = makeUser(newId());
  const listB = makeUser(newId());
  const both = [listA.id, listB.id];
  const tag = `t${newId()}`;
  let p: Awaited<ReturnType<typeof newPipeline>>;
  const made: Record<string, Deal> = {};
  beforeAll(async () => {
    const users = new DynamoUserRepository(table);
    for (const u of [listA, listB]) await users.create(u, []);
    p = await newPipeline();
    const make = async (key: string, overrides: Partial<Deal>) => {
      made[key] = await created(aDeal(p.stage('Qualified'), { owner_id: listA.id, tags: [tag], ...overrides }));
    };
    await make('a1', { value: '100', hot: true, estimated_close_date: '2031-05-01' });
    await make('a2', { value: '20', source_id: SOURCE, custom_fields: { [priority.id]: 'High' } });
    await make('a3', { value: '300', stage_id: p.stage('Proposal').id, organization_id: ORG.id, tags: [tag, 'vip'] });
    await make('b1', { owner_id: listB.id, value: '40', estimated_close_date: '2031-06-01' });
    await make('b2', { owner_id: listB.id, value: '500', stage_id: p.stage('Proposal').id });
  });
  const query = (q: Partial<DealListQuery>): DealListQuery => ({ owners: both, order: 'desc', ...q });
  const ids = (page: { items: Deal[] }) => page.items.map((d) => d.id);
  const idsOf = (...keys: string[]) => keys.map((k) => made[k]!.id);

  it("reads one owner's partition in one query, newest first; a manager's scope one query per owner, paged", async () => {
    meter.reset();
    expect(ids(await deals.list(query({ owners: [listA.id] }), { limit: 10 }))).toEqual(idsOf('a3', 'a2', 'a1'));
    expect(operations()).toEqual(['Query']);
    meter.reset();
    const first = await deals.list(query({}), { limit: 3 });
    expect(operations()).toEqual(['Query', 'Query']);
    expect(ids(first)).toEqual(idsOf('b2', 'b1', 'a3'));
    const second = await deals.list(query({}), { limit: 3, cursor: first.next_cursor! });
    expect(ids(second)).toEqual(idsOf('a2', 'a1'));
    expect(second.next_cursor).toBeNull();
    expect(ids(await deals.list(query({ owners: [listA.id], order: 'asc' }), { limit: 10 }))).toEqual(idsOf('a1', 'a2', 'a3'));
  });

  it("reads a stage's partition, for everyone or per owner in scope, in one query each", async () => {
    meter.reset();
    expect(ids(await deals.list(query({ owners: 'all', stage_id: p.stage('Proposal').id }), { limit: 10 }))).toEqual(
      idsOf('b2', 'a3'),
    );
    expect(operations()).toEqual(['Query']);
    meter.reset();
    expect(ids(await deals.list(query({ owners: [listA.id], stage_id: p.stage('Proposal').id }), { limit: 10 }))).toEqual(
      idsOf('a3'),
    );
    expect(operations()).toEqual(['Query']);
  });

  it('filters on pipeline, hot, source, close dates, amounts, tags, custom fields and organisation', async () => {
    const other = await newPipeline();
    const find = async (q: Partial<DealListQuery>) => ids(await deals.list(query(q), { limit: 10 }));
    expect(await find({ pipeline_id: p.pipeline.id })).toEqual(idsOf('b2', 'b1', 'a3', 'a2', 'a1'));
    expect(await find({ pipeline_id: other.pipeline.id })).toEqual([]);
    expect(await find({ hot: true })).toEqual(idsOf('a1'));
    expect(await find({ source_id: SOURCE })).toEqual(idsOf('a2'));
    expect(await find({ estimated_close_date_from: '2031-05-15' })).toEqual(idsOf('b1'));
    expect(await find({ estimated_close_date_to: '2031-05-15' })).toEqual(idsOf('a1'));
    expect(await find({ value_from_minor: 4000, value_to_minor: 30000 })).toEqual(idsOf('b1', 'a3', 'a1'));
    expect(await find({ tags: [tag, 'vip'] })).toEqual(idsOf('a3'));
    expect(await find({ custom_fields: [{ fieldId: priority.id, operator: 'eq', value: 'High' }] })).toEqual(idsOf('a2'));
    meter.reset();
    expect(await find({ organization_id: ORG.id })).toEqual(idsOf('a3'));
    expect(operations()).toEqual(['Query']);
  });

  it("gives a stage's deal ids oldest first, and collects matches up to a bound, saying when it stopped", async () => {
    expect(await deals.idsInStage(p.stage('Qualified').id, 2)).toEqual(idsOf('a1', 'a2'));
    expect(await deals.collect(query({ owners: [listA.id] }), 2)).toMatchObject({ truncated: true, items: { length: 2 } });
    expect(await deals.collect(query({ owners: [listA.id] }), 3)).toMatchObject({ truncated: false, items: { length: 3 } });
  });

  it('binds a cursor to the list it came from', async () => {
    const first = await deals.list(query({ owners: [listA.id] }), { limit: 1 });
    expect(await fieldsOf(deals.list(query({ owners: [listB.id] }), { limit: 1, cursor: first.next_cursor! }))).toEqual([
      'query.cursor',
    ]);
  });
});
