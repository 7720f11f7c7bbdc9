import { describe, expect, it } from 'vitest';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { sortedPage, textKey, type SortableRepository } from '#shared/kernel/sorted-lists.ts';
import { fieldsOf } from '#test/helpers/fakes.ts';
import { KeysetCursors } from '#test/helpers/in-memory-store.ts';

// sortedPage over a repository held in memory: pages of a list sorted by a field no index
// orders start just after the cursor's (value, id), so inserts and deletes during a walk never
// shift it; a list that cannot be read whole within the bound is refused, naming sort_by.

interface Row {
  id: string;
  name: string | null;
  size: number;
}

class Rows extends KeysetCursors implements SortableRepository<object, Row> {
  rows: Row[] = [];
  truncated = false;
  async list(_query: object, page: PageQuery): Promise<Page<Row>> {
    return { items: this.rows.slice(0, page.limit), next_cursor: null };
  }
  async collect(_query: object, max: number): Promise<{ items: Row[]; truncated: boolean }> {
    return { items: this.rows.slice(0, max).map((r) => ({ ...r })), truncated: this.truncated || this.rows.length > max };
  }
}

const row = (id: string, name: string | null, size = 0): Row => ({ id, name, size });

async function walkNames(repo: Rows, sortBy: 'name' | 'size', order: 'asc' | 'desc', between: () => void, limit = 2) {
  const key = (r: Row) => (sortBy === 'size' ? r.size : textKey(r.name));
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await sortedPage(repo, {}, { sortBy, order, key, page: { limit, cursor }, noun: 'rows' });
    seen.push(...page.items.map((r) => r.id));
    if (++pages === 1) between();
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return seen;
}

describe('sortedPage', () => {
  it('issue 10 instance: a deleted first row does not make the next page skip one', async () => {
    const repo = new Rows();
    repo.rows = ['A', 'B', 'C', 'D', 'E'].map((l) => row(l, `Drift ${l}`));
    const seen = await walkNames(repo, 'name', 'asc', () => {
      repo.rows = repo.rows.filter((r) => r.id !== 'A');
    });
    expect(seen).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('returns rows inserted ahead of the cursor, not those behind it, and never one twice', async () => {
    const repo = new Rows();
    repo.rows = [row('1', 'b', 20), row('2', 'd', 40), row('3', 'f', 60), row('4', 'h', 80)];
    const asc = await walkNames(repo, 'size', 'asc', () => {
      repo.rows.push(row('0', 'a', 10), row('9', 'z', 90));
      repo.rows = repo.rows.filter((r) => r.id !== '3');
    });
    expect(asc).toEqual(['1', '2', '4', '9']);
    repo.rows = [row('1', 'b'), row('2', 'd'), row('3', 'f'), row('4', 'h')];
    const desc = await walkNames(repo, 'name', 'desc', () => {
      repo.rows.push(row('0', 'a'), row('9', 'z'));
      repo.rows = repo.rows.filter((r) => r.id !== '4');
    });
    expect(desc).toEqual(['4', '3', '2', '1', '0']);
  });

  it('orders equal values by id and missing values as empty text, across page boundaries', async () => {
    const repo = new Rows();
    repo.rows = [row('c', 'Same'), row('a', 'same'), row('d', null), row('b', 'SAME')];
    expect(await walkNames(repo, 'name', 'asc', () => {}, 1)).toEqual(['d', 'a', 'b', 'c']);
    expect(await walkNames(repo, 'name', 'desc', () => {}, 3)).toEqual(['c', 'b', 'a', 'd']);
  });

  it('refuses, naming sort_by, when the matches cannot all be read within the bound', async () => {
    const repo = new Rows();
    repo.rows = [row('1', 'a'), row('2', 'b'), row('3', 'c')];
    const page = (max: number) =>
      sortedPage(repo, {}, { sortBy: 'name', order: 'asc', key: (r) => textKey(r.name), page: { limit: 1 }, noun: 'rows', max });
    expect(await fieldsOf(page(2))).toEqual(['query.sort_by']);
    expect((await page(3)).items.map((r) => r.id)).toEqual(['1']);
    repo.truncated = true; // e.g. too many items read to find them
    expect(await fieldsOf(page(3))).toEqual(['query.sort_by']);
  });

  it("refuses another query's cursor, naming query.cursor", async () => {
    const repo = new Rows();
    repo.rows = [row('1', 'a', 1), row('2', 'b', 2)];
    const first = await sortedPage(
      repo,
      {},
      { sortBy: 'name', order: 'asc', key: (r) => textKey(r.name), page: { limit: 1 }, noun: 'rows' },
    );
    const other = sortedPage(
      repo,
      {},
      { sortBy: 'size', order: 'asc', key: (r) => r.size, page: { limit: 1, cursor: first.next_cursor! }, noun: 'rows' },
    );
    expect(await fieldsOf(other)).toEqual(['query.cursor']);
  });
});
