import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoContactRepository } from '#shared/contacts/dynamodb.ts';
import { listContacts, type ContactListRequest, type ContactsDeps } from '#shared/contacts/use-cases.ts';
import type { Contact } from '#shared/contacts/domain.ts';
import { DynamoCustomFieldRepository } from '#shared/custom-fields/dynamodb.ts';
import { CustomFieldCatalog } from '#shared/custom-fields/use-cases.ts';
import { DynamoDealRepository } from '#shared/deals/dynamodb.ts';
import { dealCreatedEvent, dealReferences, listDeals, type DealListRequest, type DealsDeps } from '#shared/deals/use-cases.ts';
import type { Deal } from '#shared/deals/domain.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock, type Call, type Page } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { DynamoLeadRepository } from '#shared/leads/dynamodb.ts';
import { listLeads, type LeadListRequest, type LeadsDeps } from '#shared/leads/use-cases.ts';
import type { Lead } from '#shared/leads/domain.ts';
import { DynamoNoteRepository } from '#shared/notes/dynamodb.ts';
import type { Note } from '#shared/notes/domain.ts';
import type { Task } from '#shared/tasks/domain.ts';
import { DynamoTaskRepository } from '#shared/tasks/dynamodb.ts';
import { DynamoNamedListRepository, DynamoPipelineRepository } from '#shared/pipelines/dynamodb.ts';
import type { Stage } from '#shared/pipelines/domain.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { indexPartitions } from '#shared/platform/dynamodb/partitions.ts';
import { PAGE_BUDGET, type Table } from '#shared/platform/dynamodb/table.ts';
import { makeUser } from '#test/helpers/fakes.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';
import { makeContact, makeLead } from '#test/contacts/fakes.ts';
import { makeDeal } from '#test/deals/fakes.ts';
import { makeNote } from '#test/notes/fakes.ts';
import { makeTask } from '#test/tasks/fakes.ts';
import { makeEntry, makePipeline, makeStage } from '#test/pipelines/fakes.ts';

// Walking a list (following next_cursor to the end) against DynamoDB Local, through the list
// use cases: every order pages by keyset, so records inserted or deleted during a walk never
// shift it (issue 10, item 2); filtered lists never answer an empty page while more match
// within the read budget, and a walk's cost is bounded (item 3); deals by contact with other
// filters keep the deals linked through associations.

let table: Table;
const meter = new CountingMeter();
let deals: DynamoDealRepository;
let leads: DynamoLeadRepository;
let contacts: DynamoContactRepository;
let notes: DynamoNoteRepository;
let tasks: DynamoTaskRepository;
let pipelines: DynamoPipelineRepository;
let dealDeps: DealsDeps;
let leadDeps: LeadsDeps;
let contactDeps: ContactsDeps;
const admin = makeUser(newId(), { role: 'admin' });
const manager = makeUser(newId(), { role: 'manager' });
const solo = makeUser(newId(), { reports_to: manager.id });
const other = makeUser(newId(), { reports_to: manager.id });
const outsider = makeUser(newId());
const SOURCE = newId();

const principal = (u: typeof solo): Principal => ({
  user_id: u.id,
  email: u.email,
  role: u.role,
  direct_reports: u.id === manager.id ? [solo.id, other.id] : [],
});
const as = (u: typeof solo): Call => callContext(principal(u), 'test', systemClock, () => newId());
const queries = () => meter.calls.filter((c) => c.operation === 'Query').length;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  deals = new DynamoDealRepository(table);
  leads = new DynamoLeadRepository(table);
  contacts = new DynamoContactRepository(table);
  notes = new DynamoNoteRepository(table);
  tasks = new DynamoTaskRepository(table);
  pipelines = new DynamoPipelineRepository(table);
  const users = new DynamoUserRepository(table);
  for (const u of [admin, manager, solo, other, outsider]) await users.create(u, []);
  await new DynamoNamedListRepository(table).create('source', [makeEntry(SOURCE, 'Website')], []);
  const catalog = new CustomFieldCatalog(new DynamoCustomFieldRepository(table));
  const main = await newPipeline();
  dealDeps = {
    deals,
    stages: pipelines,
    customFields: catalog,
    defaultPipelineId: async () => main.pipeline.id,
    defaultCurrency: async () => 'EUR',
    teamMemberIds: async () => [],
  };
  const noFields = { definitions: async () => [] };
  leadDeps = { leads, customFields: noFields };
  contactDeps = { contacts, customFields: noFields, deals: { ofContact: async () => ({ items: [], next_cursor: null }) } };
});

async function newPipeline() {
  const pipeline = makePipeline(newId(), { name: `Pipeline ${newId()}` });
  const stages = [makeStage(newId(), pipeline.id, { name: 'Qualified', category: 'active', position: 1 })];
  await pipelines.createPipeline(pipeline, stages, []);
  return { pipeline, stage: stages[0] as Stage };
}

async function aDeal(stage: Stage, owner: typeof solo, overrides: Partial<Deal> = {}): Promise<Deal> {
  const deal = makeDeal(newId(), stage, {
    owner_id: owner.id,
    creator_id: owner.id,
    last_stage_change_by_id: owner.id,
    ...overrides,
  });
  await deals.create(deal, dealReferences(deal), [dealCreatedEvent(as(owner), deal)]);
  return deal;
}

async function aLead(owner: typeof solo, overrides: Partial<Lead> = {}): Promise<Lead> {
  const lead = makeLead(newId(), { owner_id: owner.id, creator_id: owner.id, ...overrides });
  await leads.create(lead, { owner_id: owner.id, source_id: lead.source_id, unqualified_reason_id: null }, []);
  return lead;
}

async function aContact(owner: typeof solo, overrides: Partial<Contact> = {}): Promise<Contact> {
  const contact = makeContact(newId(), { owner_id: owner.id, creator_id: owner.id, ...overrides });
  await contacts.create(contact, { owner_id: owner.id, source_id: contact.source_id, contact_id: contact.contact_id }, []);
  return contact;
}

/** Every page of a walk, following next_cursor; `between` runs after the first page. */
async function walk<T>(
  list: (cursor: string | undefined) => Promise<Page<T>>,
  between: () => Promise<void> = async () => {},
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push(page.items);
    if (pages.length === 1) await between();
    cursor = page.next_cursor ?? undefined;
    if (pages.length > 200) throw new Error('the walk does not end');
  } while (cursor);
  return pages;
}

const names = (items: readonly { name: string }[]) => items.map((d) => d.name);
const idsOf = (pages: readonly (readonly { id: string }[])[]) => pages.flat().map((r) => r.id);

describe('sorted lists page by keyset', () => {
  it('issue 10 instance: deleting a returned deal during a walk by name does not skip the next one', async () => {
    const p = await newPipeline();
    const drift: Deal[] = [];
    for (const letter of 'ABCDE') drift.push(await aDeal(p.stage, solo, { name: `Drift ${letter}` }));
    const list = (cursor?: string) =>
      listDeals(dealDeps, as(solo), {
        limit: 2,
        pipeline_id: p.pipeline.id,
        sort_by: 'name',
        sort_order: 'asc',
        cursor,
        raw: {},
      });
    const first = await list();
    expect(names(first.items)).toEqual(['Drift A', 'Drift B']);
    await deals.delete(drift[0] as Deal, []);
    const second = await list(first.next_cursor!);
    expect(names(second.items)).toEqual(['Drift C', 'Drift D']);
    expect(names((await list(second.next_cursor!)).items)).toEqual(['Drift E']);
  });

  /** Deals whose `field` orders them 0..4, so each sort has a known order. */
  /** Deals whose field orders them by i (0..7); -1 sorts before them all (created_at: none can). */
  const dealSorts: [DealListRequest['sort_by'] & string, (i: number) => Partial<Deal>][] = [
    ['name', (i) => ({ name: `Walk ${i}` })],
    ['value', (i) => ({ value: `${(i + 2) * 100}.00` })],
    ['estimated_close_date', (i) => ({ estimated_close_date: `2031-02-0${i + 2}` })],
    ['updated_at', (i) => ({ updated_at: `2031-03-0${i + 2}T00:00:00.000Z` })],
    ['last_stage_change_at', (i) => ({ last_stage_change_at: `2031-04-0${i + 2}T00:00:00.000Z` })],
    ['created_at', () => ({})],
  ];

  for (const [sortBy, valueOf] of dealSorts) {
    for (const order of ['asc', 'desc'] as const) {
      it(`walks deals by ${sortBy} ${order} exactly once per record while others are inserted and deleted`, async () => {
        const p = await newPipeline();
        const made: Deal[] = [];
        for (let i = 0; i < 6; i++) made.push(await aDeal(p.stage, solo, valueOf(i)));
        const inOrder = order === 'asc' ? made : [...made].reverse();
        const list = (cursor?: string) =>
          listDeals(dealDeps, as(solo), {
            limit: 2,
            pipeline_id: p.pipeline.id,
            sort_by: sortBy,
            sort_order: order,
            cursor,
            raw: {},
          });
        let inserted: Deal | undefined;
        const pages = await walk(list, async () => {
          await deals.delete(inOrder[0] as Deal, []); // returned already
          await deals.delete(inOrder[3] as Deal, []); // not yet returned
          // Ahead of the cursor: last in the walk's order (created_at: the newest, last only in asc).
          inserted = await aDeal(p.stage, solo, valueOf(order === 'asc' ? 7 : -1));
        });
        const seen = idsOf(pages);
        expect(new Set(seen).size).toBe(seen.length);
        const throughout = inOrder.filter((_, i) => i !== 0 && i !== 3).map((d) => d.id);
        expect(seen.filter((id) => id !== inOrder[0]?.id && id !== inserted?.id)).toEqual(throughout);
        expect(seen).not.toContain(inOrder[3]?.id);
        // Inserted ahead of the cursor's place: found; behind it: not.
        expect(seen.includes(inserted!.id)).toBe(sortBy !== 'created_at' || order === 'asc');
        expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
      });
    }
  }

  it('pages through deals sharing a sort value by id, each once', async () => {
    const p = await newPipeline();
    const same: Deal[] = [];
    for (let i = 0; i < 5; i++) same.push(await aDeal(p.stage, solo, { name: 'Same name' }));
    const list = (cursor?: string) =>
      listDeals(dealDeps, as(solo), {
        limit: 2,
        pipeline_id: p.pipeline.id,
        sort_by: 'name',
        sort_order: 'desc',
        cursor,
        raw: {},
      });
    const pages = await walk(list, async () => {
      await deals.delete(same[4] as Deal, []);
    });
    expect(idsOf(pages)).toEqual(same.map((d) => d.id).reverse());
  });

  const letter = (i: number) => 'abcdefgh'[i];
  const leadSorts: [NonNullable<LeadListRequest['sort_by']>, (i: number) => Partial<Lead>][] = [
    ['first_name', (i) => ({ first_name: `Walker ${letter(i)}` })],
    ['last_name', (i) => ({ last_name: `Walker ${letter(i)}` })],
    ['organization_name', (i) => ({ organization_name: `Walker ${letter(i)}` })],
    ['updated_at', (i) => ({ updated_at: `2031-03-0${i + 1}T00:00:00.000Z` })],
    ['created_at', () => ({})],
  ];
  for (const [sortBy, valueOf] of leadSorts) {
    it(`walks leads by ${sortBy} exactly once per record under inserts and deletes`, async () => {
      const source = newId();
      await new DynamoNamedListRepository(table).create('source', [makeEntry(source, `S ${source}`)], []);
      const made: Lead[] = [];
      for (let i = 0; i < 6; i++) made.push(await aLead(solo, { ...valueOf(i), source_id: source }));
      const request = (cursor?: string): LeadListRequest => ({
        limit: 2,
        source_id: source,
        sort_by: sortBy,
        sort_order: 'asc',
        cursor,
        raw: {},
      });
      let inserted: Lead | undefined;
      const pages = await walk(
        (cursor) => listLeads(leadDeps, as(solo), request(cursor)),
        async () => {
          await leads.delete(made[0] as Lead, []);
          await leads.delete(made[3] as Lead, []);
          inserted = await aLead(solo, { ...valueOf(7), source_id: source });
        },
      );
      expect(idsOf(pages)).toEqual([made[0], made[1], made[2], made[4], made[5], inserted].map((l) => l?.id));
    });
  }

  const contactSorts: [NonNullable<ContactListRequest['sort_by']>, (i: number) => Partial<Contact>][] = [
    ['name', (i) => ({ name: `Walker ${i}` })],
    ['first_name', (i) => ({ first_name: `Walker ${i}` })],
    ['last_name', (i) => ({ last_name: `Walker ${i}` })],
    ['updated_at', (i) => ({ updated_at: `2031-03-0${i + 2}T00:00:00.000Z` })],
    ['created_at', () => ({})],
  ];
  for (const [sortBy, valueOf] of contactSorts) {
    it(`walks contacts by ${sortBy} newest or highest first exactly once per record under inserts and deletes`, async () => {
      const made: Contact[] = [];
      const tag = `walk-${newId()}`.toLowerCase();
      for (let i = 0; i < 6; i++) made.push(await aContact(solo, { ...valueOf(i), tags: [tag] }));
      let inserted: Contact | undefined;
      const pages = await walk(
        (cursor) =>
          listContacts(contactDeps, as(solo), { limit: 2, tags: tag, sort_by: sortBy, sort_order: 'desc', cursor, raw: {} }),
        async () => {
          await contacts.delete(made[5] as Contact, []); // returned already
          await contacts.delete(made[2] as Contact, []); // not yet
          // Last in this order, ahead of the cursor (created_at: the newest, behind it).
          inserted = await aContact(solo, { ...valueOf(-1), tags: [tag] });
        },
      );
      const expected = [made[5], made[4], made[3], made[1], made[0], ...(sortBy === 'created_at' ? [] : [inserted])];
      expect(idsOf(pages)).toEqual(expected.map((c) => c?.id));
    });
  }

  it("walks a record's notes and an assignee's tasks (index orders) exactly once under inserts and deletes", async () => {
    const lead = await aLead(solo);
    const ref = { resource_type: 'lead' as const, resource_id: lead.id };
    const made: Note[] = [];
    for (let i = 0; i < 6; i++) {
      const note = makeNote(newId(), ref, { creator_id: solo.id });
      await notes.create(note, solo.id, []);
      made.push(note);
    }
    const notePages = await walk(
      (cursor) => notes.ofRecord(ref, { limit: 2, cursor }),
      async () => {
        await notes.delete(made[5]!, []); // newest: returned first
        await notes.delete(made[2]!, []);
        await notes.create(makeNote(newId(), ref, { creator_id: solo.id }), solo.id, []); // newest: before the cursor
      },
    );
    expect(idsOf(notePages)).toEqual([made[5], made[4], made[3], made[1], made[0]].map((n) => n?.id));

    const assignee = makeUser(newId());
    await new DynamoUserRepository(table).create(assignee, []);
    const due = (i: number) => `2031-05-0${i + 1}T09:00:00.000Z`;
    const taskList: Task[] = [];
    for (let i = 0; i < 6; i++) {
      const task = makeTask(newId(), { owner_id: assignee.id, creator_id: assignee.id, due_date: due(i) });
      await tasks.create(task, null, []);
      taskList.push(task);
    }
    let late: { id: string } | undefined;
    const now = new Date('2031-01-01T00:00:00.000Z');
    const taskPages = await walk(
      (cursor) => tasks.list({ owners: [assignee.id], filter: {}, now }, { limit: 2, cursor }),
      async () => {
        await tasks.delete(taskList[0]!, []);
        await tasks.delete(taskList[3]!, []);
        const task = makeTask(newId(), { owner_id: assignee.id, creator_id: assignee.id, due_date: due(8) });
        await tasks.create(task, null, []);
        late = task;
      },
    );
    expect(idsOf(taskPages)).toEqual([taskList[0], taskList[1], taskList[2], taskList[4], taskList[5], late].map((t) => t?.id));
  });
});

describe('filtered lists answer no empty page while more match', () => {
  let p: Awaited<ReturnType<typeof newPipeline>>;
  let mine: Deal[];
  beforeAll(async () => {
    // Older deals first (ids are ULIDs), then a new pipeline with 3 of solo's deals: read
    // oldest first, the filter has ~40 of solo's and ~120 of everyone's deals to pass.
    const busy = await newPipeline();
    for (let i = 0; i < 40; i++) await aDeal(busy.stage, solo, { hot: i % 2 === 0 });
    for (let i = 0; i < 40; i++) await aDeal(busy.stage, other);
    for (let i = 0; i < 40; i++) await aDeal(busy.stage, outsider);
    p = await newPipeline();
    mine = [];
    for (let i = 0; i < 3; i++)
      mine.push(await aDeal(p.stage, solo, { tags: ['fjord'], source_id: SOURCE, hot: true, value: '900.00' }));
  });

  for (const [role, who] of [
    ['a rep', () => solo],
    ['a manager', () => manager],
    ['an admin', () => admin],
  ] as const) {
    it(`issue 10 instance: walks 3 deals of a new pipeline in 2 pages, oldest first, as ${role}`, async () => {
      meter.reset();
      const pages = await walk((cursor) =>
        listDeals(dealDeps, as(who()), { limit: 2, pipeline_id: p.pipeline.id, sort_order: 'asc', cursor, raw: {} }),
      );
      expect(pages.map((page) => page.map((d) => d.id))).toEqual([[mine[0]!.id, mine[1]!.id], [mine[2]!.id]]);
      // Per call at most PAGE_BUDGET.rounds Queries per owner in scope.
      const partitions = who() === manager ? 3 : 1;
      expect(queries()).toBeLessThanOrEqual(pages.length * PAGE_BUDGET.rounds * partitions);
    });
  }

  for (const [filter, request] of [
    ['tags', { tags: 'fjord' }],
    ['source_id', { source_id: SOURCE }],
    ['value range', { value_from: '900', value_to: '900' }],
    ['hot, newest first', { hot: true, sort_order: 'desc' as const, owner_id: undefined }],
  ] as const) {
    it(`answers no empty page before the end when filtering deals by ${filter}`, async () => {
      for (const u of [solo, manager, admin]) {
        const pages = await walk((cursor) =>
          listDeals(dealDeps, as(u), { limit: 2, sort_order: 'asc', ...request, cursor, raw: {} }),
        );
        expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
        expect(pages.at(-1)!.length).toBeGreaterThan(0);
      }
    });
  }

  it('answers no empty page before the end when filtering leads and contacts', async () => {
    const source = newId();
    await new DynamoNamedListRepository(table).create('source', [makeEntry(source, `S ${source}`)], []);
    for (let i = 0; i < 30; i++) await aLead(i % 2 ? solo : other);
    for (let i = 0; i < 30; i++) await aContact(i % 2 ? solo : other);
    const leadsMade = [await aLead(solo, { source_id: source }), await aLead(other, { source_id: source })];
    const orgs = [await aContact(solo, { is_organization: true, name: 'Fjord AS' })];
    for (const u of [solo, manager, admin]) {
      const leadPages = await walk((cursor) =>
        listLeads(leadDeps, as(u), { limit: 1, source_id: source, sort_order: 'asc', cursor, raw: {} }),
      );
      const expected = leadsMade.filter((l) => u !== solo || l.owner_id === solo.id).map((l) => l.id);
      expect(leadPages.map((page) => page.map((l) => l.id))).toEqual(expected.map((id) => [id]));
      const orgPages = await walk((cursor) =>
        listContacts(contactDeps, as(u), { limit: 1, is_organization: true, sort_order: 'asc', cursor, raw: {} }),
      );
      expect(orgPages.slice(0, -1).every((page) => page.length === 1)).toBe(true);
      expect(orgPages.flat().map((c) => c.id)).toContain(orgs[0]!.id);
    }
  });

  it('answers no empty page before the end when filtering users by status', async () => {
    const users = new DynamoUserRepository(table);
    for (let i = 0; i < 20; i++) await users.create(makeUser(newId()), []);
    const gone = [makeUser(newId(), { status: 'inactive' }), makeUser(newId(), { status: 'inactive' })];
    for (const u of gone) await users.create(u, []);
    const pages = await walk((cursor) => users.list({ limit: 1, status: 'inactive', ...(cursor ? { cursor } : {}) }));
    expect(pages.map((page) => page.map((u) => u.id))).toEqual([[gone[0]!.id], [gone[1]!.id]]);
  });

  it('answers an empty page with a cursor only when the read budget ran out, and the walk still finds every match', async () => {
    const partition = indexPartitions<[id: string]>(INDEX.owner, 'budget')(newId());
    for (let i = 0; i < 60; i++) {
      await table.write([
        {
          type: 'put',
          item: {
            pk: `budget#${newId()}`,
            sk: 'x',
            gsi1pk: partition.pk,
            gsi1sk: `k${String(i).padStart(3, '0')}`,
            hit: i >= 55,
          },
        },
      ]);
    }
    const request = {
      partitions: [partition],
      order: 'asc' as const,
      limit: 2,
      filter: { expression: 'hit = :t', values: { ':t': true } },
    };
    const budget = { items: 20, rounds: 4 };
    const pages: number[] = [];
    let cursor: string | undefined;
    do {
      meter.reset();
      const page = await table.page({ ...request, cursor }, budget);
      expect(queries()).toBeLessThanOrEqual(budget.rounds);
      pages.push(page.items.length);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    // 55 misses at 20 items a call: two empty pages, then the 5 hits in pages of 2.
    expect(pages).toEqual([0, 0, 2, 2, 1]);
    // An in-memory sort collects every match within its own budget, or says it could not.
    const { limit: _limit, ...all } = request;
    expect(await table.collect(all, 10, { items: 20, rounds: 10 })).toMatchObject({ truncated: true });
    expect(await table.collect(all, 10, { items: 100, rounds: 10 })).toMatchObject({ truncated: false, items: { length: 5 } });
    expect(await table.collect(all, 4, { items: 100, rounds: 10 })).toMatchObject({ truncated: true, items: { length: 4 } });
  });
});

describe('deals by contact with other filters', () => {
  it('keeps the deals linked through associations (their links carry only the owner)', async () => {
    const p = await newPipeline();
    const elsewhere = await newPipeline();
    const contact = await aContact(solo);
    const primary = await aDeal(p.stage, solo, { contact_id: contact.id, hot: true });
    const linked = await aDeal(p.stage, other, { hot: true });
    const linkedElsewhere = await aDeal(elsewhere.stage, solo, { hot: true });
    const linkedCold = await aDeal(p.stage, solo);
    for (const deal of [linked, linkedElsewhere, linkedCold]) {
      await deals.associate(deal, { deal_id: deal.id, contact_id: contact.id, role: null, created_at: deal.created_at }, []);
    }
    const list = (u: typeof solo, request: Partial<DealListRequest>) =>
      walk((cursor) =>
        listDeals(dealDeps, as(u), { limit: 1, contact_id: contact.id, sort_order: 'asc', ...request, cursor, raw: {} }),
      );
    expect(idsOf(await list(manager, { pipeline_id: p.pipeline.id }))).toEqual([primary.id, linked.id, linkedCold.id]);
    expect(idsOf(await list(admin, { pipeline_id: p.pipeline.id, hot: true }))).toEqual([primary.id, linked.id]);
    expect(idsOf(await list(solo, { pipeline_id: p.pipeline.id, hot: true }))).toEqual([primary.id]);
    expect(idsOf(await list(solo, { hot: true }))).toEqual([primary.id, linkedElsewhere.id]);
    expect(idsOf(await list(admin, { stage_id: p.stage.id, sort_by: 'created_at' }))).toEqual([
      primary.id,
      linked.id,
      linkedCold.id,
    ]);
    expect(idsOf(await list(admin, { pipeline_id: p.pipeline.id, sort_by: 'name' }))).toHaveLength(3);
  });
});
