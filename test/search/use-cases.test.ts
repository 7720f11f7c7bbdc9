import { describe, expect, it } from 'vitest';
import { MAX_TERM_READS, SEARCH_LIMIT, searchRecords, termReads } from '#shared/search/use-cases.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { SearchHit, SearchKind } from '#shared/search/domain.ts';
import { fakeCall, testId } from '#test/helpers/fakes.ts';
import { indexed, InMemorySearchIndex, LeakySearchIndex } from './fakes.ts';

// F1.6 over the search port: scope becomes owners (F1.1), one hit per record, kinds asked.

const ADMIN = testId(1);
const MANAGER = testId(2);
const REP_1 = testId(3);
const REP_2 = testId(4);
const SOLO = testId(5);

const admin: Principal = { user_id: ADMIN, email: 'admin@example.com', role: 'admin', direct_reports: [] };
const manager: Principal = { user_id: MANAGER, email: 'manager@example.com', role: 'manager', direct_reports: [REP_1, REP_2] };
const rep: Principal = { user_id: REP_1, email: 'rep1@example.com', role: 'user', direct_reports: [] };

let n = 100;
const record = (kind: SearchKind, name: string, owner: string, email: string | null = null): SearchHit => ({
  kind,
  id: testId(n++),
  name,
  email,
  owner_id: owner,
});

function setup() {
  const mine = record('deal', 'Zoë Müller renewal', REP_1);
  const reports = record('contact', 'Zoe Mueller', REP_2, 'zoe@example.com');
  const managers = record('lead', 'Zoey Marsh', MANAGER);
  const solos = record('deal', 'Zoë solo deal', SOLO);
  const admins = record('contact', 'Zora Admin', ADMIN);
  const index = new InMemorySearchIndex().add(...[mine, reports, managers, solos, admins].map(indexed));
  return { index, deps: { index }, mine, reports, managers, solos, admins };
}

const names = (items: SearchHit[]) => items.map((h) => h.name);

describe('searchRecords', () => {
  it('asks the index for the owners in scope: a rep their own, a manager own and reports, an admin all', async () => {
    const { deps, index } = setup();
    await searchRecords(deps, fakeCall(rep), { q: 'zo' });
    await searchRecords(deps, fakeCall(manager), { q: 'zo' });
    await searchRecords(deps, fakeCall(admin), { q: 'zo' });
    expect(index.queries.map((q) => q.owners)).toEqual([[REP_1], [MANAGER, REP_1, REP_2], 'all']);
  });

  it('finds only what the caller may see', async () => {
    const { deps } = setup();
    expect(names((await searchRecords(deps, fakeCall(rep), { q: 'zo' })).items)).toEqual(['Zoë Müller renewal']);
    expect(names((await searchRecords(deps, fakeCall(manager), { q: 'zo' })).items).sort()).toEqual([
      'Zoe Mueller',
      'Zoey Marsh',
      'Zoë Müller renewal',
    ]);
    expect((await searchRecords(deps, fakeCall(admin), { q: 'zo' })).items).toHaveLength(5);
  });

  it('is case- and accent-insensitive, and matches later words of a name', async () => {
    const { deps, mine } = setup();
    expect((await searchRecords(deps, fakeCall(rep), { q: 'ZOE MÜ' })).items).toEqual([mine]);
    expect((await searchRecords(deps, fakeCall(rep), { q: 'renew' })).items).toEqual([mine]);
    expect((await searchRecords(deps, fakeCall(rep), { q: 'enewal' })).items).toEqual([]);
  });

  it('returns a record matching through several terms once, and still fills the page with distinct records', async () => {
    const index = new InMemorySearchIndex();
    // Each matches "zoe" through its name and its e-mail.
    const contacts = Array.from({ length: 6 }, (_, i) => record('contact', `Zoe ${i}`, REP_1, `zoe${i}@example.com`));
    index.add(...contacts.map(indexed));
    const { items } = await searchRecords({ index }, fakeCall(rep), { q: 'zoe', limit: 5 });
    expect(items.map((h) => h.id)).toEqual(contacts.slice(0, 5).map((c) => c.id));
    expect(index.queries[0]!.limit).toBe(termReads(5, ['lead', 'contact', 'deal']));
  });

  it('keeps the closest match first: the record named exactly what was typed', async () => {
    const index = new InMemorySearchIndex();
    const longer = Array.from({ length: 12 }, (_, i) => record('contact', `Anna ${String.fromCharCode(97 + i)}`, REP_1));
    const exact = record('lead', 'Anna', REP_1);
    index.add(...longer.map(indexed), indexed(exact));
    const { items } = await searchRecords({ index }, fakeCall(rep), { q: 'anna' });
    expect(items[0]).toEqual(exact);
    expect(items).toHaveLength(SEARCH_LIMIT.default);
  });

  it('asks for the kinds named, and reads more term matches when fewer kinds are asked', async () => {
    const { deps, index } = setup();
    const { items } = await searchRecords(deps, fakeCall(manager), { q: 'zo', types: 'deals,leads' });
    expect(names(items).sort()).toEqual(['Zoey Marsh', 'Zoë Müller renewal']);
    expect(index.queries[0]).toMatchObject({ kinds: ['lead', 'deal'], prefix: 'zo' });
    expect(termReads(10, ['deal'])).toBeGreaterThan(termReads(10, ['lead', 'contact', 'deal']));
    expect(termReads(SEARCH_LIMIT.max, ['deal'])).toBe(MAX_TERM_READS);
  });

  it('drops hits outside the scope or the kinds even when the index answers them', async () => {
    const { mine, reports, managers, solos, admins } = setup();
    const index = new LeakySearchIndex().add(...[mine, reports, managers, solos, admins].map(indexed));
    expect((await searchRecords({ index }, fakeCall(rep), { q: 'zo' })).items).toEqual([mine]);
    expect(names((await searchRecords({ index }, fakeCall(manager), { q: 'zo', types: 'contacts' })).items)).toEqual([
      'Zoe Mueller',
    ]);
  });

  it('applies the limit: 10 by default, at most 25', async () => {
    const index = new InMemorySearchIndex().add(
      ...Array.from({ length: 40 }, (_, i) => indexed(record('deal', `Deal ${i}`, ADMIN))),
    );
    expect((await searchRecords({ index }, fakeCall(admin), { q: 'deal' })).items).toHaveLength(10);
    expect((await searchRecords({ index }, fakeCall(admin), { q: 'deal', limit: 3 })).items).toHaveLength(3);
    expect((await searchRecords({ index }, fakeCall(admin), { q: 'deal', limit: 500 })).items).toHaveLength(25);
  });

  it('refuses a bad text or type, naming the query field, before reading anything', async () => {
    const { deps, index } = setup();
    await expect(searchRecords(deps, fakeCall(rep), { q: '  \t ' })).rejects.toMatchObject({
      problems: [{ field: 'query.q', message: expect.any(String) }],
    });
    await expect(searchRecords(deps, fakeCall(rep), { q: 'x'.repeat(61) })).rejects.toBeInstanceOf(ValidationError);
    await expect(searchRecords(deps, fakeCall(rep), { q: 'zo', types: 'deals,notes' })).rejects.toMatchObject({
      problems: [{ field: 'query.types', message: expect.stringContaining('"notes"') }],
    });
    expect(index.queries).toEqual([]);
  });
});
