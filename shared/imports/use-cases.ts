import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call, Clock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { canAssignTo, canSee } from '#shared/kernel/visibility.ts';
import { csvRows, csvText } from './csv.ts';
import {
  batchesOf,
  defaultMapping,
  DRY_RUN_MAX_ERRORS,
  importKeys,
  IMPORT_MAX_ROWS,
  isAttached,
  isComplete,
  mappingProblems,
  readRow,
  rowIds,
  rowRecordId,
  type BatchResult,
  type ColumnMapping,
  type CreateImportInput,
  type DryRun,
  type DryRunInput,
  type ImportJob,
  type ImportMessage,
  type ImportResource,
  type ParentType,
  type RowError,
  type RowResult,
  type StartImportInput,
} from './domain.ts';
import type { ImportFiles, ImportQueue, ImportRepository, ImportTargets } from './ports.ts';
import type { CustomFieldDefinition } from '#shared/custom-fields/domain.ts';

// CSV imports: POST /imports answers a presigned PUT for the file; a dry run reads it and
// answers every row's errors, writing nothing; a start queues a plan message, whose worker
// splits the file into batch messages (the queue's event source bounds how many run at once);
// each batch writes its rows through the families' use cases, then records its counters once;
// the batch that completes the import writes the error file and `import.finished`.

export interface ImportsDeps {
  imports: ImportRepository;
  files: ImportFiles;
  queue: ImportQueue;
  targets: ImportTargets;
  clock: Clock;
  /** Tests only: called after each row a batch wrote (a throw stands for a worker killed there). */
  afterRow?: (row: number) => void;
}

/** Seconds the upload URL stays valid. */
export const IMPORT_UPLOAD_SECONDS = 600;
/** Seconds the error file's download URL stays valid. */
export const ERRORS_DOWNLOAD_SECONDS = 300;

const importResource = (job: Pick<ImportJob, 'id'>) => ({ resource_type: 'import', resource_id: job.id });
const expiresAt = (deps: ImportsDeps, seconds: number) => new Date(deps.clock.now().getTime() + seconds * 1000).toISOString();

async function visibleImport(deps: ImportsDeps, call: Call, id: string): Promise<ImportJob> {
  const job = await deps.imports.get(id);
  if (!job || !canSee(call.principal, job.creator_id)) throw new NotFoundError('import', id);
  return job;
}

/** POST /imports: a new import awaiting its file, and the presigned PUT for it (text/csv). */
export async function createImport(deps: ImportsDeps, call: Call, input: CreateImportInput) {
  const now = call.events.now.toISOString();
  const job: ImportJob = {
    id: call.events.newId(),
    resource: input.resource,
    filename: input.filename,
    status: 'awaiting_upload',
    creator_id: call.principal.user_id,
    mapping: null,
    columns: null,
    match_by_email: false,
    run_automations: false,
    total_rows: null,
    batches: null,
    batches_done: 0,
    created: 0,
    updated: 0,
    failed: 0,
    created_at: now,
    updated_at: now,
    finished_at: null,
  };
  await deps.imports.create(job, [domainEvent(call.events, 'import.created', importResource(job), job)]);
  const url = await deps.files.uploadUrl(importKeys(job.id).upload, {
    contentType: 'text/csv',
    size: input.size,
    seconds: IMPORT_UPLOAD_SECONDS,
  });
  return {
    import: job,
    upload: {
      url,
      method: 'PUT' as const,
      headers: { 'content-type': 'text/csv', 'content-length': String(input.size) },
      expires_at: expiresAt(deps, IMPORT_UPLOAD_SECONDS),
    },
  };
}

/** GET /imports/{id}: the import and its counters; once finished with failed rows, the error file's link. */
export async function getImport(deps: ImportsDeps, call: Call, id: string) {
  const job = await visibleImport(deps, call, id);
  if (job.status !== 'finished' || job.failed === 0) return { import: job, errors_download: null };
  const url = await deps.files.downloadUrl(importKeys(job.id).errors, {
    filename: `${job.filename.replace(/\.csv$/i, '')}-errors.csv`,
    contentType: 'text/csv; charset=utf-8',
    seconds: ERRORS_DOWNLOAD_SECONDS,
  });
  return {
    import: job,
    errors_download: { url, method: 'GET' as const, headers: {}, expires_at: expiresAt(deps, ERRORS_DOWNLOAD_SECONDS) },
  };
}

/** The file's header and data rows (the whole file: the dry run and the plan read it once). */
async function readFile(deps: ImportsDeps, job: ImportJob): Promise<{ headers: string[]; rows: string[][] }> {
  const body = await deps.files.read(importKeys(job.id).upload);
  if (!body) throw new ConflictError('The import has no file yet: PUT it to the upload URL first', { code: 'import.no_file' });
  let headers: string[] | undefined;
  const rows: string[][] = [];
  try {
    for await (const record of csvRows(body)) {
      if (!headers) headers = record.map((h) => h.trim());
      else rows.push(record);
      if (rows.length > IMPORT_MAX_ROWS) {
        throw new ValidationError([{ field: 'file', message: `holds more than ${IMPORT_MAX_ROWS} rows` }]);
      }
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new ValidationError([{ field: 'file', message: `is not a readable CSV file: ${(error as Error).message}` }]);
  }
  if (!headers || headers.length === 0) throw new ValidationError([{ field: 'file', message: 'has no header row' }]);
  return { headers, rows };
}

async function mappingFor(
  deps: ImportsDeps,
  job: ImportJob,
  headers: string[],
  given: ColumnMapping | undefined,
  definitions: readonly CustomFieldDefinition[],
): Promise<ColumnMapping> {
  const customFields = definitions.map((d) => d.name);
  const mapping = { ...defaultMapping(job.resource, headers, customFields), ...given };
  const unknown = Object.keys(given ?? {}).filter((h) => !headers.includes(h));
  const problems = [
    ...mappingProblems(job.resource, mapping, customFields),
    ...unknown.map((h) => `column "${h}" is not in the file`),
  ];
  if (problems.length > 0) throw new ValidationError(problems.map((message) => ({ field: 'body.mapping', message })));
  return mapping;
}

/**
 * A row's owner: the user of the row's owner e-mail (else the importer), whom the importer may
 * assign records to; an error naming the owner column otherwise.
 */
async function ownerOf(
  deps: ImportsDeps,
  principal: Principal,
  email: string | undefined,
  column: string | null,
  row: number,
  cache: Map<string, Promise<string | undefined>>,
): Promise<{ owner: string } | { error: RowError }> {
  if (email === undefined) return { owner: principal.user_id };
  let lookup = cache.get(email);
  if (lookup === undefined) cache.set(email, (lookup = deps.targets.userIdByEmail(email)));
  const owner = await lookup;
  if (owner === undefined) return { error: { row, column, reason: `no user has the e-mail ${email}` } };
  if (!canAssignTo(principal, owner)) return { error: { row, column, reason: `you may not give records to ${email}` } };
  return { owner };
}

/**
 * A note's or task's record: the id of the lead, contact or deal with the row's Sell id (one
 * read per Sell id, shared through `cache`), or an error naming the column.
 */
async function parentOf(
  deps: ImportsDeps,
  parent: { type: ParentType; sellId: number; column: string | null },
  row: number,
  cache: Map<string, Promise<string | undefined>>,
): Promise<{ id: string } | { error: RowError }> {
  const key = `${parent.type}#${parent.sellId}`;
  let lookup = cache.get(key);
  if (lookup === undefined) cache.set(key, (lookup = deps.targets.recordIdBySellId(parent.type, parent.sellId)));
  const id = await lookup;
  if (id === undefined) {
    return { error: { row, column: parent.column, reason: `no ${parent.type} has the Sell id ${parent.sellId}` } };
  }
  return { id };
}

/** The create input of a row: with its owner (notes have none) and its record (notes and tasks). */
function createInput(resource: ImportResource, input: Record<string, unknown>, owner: string, parentId?: string) {
  if (!isAttached(resource)) return { ...input, owner_id: owner };
  return { ...input, resource_id: parentId, ...(resource === 'tasks' ? { owner_id: owner } : {}) };
}

const ownerColumn = (mapping: ColumnMapping): string | null =>
  Object.entries(mapping).find(([, target]) => target === 'owner_email')?.[0] ?? null;

/** POST /imports/{id}/dry_run: every row read and checked as the run would, nothing written. */
export async function dryRunImport(deps: ImportsDeps, call: Call, id: string, input: DryRunInput): Promise<DryRun> {
  const job = await visibleImport(deps, call, id);
  const { headers, rows } = await readFile(deps, job);
  const definitions = await deps.targets.customFields(job.resource);
  const mapping = await mappingFor(deps, job, headers, input.mapping ?? job.mapping ?? undefined, definitions);
  const owners = new Map<string, Promise<string | undefined>>();
  const parents = new Map<string, Promise<string | undefined>>();
  const errors: RowError[] = [];
  // A Sell id two rows name: the run would write the first and refuse the second.
  const sellIdRows = new Map<number, number>();
  const sellIdColumn = Object.keys(mapping).find((header) => mapping[header] === 'sell_id') ?? null;
  let valid = 0;
  for (const [i, cells] of rows.entries()) {
    const row = i + 1;
    const read = readRow(job.resource, headers, cells, mapping, row, definitions);
    let rowErrors = read.ok ? [] : read.errors;
    const sellId = read.ok ? read.sellId : undefined;
    const first = sellId === undefined ? undefined : sellIdRows.get(sellId);
    if (sellId !== undefined && first === undefined) sellIdRows.set(sellId, row);
    if (first !== undefined) {
      rowErrors = [{ row, column: sellIdColumn, reason: `row ${first} has the same Sell id ${sellId}` }];
    } else if (read.ok) {
      const owner = await ownerOf(deps, call.principal, read.ownerEmail, ownerColumn(mapping), row, owners);
      if ('error' in owner) rowErrors = [owner.error];
      else if (read.parent) {
        const parent = await parentOf(deps, read.parent, row, parents);
        if ('error' in parent) rowErrors = [parent.error];
      }
    }
    if (rowErrors.length === 0) valid++;
    for (const error of rowErrors) if (errors.length < DRY_RUN_MAX_ERRORS) errors.push(error);
  }
  return {
    total_rows: rows.length,
    valid_rows: valid,
    error_count: rows.length - valid,
    errors,
    mapping,
    ignored_columns: headers.filter((h) => mapping[h] === ''),
  };
}

/**
 * POST /imports/{id}/start: fixes the mapping and settings and queues the run; whoever sees the
 * import may start it, and its rows are written with its creator's rights. Only admins may
 * ask for automated actions on the imported records. Starting a started import again queues
 * nothing more and answers it as it is.
 */
export async function startImport(deps: ImportsDeps, call: Call, id: string, input: StartImportInput): Promise<ImportJob> {
  const job = await visibleImport(deps, call, id);
  if (input.run_automations && call.principal.role !== 'admin') {
    throw new ForbiddenError('Only admins may run automated actions on imported records', {
      code: 'import.automations_admin_only',
    });
  }
  if (job.status !== 'awaiting_upload') return job;
  const { headers } = await readFile(deps, job);
  const definitions = await deps.targets.customFields(job.resource);
  const mapping = await mappingFor(deps, job, headers, input.mapping, definitions);
  const settings = {
    mapping,
    columns: headers,
    match_by_email: input.match_by_email ?? false,
    run_automations: input.run_automations ?? false,
  };
  const started = await deps.imports.start(job.id, settings, call.events.now.toISOString());
  if (started) await deps.queue.send([{ type: 'plan', import_id: job.id }]);
  return (await deps.imports.get(job.id)) ?? job;
}

/**
 * The plan message: splits the file into batch messages and records how many there are, then
 * queues them. A redelivered plan queues the same batches again; each is imported once.
 */
export async function planImport(deps: ImportsDeps, events: EventContext, id: string): Promise<void> {
  const job = await deps.imports.get(id);
  if (!job || (job.status !== 'queued' && job.status !== 'running')) return;
  const { rows } = await readFile(deps, job);
  const batches = [...batchesOf(job.id, rows)];
  await deps.imports.planned(job.id, { total_rows: rows.length, batches: batches.length }, events.now.toISOString());
  if (batches.length === 0) {
    await finishIfComplete(deps, events, job.id);
    return;
  }
  for (let i = 0; i < batches.length; i += 10) await deps.queue.send(batches.slice(i, i + 10));
}

/** The file's headers, in its order. */
const headersOf = (job: ImportJob): string[] => job.columns ?? [];

/**
 * Rows of a batch written at once. Each row is one transaction on its own items only: the
 * batch checks the owners once (their user items would otherwise be in every row's
 * transaction, and concurrent rows of one owner conflict on them: TransactionConflict in
 * DynamoDB) and takes the rows' Sell ids in one counter update. Kept at 4 for the local cloud:
 * DynamoDB Local makes a table's transactions wait on one another (its lock, whatever items
 * they touch), so 8 rows at once only added lock timeouts there, for the consumers each row
 * fans out to as well (measured with bench/import-throughput.ts).
 */
export const ROW_CONCURRENCY = 4;

/**
 * Runs `work` for 0..count-1 with at most `limit` at once; the first error stops new starts
 * and is thrown once the running ones settle.
 */
async function pooled(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await work(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  if (failure) throw failure.error;
}

/** A row read and resolved, ready to write: its create input, owner and e-mail. */
interface ReadyRow {
  row: number;
  input: Record<string, unknown>;
  update: Record<string, unknown>;
  email: string | undefined;
  /** The record's owner, checked once per batch; null for notes (they have none). */
  owner: string | null;
  ownerEmail: string | undefined;
  /** The Sell id the row names for its record (a Sell export's "ID"), else one of the batch's. */
  sellId: number | undefined;
}

/**
 * A batch message: each row read and its owner resolved; the batch's distinct owners checked
 * active in one read; then each row created (with the row's own ids and one of the batch's Sell
 * ids) or, when matching by e-mail, the matching record updated, ROW_CONCURRENCY rows at once.
 * A row whose record exists already was written by an earlier delivery of this batch: it
 * counts as created, once. The counters are recorded when the whole batch is done, in one
 * transaction, once; a batch that fails midway records nothing and is handed out again whole.
 *
 * The owners are checked when the batch starts, not in each row's transaction: an owner
 * deactivated while the batch runs (seconds) may still receive its remaining rows. That is the
 * race accepted for imports, as for records assigned just before a deactivation: an admin
 * hands a departing user's records over (bulk reassignment), imported ones with the others.
 */
export async function importBatch(
  deps: ImportsDeps,
  events: EventContext,
  message: ImportMessage & { type: 'batch' },
): Promise<BatchResult | undefined> {
  const job = await deps.imports.get(message.import_id);
  if (!job || job.status !== 'running' || !job.mapping) return undefined;
  // Read once per batch, not per row: the creator's rights, the custom fields, owners by e-mail.
  const [principal, definitions] = await Promise.all([
    transiently(() => deps.targets.principalOf(job.creator_id)),
    transiently(() => deps.targets.customFields(job.resource)),
  ]);
  const context: BatchContext = {
    job,
    principal,
    headers: headersOf(job),
    definitions,
    owners: new Map(),
    parents: new Map(),
  };
  const outcomes: (Exclude<RowResult, 'failed'> | RowError[])[] = new Array(message.rows.length);
  const ready: (ReadyRow | undefined)[] = new Array(message.rows.length);
  await pooled(message.rows.length, ROW_CONCURRENCY, async (i) => {
    const prepared = await prepareRow(deps, context, message.rows[i]!, message.first_row + i);
    if (Array.isArray(prepared)) outcomes[i] = prepared;
    else ready[i] = prepared;
  });
  // The batch's owners, once: a row whose owner is not an active user fails alone.
  const owners = [...new Set(ready.flatMap((r) => (r?.owner ? [r.owner] : [])))];
  const active = owners.length > 0 ? await transiently(() => deps.targets.activeUserIds(owners)) : new Set<string>();
  const column = ownerColumn(job.mapping);
  ready.forEach((r, i) => {
    if (!r || r.owner === null || active.has(r.owner)) return;
    const reason = r.ownerEmail ? `no active user has the e-mail ${r.ownerEmail}` : 'the importer is no longer an active user';
    outcomes[i] = [{ row: r.row, column: r.ownerEmail ? column : null, reason }];
    ready[i] = undefined;
  });
  // Rows naming their Sell id keep it: the sequence first moves past the largest, so that no
  // record numbered here from now on takes one of them. The others take the batch's numbers.
  const named = ready.flatMap((r) => (r?.sellId !== undefined ? [r.sellId] : []));
  if (named.length > 0) await transiently(() => deps.targets.advanceSellIds(job.resource, Math.max(...named)));
  const writes = ready.filter((r) => r !== undefined && r.sellId === undefined).length;
  const firstSellId = writes > 0 ? await transiently(() => deps.targets.reserveSellIds(job.resource, writes)) : 0;
  const sellIds = new Map<number, number>();
  let next = firstSellId;
  for (const r of ready) if (r) sellIds.set(r.row, r.sellId ?? next++);
  await pooled(message.rows.length, ROW_CONCURRENCY, async (i) => {
    const r = ready[i];
    if (!r) return;
    outcomes[i] = await writeRow(deps, events, context, r, sellIds.get(r.row)!);
    deps.afterRow?.(r.row);
  });
  const result: BatchResult = { batch: message.batch, created: 0, updated: 0, failed: 0, errors: [] };
  outcomes.forEach((outcome, i) => {
    if (outcome === 'created' || outcome === 'updated') result[outcome]++;
    else {
      result.failed++;
      for (const error of outcome) result.errors.push({ ...error, cells: [...message.rows[i]!] });
    }
  });
  await transiently(() => deps.imports.recordBatch(job.id, result, events.now.toISOString()));
  await transiently(() => finishIfComplete(deps, events, job.id));
  return result;
}

/** What every row of a batch shares. */
interface BatchContext {
  job: ImportJob;
  principal: Principal;
  headers: string[];
  definitions: readonly CustomFieldDefinition[];
  /** Owner e-mail → the user id lookup (undefined: no such user), shared by the batch's rows. */
  owners: Map<string, Promise<string | undefined>>;
  /** "<type>#<Sell id>" → the record id lookup, for notes and tasks. */
  parents: Map<string, Promise<string | undefined>>;
}

/** A row read, its owner (by e-mail, cached per batch) and record (notes, tasks) resolved; its errors otherwise. */
async function prepareRow(
  deps: ImportsDeps,
  { job, principal, headers, definitions, owners, parents }: BatchContext,
  cells: string[],
  row: number,
): Promise<ReadyRow | RowError[]> {
  const mapping = job.mapping!;
  const read = readRow(job.resource, headers, cells, mapping, row, definitions);
  if (!read.ok) return read.errors;
  const owner = await ownerOf(deps, principal, read.ownerEmail, ownerColumn(mapping), row, owners);
  if ('error' in owner) return [owner.error];
  let parentId: string | undefined;
  if (read.parent) {
    const parent = await parentOf(deps, read.parent, row, parents);
    if ('error' in parent) return [parent.error];
    parentId = parent.id;
  }
  return {
    row,
    input: createInput(job.resource, read.input, owner.owner, parentId),
    update: read.input,
    email: read.email,
    owner: job.resource === 'notes' ? null : owner.owner,
    ownerEmail: read.ownerEmail,
    sellId: read.sellId,
  };
}

async function writeRow(
  deps: ImportsDeps,
  events: EventContext,
  { job, principal }: BatchContext,
  ready: ReadyRow,
  sellId: number,
): Promise<Exclude<RowResult, 'failed'> | RowError[]> {
  const { row } = ready;
  const recordId = rowRecordId(job.id, row);
  for (let attempt = 1; ; attempt++) {
    // Each attempt draws the row's ids from the first again: a retry writes the same record.
    const call: Call = {
      principal,
      events: {
        actor_id: principal.user_id,
        correlation_id: job.id,
        now: events.now,
        newId: rowIds(job.id, row),
        origin: { type: 'import', id: job.id, automations: job.run_automations },
      },
    };
    try {
      if (job.match_by_email && ready.email) {
        const match = await deps.targets.idByEmail(job.resource, call, ready.email);
        if (match === recordId) return 'created';
        if (match !== undefined) {
          await deps.targets.update(job.resource, call, match, ready.update);
          return 'updated';
        }
      }
      // No read first: the create's own condition refuses a row written before (its id is the
      // row's), and only then is the record looked up. One write per row on the first delivery.
      await deps.targets.create(job.resource, call, ready.input, {
        ...(ready.owner !== null ? { ownerChecked: ready.owner } : {}),
        sellId,
      });
      return 'created';
    } catch (error) {
      // Written by an earlier delivery (or one still running past its timeout), or by the
      // attempt that failed: the row's own id collides, whatever error the write reports.
      if (await deps.targets.exists(job.resource, recordId)) return 'created';
      if (error instanceof DomainError) return [{ row, column: null, reason: error.message }];
      // A transient failure (throttling, a lock or transaction conflict) is tried again here:
      // failing the batch would hold all of its rows back for the queue's visibility timeout.
      if (attempt >= ROW_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, ROW_RETRY_MS * attempt * (1 + Math.random())));
    }
  }
}

/** Attempts at a row's write before its batch fails (and is handed out again). */
const ROW_ATTEMPTS = 4;
/** The base wait between a row's attempts, in ms (times the attempt, jittered). */
const ROW_RETRY_MS = 250;

/**
 * `work` (a batch's own reads and writes, each safe to repeat) tried again like a row after a
 * transient failure (throttling, a lock wait): one failing would fail the whole batch, held
 * back for the queue's visibility timeout. Domain errors are thrown at once.
 */
async function transiently<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DomainError || attempt >= ROW_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, ROW_RETRY_MS * attempt * (1 + Math.random())));
    }
  }
}

/**
 * Once every batch is recorded: the error file (the failed rows' cells, then the row number
 * and the reason; UTF-8 with BOM), then the import finished with `import.finished`, once.
 */
export async function finishIfComplete(deps: ImportsDeps, events: EventContext, id: string): Promise<boolean> {
  const job = await deps.imports.get(id);
  if (!job || job.status !== 'running' || !isComplete(job)) return false;
  if (job.failed > 0) {
    const results = await deps.imports.batchResults(id);
    const lines = [[...headersOf(job), 'error_row', 'error_column', 'error_reason']];
    for (const result of results) {
      for (const e of result.errors) lines.push([...e.cells, String(e.row), e.column ?? '', e.reason]);
    }
    await deps.files.put(importKeys(id).errors, csvText(lines, { withBom: true }), {
      contentType: 'text/csv; charset=utf-8',
      filename: `${job.filename.replace(/\.csv$/i, '')}-errors.csv`,
    });
  }
  const at = events.now.toISOString();
  const finished: ImportJob = { ...job, status: 'finished', finished_at: at, updated_at: at };
  return deps.imports.finish(id, at, [domainEvent(events, 'import.finished', importResource(job), finished)]);
}
