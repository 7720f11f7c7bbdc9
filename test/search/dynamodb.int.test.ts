import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDealRepository } from '#shared/deals/dynamodb.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import { stageKey } from '#shared/pipelines/dynamodb.ts';
import { searchIndexOps, type Searchable } from '#shared/search/index-terms.ts';
import { DynamoSearchIndex } from '#shared/search/dynamodb.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { searchRecords, type SearchDeps } from '#shared/search/use-cases.ts';
import type { Deal } from '#shared/deals/domain.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { searchTerms, type SearchHit, type SearchKind } from '#shared/search/domain.ts';
import { fakeCall, testId } from '#test/helpers/fakes.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';

// Search against DynamoDB Local: index items written as the repositories write them (in the
// record's transaction), read with one Query per owner in scope (admins: one), merged.

const ADMIN = testId(1);
const MANAGER = testId(2);
const REP_1 = testId(3);
const REP_2 = testId(4);
const SOLO = testId(5);
const PIPELINE = testId(10);
const STAGE = testId(11);

const admin: Principal = { user_id: ADMIN, email: 'admin@example.com', role: 'admin', direct_reports: [] };
const manager: Principal = { user_id: MANAGER, email: 'manager@example.com', role: 'manager', direct_reports: [REP_1, REP_2] };
const rep: Principal = { user_id: REP_1, email: 'rep1@example.com', role: 'user', direct_reports: [] };
const solo: Principal = { user_id: SOLO, email: 'solo@example.com', role: 'user', direct_reports: [] };

let table: Table;
let deps: SearchDeps;
const meter = new CountingMeter();
let n = 1000;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  deps = { index: new DynamoSearchIndex(table) };
  // What deal writes check inside their transaction: active owners, the stage in its pipeline.
  await table.write([
    ...[ADMIN, MANAGER, REP_1, REP_2, SOLO].map((id) => ({
      type: 'put' as const,
      item: { ...userKey(id), kind: 'user', id, status: 'active' },
    })),
    { type: 'put', item: { ...stageKey(STAGE), kind: 'stage', id: STAGE, pipeline_id: PIPELINE } },
  ]);
});

beforeEach(() => meter.reset());

/** A lead or contact as their repositories will index it: names and e-mails. */
function searchable(kind: SearchKind, name: string, owner: string, email: string | null = null): Searchable {
  return { kind, id: testId(n++), name, email, owner_id: owner, terms: searchTerms([name], [email]) };
}

async function index(...records: Searchable[]): Promise<SearchHit[]> {
  for (const record of records) await table.write(searchIndexOps(null, record));
  return records.map(({ terms: _terms, ...hit }) => hit);
}

async function search(principal: Principal, q: string, options: { types?: string; limit?: number } = {}) {
  meter.reset();
  return (await searchRecords(deps, fakeCall(principal), { q, ...options })).items;
}

const names = (hits: SearchHit[]) => hits.map((h) => h.name);

describe('DynamoSearchIndex', () => {
  it('matches name prefixes across kinds, later words included, closest first', async () => {
    const [exact, longer, word, other] = await index(
      searchable('lead', 'Quill', SOLO),
      searchable('contact', 'Quill Anders', SOLO),
      searchable('deal', 'Renewal for Quillon', SOLO),
      searchable('deal', 'Unrelated', SOLO),
    );
    expect(await search(solo, 'quill')).toEqual([exact, longer, word]);
    expect(await search(solo, 'quill a')).toEqual([longer]);
    expect(await search(solo, 'quillo')).toEqual([word]);
    expect(await search(solo, 'unr')).toEqual([other]);
    expect(await search(solo, 'nrelated')).toEqual([]);
  });

  it('is case- and accent-insensitive both ways: "zoe" finds "Zoë", "ZOË" finds "Zoe"', async () => {
    const [accented, plain] = await index(searchable('contact', 'Zoë Østergård', REP_2), searchable('lead', 'Zoe Plain', REP_2));
    const rep2: Principal = { ...rep, user_id: REP_2 };
    expect(await search(rep2, 'zoe')).toEqual([accented, plain]);
    expect(names(await search(rep2, 'ZOË P'))).toEqual(['Zoe Plain']);
    expect(await search(rep2, 'ostergard')).toEqual([accented]);
    expect(await search(rep2, 'zoe oster')).toEqual([accented]);
  });

  it('matches e-mail addresses, whole or half typed, and shows the record once', async () => {
    const [contact] = await index(searchable('contact', 'Marguerite Yount', MANAGER, 'm.yount@blue-river.example'));
    expect(await search(manager, 'm.yount@blue-river.example')).toEqual([contact]);
    expect(await search(manager, 'M.YOU')).toEqual([contact]);
    // "m" matches both its name and its address: one hit.
    expect((await search(manager, 'm', { limit: 25 })).filter((h) => h.id === contact!.id)).toHaveLength(1);
  });

  describe('visibility and request count', () => {
    let hits: Record<'a' | 'm' | 'r1' | 'r2' | 's', SearchHit>;
    beforeAll(async () => {
      const [a, m, r1, r2, s] = await index(
        searchable('deal', 'Vexa for admin', ADMIN),
        searchable('lead', 'Vexa for manager', MANAGER),
        searchable('contact', 'Vexa for rep one', REP_1, 'vexa@rep1.example'),
        searchable('deal', 'Vexa for rep two', REP_2),
        searchable('deal', 'Vexa for solo', SOLO),
      );
      hits = { a: a!, m: m!, r1: r1!, r2: r2!, s: s! };
    });

    it('a rep finds only their own records, with one Query', async () => {
      expect(await search(rep, 'vexa')).toEqual([hits.r1]);
      expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    });

    it('a manager finds their own and their reports’, with one Query per owner in scope', async () => {
      expect(await search(manager, 'vexa')).toEqual([hits.m, hits.r1, hits.r2]);
      expect(meter.calls.map((c) => c.operation)).toEqual(['Query', 'Query', 'Query']);
    });

    it('an admin finds everything, with one Query', async () => {
      expect(await search(admin, 'vexa')).toEqual([hits.a, hits.m, hits.r1, hits.r2, hits.s]);
      expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    });

    it('answers within the owners and kinds asked by itself (the use case only checks again)', async () => {
      const find = async (owners: 'all' | string[], kinds: SearchKind[]) => {
        meter.reset();
        return (await deps.index.find({ owners, prefix: 'vexa', kinds, limit: 50 })).map((h) => h.id);
      };
      expect(await find([REP_1], ['lead', 'contact', 'deal'])).toEqual([hits.r1.id, hits.r1.id]); // name and e-mail
      expect(await find([MANAGER, REP_2, REP_2], ['lead', 'contact', 'deal'])).toEqual([hits.m.id, hits.r2.id]);
      expect(meter.total).toBe(2); // an owner named twice is queried once
      expect(await find('all', ['deal'])).toEqual([hits.a.id, hits.r2.id, hits.s.id]);
      expect(await find([REP_1, REP_2], ['contact'])).toEqual([hits.r1.id, hits.r1.id]);
      expect(await find([], ['deal'])).toEqual([]);
      expect(await find('all', [])).toEqual([]);
      expect(meter.total).toBe(0);
    });

    it('filters kinds in the query, for every role', async () => {
      expect(await search(admin, 'vexa', { types: 'deals' })).toEqual([hits.a, hits.r2, hits.s]);
      expect(meter.total).toBe(1);
      expect(await search(manager, 'vexa', { types: 'leads,contacts' })).toEqual([hits.m, hits.r1]);
      expect(meter.total).toBe(3);
      expect(await search(rep, 'vexa', { types: 'deals' })).toEqual([]);
      expect(meter.total).toBe(1);
    });
  });

  it('fills the page with distinct records when each matches through several terms', async () => {
    // "Ximena A" and "ximena.a@…" sort next to each other: every record comes twice in a row.
    const records = Array.from({ length: 8 }, (_, i) => {
      const letter = String.fromCharCode(97 + i);
      return searchable('contact', `Ximena ${letter}`, ADMIN, `ximena.${letter}@example.com`);
    });
    const hits = await index(...records);
    expect(await search(admin, 'ximena', { limit: 6 })).toEqual(hits.slice(0, 6));
    expect(meter.total).toBe(1);
  });

  it('finds a kind even when many records of other kinds share the prefix', async () => {
    const deals = Array.from({ length: 30 }, (_, i) => searchable('deal', `Yarrow deal ${i}`, SOLO));
    const [lead] = await index(searchable('lead', 'Yarrow Zed', SOLO), ...deals);
    expect(await search(solo, 'yarrow', { types: 'leads' })).toEqual([lead]);
  });

  it('follows deals written by the deal repository: create, rename, owner change, delete', async () => {
    const deals = new DynamoDealRepository(table);
    const now = '2031-03-04T09:00:00.000Z';
    const deal: Deal = {
      id: testId(n++),
      name: 'Wombat Ärger rollout',
      value: '100.00',
      currency: 'USD',
      owner_id: REP_1,
      creator_id: REP_1,
      contact_id: null,
      organization_id: null,
      pipeline_id: PIPELINE,
      stage_id: STAGE,
      hot: false,
      estimated_close_date: null,
      customized_win_likelihood: null,
      source_id: null,
      loss_reason_id: null,
      unqualified_reason_id: null,
      tags: [],
      custom_fields: {},
      last_stage_change_at: now,
      last_stage_change_by_id: REP_1,
      added_at: now,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    const refs = (d: Deal) => ({
      owner_id: d.owner_id,
      contact_id: null,
      organization_id: null,
      source_id: null,
      loss_reason_id: null,
      unqualified_reason_id: null,
    });
    const hit = (d: Deal): SearchHit => ({ kind: 'deal', id: d.id, name: d.name, email: null, owner_id: d.owner_id });

    await deals.create(deal, refs(deal), []);
    expect(await search(rep, 'wombat arg')).toEqual([hit(deal)]);
    expect(await search(rep, 'arger')).toEqual([hit(deal)]);

    const renamed = { ...deal, name: 'Koala rollout', version: 2 };
    await deals.update(deal, renamed, refs(renamed), []);
    expect(await search(rep, 'wombat')).toEqual([]);
    expect(await search(rep, 'koala')).toEqual([hit(renamed)]);
    expect(await search(rep, 'rollout')).toEqual([hit(renamed)]);

    const moved = { ...renamed, owner_id: REP_2, version: 3 };
    await deals.update(renamed, moved, refs(moved), []);
    expect(await search(rep, 'koala')).toEqual([]);
    expect(await search({ ...rep, user_id: REP_2 }, 'koala')).toEqual([hit(moved)]);
    expect(await search(manager, 'koala')).toEqual([hit(moved)]);

    await deals.delete(moved, []);
    expect(await search(admin, 'koala')).toEqual([]);
    expect(await search(admin, 'rollout')).toEqual([]);
    expect(await table.partition(`deal#${deal.id}`)).toEqual([]);
  });

  it('keeps the index in step through searchIndexOps: rename, owner change and delete leave no stale term', async () => {
    const before = searchable('contact', 'Ulla Berg', REP_1, 'ulla@berg.example');
    await index(before);
    const after: Searchable = { ...before, name: 'Ulla Stein', terms: searchTerms(['Ulla Stein'], [before.email]) };
    await table.write(searchIndexOps(before, after));
    expect(await search(rep, 'berg')).toEqual([]);
    expect(names(await search(rep, 'ulla'))).toEqual(['Ulla Stein']);
    expect(names(await search(rep, 'ulla berg'))).toEqual(['Ulla Stein']); // the address: ulla@berg.example
    const moved = { ...after, owner_id: SOLO };
    await table.write(searchIndexOps(after, moved));
    expect(await search(rep, 'ulla')).toEqual([]);
    expect(names(await search(solo, 'stein'))).toEqual(['Ulla Stein']);
    await table.write(searchIndexOps(moved, null));
    expect(await search(admin, 'ulla')).toEqual([]);
    expect(await table.partition(`contact#${before.id}`)).toEqual([]);
  });
});
