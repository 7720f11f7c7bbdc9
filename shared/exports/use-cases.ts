import { DomainError, NotFoundError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call, Clock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { csvText } from '#shared/imports/csv.ts';
import {
  EXPORT_MAX_PARTS,
  EXPORT_PAGE_SIZE,
  exportColumns,
  exportFilename,
  exportFilters,
  exportKeys,
  exportRow,
  exportView,
  PART_MAX_ROWS,
  SLICE_BUDGET_MS,
  type CreateExportInput,
  type ExportCheckpoint,
  type ExportJob,
  type ExportView,
} from './domain.ts';
import type { ExportFiles, ExportQueue, ExportRepository, ExportSources } from './ports.ts';

// CSV exports: POST /exports checks the filters with the list's own use case (one page), keeps
// the requester's rights as they are, and queues the export; the worker writes it a slice at a
// time (parts of at most PART_MAX_ROWS rows, a checkpoint after each, SLICE_BUDGET_MS an
// invocation, then a message for the rest), joins the parts into the file, and writes
// `export.finished` (the requester is notified, the feed gets an entry).

export interface ExportsDeps {
  exports: ExportRepository;
  files: ExportFiles;
  queue: ExportQueue;
  sources: ExportSources;
  clock: Clock;
  /** Milliseconds since some origin (the slice budget's clock); tests pass their own. */
  elapsed?: () => number;
}

/** Seconds the download URL stays valid. */
export const EXPORT_DOWNLOAD_SECONDS = 300;
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

const exportResource = (job: Pick<ExportJob, 'id'>) => ({ resource_type: 'export', resource_id: job.id });

/** The data export events carry: the view, the requester as the export's owner (feed, notification). */
const eventData = (job: ExportJob) => ({ ...exportView(job), owner_id: job.creator_id, version: 1 });

async function ownExport(deps: ExportsDeps, call: Call, id: string): Promise<ExportJob> {
  const job = await deps.exports.get(id);
  // Only its creator, or an admin: a manager's export holds their team's records.
  if (!job || (job.creator_id !== call.principal.user_id && call.principal.role !== 'admin')) {
    throw new NotFoundError('export', id);
  }
  return job;
}

/**
 * POST /exports: the filters are checked by reading one page of the list as the caller (a bad
 * filter answers the list's own 400), the caller's rights are kept for the worker, and the
 * export is queued.
 */
export async function createExport(deps: ExportsDeps, call: Call, input: CreateExportInput): Promise<ExportView> {
  const filters = exportFilters(input.filters);
  await deps.sources.page(input.resource, call, filters, { limit: 1, cursor: null });
  const now = call.events.now.toISOString();
  const { principal } = call;
  const job: ExportJob = {
    id: call.events.newId(),
    resource: input.resource,
    filters,
    status: 'queued',
    creator_id: principal.user_id,
    rows: 0,
    filename: exportFilename(input.resource, now),
    failure_reason: null,
    created_at: now,
    updated_at: now,
    finished_at: null,
    requester: {
      user_id: principal.user_id,
      email: principal.email,
      role: principal.role,
      direct_reports: [...principal.direct_reports],
    },
    columns: null,
    custom_field_names: null,
    cursor: null,
    part_bytes: [],
  };
  await deps.exports.create(job, [domainEvent(call.events, 'export.created', exportResource(job), eventData(job))]);
  await deps.queue.send({ export_id: job.id });
  return exportView(job);
}

/** GET /exports/{id}: the export and, once done, a fresh presigned download (an attachment). */
export async function getExport(deps: ExportsDeps, call: Call, id: string) {
  const job = await ownExport(deps, call, id);
  if (job.status !== 'done') return { export: exportView(job), download: null };
  const url = await deps.files.downloadUrl(exportKeys(job.id).file, {
    filename: job.filename,
    contentType: CSV_CONTENT_TYPE,
    seconds: EXPORT_DOWNLOAD_SECONDS,
  });
  const expires_at = new Date(deps.clock.now().getTime() + EXPORT_DOWNLOAD_SECONDS * 1000).toISOString();
  return { export: exportView(job), download: { url, method: 'GET' as const, headers: {}, expires_at } };
}

export type SliceOutcome = 'finished' | 'continued' | 'failed' | 'skipped';

/**
 * One invocation of the worker: writes parts from the checkpoint on until the list ends or the
 * slice budget is spent (then queues the rest), each part checkpointed once; at the end joins
 * the parts into the file and finishes. A redelivered or concurrent message resumes from the
 * checkpoint or stops ('skipped'). A bad filter (a custom field deleted since) fails the export.
 * @throws on any other failure (the queue redelivers; see failExport for the last receive)
 */
export async function runExportSlice(deps: ExportsDeps, events: EventContext, id: string): Promise<SliceOutcome> {
  const job = await deps.exports.get(id);
  if (!job || job.status === 'done' || job.status === 'failed') return 'skipped';
  const elapsed = deps.elapsed ?? (() => performance.now());
  const start = elapsed();
  const call: Call = { principal: requesterOf(job), events: { ...events, actor_id: job.creator_id } };
  const names = job.custom_field_names ?? (await deps.sources.customFieldNames(job.resource));
  let checkpoint: ExportCheckpoint = {
    columns: job.columns ?? exportColumns(job.resource, names),
    custom_field_names: names,
    cursor: job.cursor,
    part_bytes: job.part_bytes,
  };
  let rows = job.rows;
  const keys = exportKeys(id);
  // Every part written: the cursor is null again only after the last page.
  let complete = checkpoint.part_bytes.length > 0 && checkpoint.cursor === null;
  try {
    while (!complete) {
      const n = checkpoint.part_bytes.length;
      if (n >= EXPORT_MAX_PARTS) {
        throw new ExportTooLarge(`the list holds more than ${EXPORT_MAX_PARTS * PART_MAX_ROWS} rows`);
      }
      const part: string[][] = n === 0 ? [checkpoint.columns!] : [];
      let cursor = checkpoint.cursor;
      let added = 0;
      do {
        const page = await deps.sources.page(job.resource, call, job.filters, { limit: EXPORT_PAGE_SIZE, cursor });
        const owners = [...new Set(page.items.map((r) => r.owner_id).filter((o): o is string => typeof o === 'string'))];
        const emails = await deps.sources.emailsOf(owners);
        for (const record of page.items) {
          const owner = typeof record.owner_id === 'string' ? emails.get(record.owner_id) : undefined;
          part.push(exportRow(job.resource, checkpoint.columns!, record, names, owner));
        }
        added += page.items.length;
        cursor = page.next_cursor;
      } while (cursor !== null && added < PART_MAX_ROWS);
      const text = csvText(part, { withBom: n === 0 });
      await deps.files.putPart(keys.part(n), text);
      const next = { ...checkpoint, cursor, part_bytes: [...checkpoint.part_bytes, Buffer.byteLength(text, 'utf8')] };
      if (!(await deps.exports.checkpoint(id, n, next, rows + added, deps.clock.now().toISOString()))) return 'skipped';
      checkpoint = next;
      rows += added;
      complete = cursor === null;
      if (!complete && elapsed() - start >= SLICE_BUDGET_MS) {
        await deps.queue.send({ export_id: id });
        return 'continued';
      }
    }
  } catch (error) {
    if (!(error instanceof DomainError) && !(error instanceof ExportTooLarge)) throw error;
    await failExport(deps, events, id, (error as Error).message);
    return 'failed';
  }
  const parts = checkpoint.part_bytes.map((_, n) => keys.part(n));
  const bytes = checkpoint.part_bytes.reduce((a, b) => a + b, 0);
  await deps.files.join(parts, keys.file, { bytes, contentType: CSV_CONTENT_TYPE, filename: job.filename });
  const at = deps.clock.now().toISOString();
  const done: ExportJob = { ...job, ...checkpoint, rows, status: 'done', updated_at: at, finished_at: at };
  if (
    await deps.exports.finish(id, at, [
      domainEvent({ ...events, actor_id: job.creator_id }, 'export.finished', exportResource(done), eventData(done)),
    ])
  ) {
    for (const part of parts) await deps.files.delete(part);
  }
  return 'finished';
}

/** Marks the export failed with `reason` and writes `export.failed` (a no-op once finished). */
export async function failExport(deps: ExportsDeps, events: EventContext, id: string, reason: string): Promise<void> {
  const job = await deps.exports.get(id);
  if (!job || job.status === 'done' || job.status === 'failed') return;
  const at = deps.clock.now().toISOString();
  const failed: ExportJob = { ...job, status: 'failed', failure_reason: reason, updated_at: at, finished_at: at };
  await deps.exports.fail(id, reason, at, [
    domainEvent({ ...events, actor_id: job.creator_id }, 'export.failed', exportResource(failed), eventData(failed)),
  ]);
}

class ExportTooLarge extends Error {
  override readonly name = 'ExportTooLarge';
}

function requesterOf(job: ExportJob): Principal {
  const { requester } = job;
  return { user_id: requester.user_id, email: requester.email, role: requester.role, direct_reports: requester.direct_reports };
}
