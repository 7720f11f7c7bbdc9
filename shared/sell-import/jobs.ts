import { ConflictError, ForbiddenError, NotFoundError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call, Clock } from '#shared/kernel/ports.ts';
import type { CredentialSealer } from '#shared/mailboxes/ports.ts';
import {
  SELL_IMPORT_LEASE_MS,
  SELL_IMPORT_SLICE_MS,
  sellImportSealContext,
  sellImportView,
  type SellImportJob,
  type SellImportView,
  type StartSellImportInput,
} from './domain.ts';
import {
  SellApiError,
  SellImportLeaseLost,
  type SellImportJobs,
  type SellImportQueue,
  type SellImportStore,
  type SellSource,
} from './ports.ts';
import { runSellImport, type SellImportDeps } from './use-cases.ts';

// The admin-started Sell import in AWS: POST /sell_imports seals the token and queues the job;
// the worker runs the command's engine (runSellImport, one source of truth) a slice at a time
// under a lease: SELL_IMPORT_SLICE_MS of pages, the checkpoint a conditional write after each
// page, then the lease dropped and a message for the rest. A duplicate message finds the lease
// held and leaves; a crashed slice's redelivered message finds it expired and resumes.

export interface SellImportJobsDeps {
  jobs: SellImportJobs;
  queue: SellImportQueue;
  /** The mailboxes' credential sealer (shared/mailboxes): the token is stored sealed only. */
  sealer: CredentialSealer;
  /** Sell's API base this deployment reads ("https://api.getbase.com"; tests: the stand-in). */
  baseUrl: string;
  /** Sell's API read with a token (a SellClient at Sell's rate). */
  source: (token: string, baseUrl: string) => SellSource;
  /** The engine's adapters reading `source` and checkpointing to `store`. */
  engine: (source: SellSource, store: SellImportStore) => SellImportDeps;
  clock: Clock;
  /** Milliseconds since some origin (the slice budget's clock); tests pass their own. */
  elapsed?: () => number;
}

const resource = (id: string) => ({ resource_type: 'sell_import', resource_id: id });

/** What the job's events carry: the view, the report's counts without its examples, the admin as owner. */
function eventData(job: SellImportJob) {
  const view = sellImportView(job);
  const report = Object.fromEntries(Object.entries(view.report).map(([name, r]) => [name, { ...r, examples: [] }]));
  return { ...view, report, owner_id: job.creator_id, version: 1 };
}

function adminOnly(call: Call): void {
  if (call.principal.role !== 'admin') throw new ForbiddenError('Only admins may import from Zendesk Sell');
}

async function jobOf(deps: SellImportJobsDeps, call: Call, id: string): Promise<SellImportJob> {
  adminOnly(call);
  const job = await deps.jobs.get(id);
  if (!job) throw new NotFoundError('sell_import', id);
  return job;
}

/** POST /sell_imports (admins): the token sealed, the job queued; answers it (202). */
export async function startSellImport(
  deps: SellImportJobsDeps,
  call: Call,
  input: StartSellImportInput,
): Promise<SellImportView> {
  adminOnly(call);
  const id = call.events.newId();
  const now = call.events.now.toISOString();
  const job: SellImportJob = {
    id,
    status: 'queued',
    creator_id: call.principal.user_id,
    base_url: deps.baseUrl,
    failure_reason: null,
    created_at: now,
    updated_at: now,
    finished_at: null,
    sealed_token: await deps.sealer.seal(input.token, sellImportSealContext(id)),
    checkpoint: null,
  };
  await deps.jobs.create(job, [domainEvent(call.events, 'sell_import.created', resource(id), eventData(job))]);
  await deps.queue.send({ import_id: id });
  return sellImportView(job);
}

/** How many imports GET /sell_imports lists: the newest (an account is imported a few times at most). */
export const SELL_IMPORTS_LISTED = 20;

/** GET /sell_imports (admins): the newest SELL_IMPORTS_LISTED imports, newest first, so a running one is found again. */
export async function listSellImports(deps: SellImportJobsDeps, call: Call): Promise<{ items: SellImportView[] }> {
  adminOnly(call);
  return { items: (await deps.jobs.list(SELL_IMPORTS_LISTED)).map(sellImportView) };
}

/** GET /sell_imports/{id} (admins): progress and the report so far. */
export async function getSellImport(deps: SellImportJobsDeps, call: Call, id: string): Promise<SellImportView> {
  return sellImportView(await jobOf(deps, call, id));
}

/**
 * DELETE /sell_imports/{id} (admins): cancels a queued or running import (its token removed);
 * records imported so far stay. A slice running meanwhile stops at its next checkpoint.
 * @throws ConflictError (409) when the import had ended
 */
export async function cancelSellImport(deps: SellImportJobsDeps, call: Call, id: string): Promise<SellImportView> {
  const job = await jobOf(deps, call, id);
  const at = call.events.now.toISOString();
  const cancelled: SellImportJob = { ...job, status: 'cancelled', finished_at: at, updated_at: at, sealed_token: null };
  const events = [domainEvent(call.events, 'sell_import.cancelled', resource(id), eventData(cancelled))];
  if (!(await deps.jobs.end(id, 'cancelled', { at, failure_reason: null }, events))) {
    throw new ConflictError(`The Sell import ${id} has ended (${job.status})`);
  }
  return sellImportView(cancelled);
}

export type SellImportSliceOutcome = 'finished' | 'continued' | 'failed' | 'busy' | 'skipped' | 'lost';

/**
 * One worker slice of import `id` as `holder` (the message's delivery): takes the lease or
 * leaves ('busy': a duplicate), runs the engine for SELL_IMPORT_SLICE_MS of pages, then
 * finishes the job (sell_import.finished: the admin is notified) or drops the lease and queues
 * the rest. A token Sell refuses (401/403) or an admin no longer admin fails the job.
 * @throws on other failures, with the lease dropped (the queue redelivers the message)
 */
export async function runSellImportSlice(
  deps: SellImportJobsDeps,
  events: EventContext,
  id: string,
  holder: string,
): Promise<SellImportSliceOutcome> {
  const job = await deps.jobs.get(id);
  if (!job || (job.status !== 'queued' && job.status !== 'running') || !job.sealed_token) return 'skipped';
  const now = deps.clock.now().getTime();
  if (!(await deps.jobs.acquire(id, holder, now, now + SELL_IMPORT_LEASE_MS))) return 'busy';
  const elapsed = deps.elapsed ?? (() => performance.now());
  const started = elapsed();
  let checkpoint;
  try {
    const { plain } = await deps.sealer.open(job.sealed_token, sellImportSealContext(id));
    const engine = deps.engine(deps.source(plain, job.base_url), deps.jobs.checkpoints(id, holder));
    checkpoint = await runSellImport(engine, {
      id,
      actorId: job.creator_id,
      shouldStop: () => elapsed() - started >= SELL_IMPORT_SLICE_MS,
    });
  } catch (error) {
    if (error instanceof SellImportLeaseLost) return 'lost';
    const refused = error instanceof SellApiError && (error.status === 401 || error.status === 403);
    if (refused || error instanceof ForbiddenError) {
      await failSellImport(deps, events, id, (error as Error).message, holder);
      return 'failed';
    }
    await deps.jobs.release(id, holder);
    throw error;
  }
  if (checkpoint.status === 'finished') {
    const at = deps.clock.now().toISOString();
    const done: SellImportJob = { ...job, status: 'finished', checkpoint, finished_at: at, updated_at: at, sealed_token: null };
    const finished = domainEvent({ ...events, actor_id: job.creator_id }, 'sell_import.finished', resource(id), eventData(done));
    return (await deps.jobs.end(id, 'finished', { at, failure_reason: null, holder }, [finished])) ? 'finished' : 'lost';
  }
  await deps.jobs.release(id, holder);
  await deps.queue.send({ import_id: id });
  return 'continued';
}

/** Marks the import failed with `reason` (its last delivery, or a refused token); the admin sees why on GET. */
export async function failSellImport(
  deps: SellImportJobsDeps,
  events: EventContext,
  id: string,
  reason: string,
  holder?: string,
): Promise<boolean> {
  const job = await deps.jobs.get(id);
  if (!job) return false;
  const at = deps.clock.now().toISOString();
  const failed: SellImportJob = {
    ...job,
    status: 'failed',
    failure_reason: reason,
    finished_at: at,
    updated_at: at,
    sealed_token: null,
  };
  const event = domainEvent({ ...events, actor_id: job.creator_id }, 'sell_import.failed', resource(id), eventData(failed));
  return deps.jobs.end(id, 'failed', { at, failure_reason: reason, ...(holder ? { holder } : {}) }, [event]);
}
