import { DomainError, ForbiddenError, NotFoundError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Call, Clock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { canSee } from '#shared/kernel/visibility.ts';
import {
  batchesOf,
  BULK_MAX_FILTERED,
  isComplete,
  type BulkCounts,
  type BulkMessage,
  type BulkOperation,
  type BulkResult,
  type CreateBulkOperationInput,
} from './domain.ts';
import type { BulkOperationRepository, BulkQueue, BulkTargets } from './ports.ts';

// Bulk operations: POST answers 202 with the operation and queues its plan; the plan selects
// the records (the ids given, or every page of the list use case for the filter, with the
// requester's rights) and queues them in batches; each batch acts on its records one by one
// through the families' use cases with the requester's rights, records each record's outcome
// once, then the batch's counters once; the batch that completes the operation writes
// `bulk_operation.finished`. Each record's change is one transaction of its use case, and its
// events carry the operation as their origin (the notifications group them into one alert).

export interface BulkOperationsDeps {
  operations: BulkOperationRepository;
  queue: BulkQueue;
  targets: BulkTargets;
  clock: Clock;
}

const resourceOf = (op: Pick<BulkOperation, 'id'>) => ({ resource_type: 'bulk_operation', resource_id: op.id });

async function visibleOperation(deps: BulkOperationsDeps, call: Call, id: string): Promise<BulkOperation> {
  const op = await deps.operations.get(id);
  if (!op || !canSee(call.principal, op.requester_id)) throw new NotFoundError('bulk operation', id);
  return op;
}

/**
 * POST /bulk_operations: checks the filter against the list route's (one page read), stores the
 * operation and queues its plan. Rights are checked per record when it runs.
 * @throws ValidationError for a filter the list route refuses
 */
export async function createBulkOperation(
  deps: BulkOperationsDeps,
  call: Call,
  input: CreateBulkOperationInput,
): Promise<BulkOperation> {
  if (input.filter) await deps.targets.select(input.resource, call, input.filter);
  const now = call.events.now.toISOString();
  const op: BulkOperation = {
    id: call.events.newId(),
    resource: input.resource,
    action: input.action,
    owner_id: input.action === 'reassign' ? (input.owner_id ?? null) : null,
    tag: input.action === 'add_tag' || input.action === 'remove_tag' ? (input.tag ?? null) : null,
    ids: input.ids ? [...new Set(input.ids)] : null,
    filter: input.filter ?? null,
    status: 'queued',
    requester_id: call.principal.user_id,
    total: null,
    batches: null,
    batches_done: 0,
    ok: 0,
    forbidden: 0,
    not_found: 0,
    failed: 0,
    created_at: now,
    updated_at: now,
    finished_at: null,
  };
  await deps.operations.create(op, [domainEvent(call.events, 'bulk_operation.created', resourceOf(op), op)]);
  await deps.queue.send([{ type: 'plan', operation_id: op.id }]);
  return op;
}

/** GET /bulk_operations/{id}: the operation, its counters and every recorded per-record result. */
export async function getBulkOperation(
  deps: BulkOperationsDeps,
  call: Call,
  id: string,
): Promise<{ operation: BulkOperation; results: BulkResult[] }> {
  const operation = await visibleOperation(deps, call, id);
  return { operation, results: await deps.operations.results(id) };
}

/** The call an operation acts with: the requester's rights, its events marked with the operation. */
function operationCall(op: BulkOperation, principal: Principal, events: EventContext): Call {
  return {
    principal,
    events: {
      actor_id: principal.user_id,
      correlation_id: op.id,
      now: events.now,
      newId: events.newId,
      origin: { type: 'bulk_operation', id: op.id, automations: true },
    },
  };
}

/** The records a filter selects, every page of the list use case (at most BULK_MAX_FILTERED). */
async function selected(deps: BulkOperationsDeps, call: Call, op: BulkOperation): Promise<string[]> {
  if (op.ids) return op.ids;
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.targets.select(op.resource, call, op.filter ?? {}, cursor);
    for (const id of page.items) if (!ids.includes(id)) ids.push(id);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && ids.length < BULK_MAX_FILTERED);
  return ids.slice(0, BULK_MAX_FILTERED);
}

/**
 * The plan message: selects the records and queues them in batches. The selection is saved
 * before the operation runs, so a redelivered plan queues the same batches (a filter run again
 * would select other records once some were changed); each batch is counted once.
 */
export async function planBulkOperation(deps: BulkOperationsDeps, events: EventContext, id: string): Promise<void> {
  const op = await deps.operations.get(id);
  if (!op || op.status === 'finished') return;
  let batches: BulkMessage[];
  if (op.status === 'running') {
    batches = (await deps.operations.plan(id, op.batches ?? 0)).map((ids, batch) => ({
      type: 'batch',
      operation_id: id,
      batch,
      ids,
    }));
  } else {
    const principal = await deps.targets.principalOf(op.requester_id);
    const ids = await selected(deps, operationCall(op, principal, events), op);
    const made = batchesOf(id, ids);
    await deps.operations.savePlan(
      id,
      made.map((b) => b.ids),
    );
    await deps.operations.planned(id, { total: ids.length, batches: made.length }, events.now.toISOString());
    batches = made;
  }
  if (batches.length === 0) {
    await finishIfComplete(deps, events, id);
    return;
  }
  await deps.queue.send(batches);
}

/**
 * A batch message: each record acted on once (a record with a recorded result is not touched
 * again), then the batch's counters recorded once, then the operation finished if complete.
 * @returns the batch's counters, undefined when the operation is not running
 */
export async function runBulkBatch(
  deps: BulkOperationsDeps,
  events: EventContext,
  message: BulkMessage & { type: 'batch' },
): Promise<BulkCounts | undefined> {
  const op = await deps.operations.get(message.operation_id);
  if (!op || op.status !== 'running') return undefined;
  const call = operationCall(op, await deps.targets.principalOf(op.requester_id), events);
  const counts: BulkCounts = { ok: 0, forbidden: 0, not_found: 0, failed: 0 };
  for (const recordId of message.ids) {
    let result = await deps.operations.result(op.id, recordId);
    if (!result) {
      result = await actOn(deps, call, op, recordId);
      await deps.operations.putResult(op.id, result);
    }
    counts[result.outcome]++;
  }
  await deps.operations.recordBatch(op.id, message.batch, counts, events.now.toISOString());
  await finishIfComplete(deps, events, op.id);
  return counts;
}

const TAG_ATTEMPTS = 3;

/** One record: the action through the family's use case, its failure read as an outcome. */
async function actOn(deps: BulkOperationsDeps, call: Call, op: BulkOperation, id: string): Promise<BulkResult> {
  const { targets } = deps;
  try {
    if (op.action === 'reassign') {
      await targets.update(op.resource, call, id, { owner_id: op.owner_id! });
    } else if (op.action === 'delete') {
      if (!(await targets.exists(op.resource, id))) {
        // Deleted by an earlier delivery of this batch that stopped before recording it.
        const ours = await deps.operations.isDeleting(op.id, id);
        return { id, outcome: ours ? 'ok' : 'not_found', code: ours ? null : `${op.resource.slice(0, -1)}.not_found` };
      }
      await deps.operations.markDeleting(op.id, id);
      await targets.remove(op.resource, call, id);
    } else {
      await changeTag(targets, call, op, id);
    }
    return { id, outcome: 'ok', code: null };
  } catch (error) {
    if (error instanceof NotFoundError) {
      // Missing, or out of the requester's reach (the use case says 404 alike): told apart here,
      // since the requester named the record (a departing colleague's lead is "forbidden").
      if (await targets.exists(op.resource, id)) return { id, outcome: 'forbidden', code: 'forbidden' };
      if (op.action === 'delete') return { id, outcome: 'ok', code: null };
      return { id, outcome: 'not_found', code: error.code };
    }
    if (error instanceof ForbiddenError) return { id, outcome: 'forbidden', code: error.code };
    if (error instanceof DomainError) return { id, outcome: 'failed', code: error.code };
    throw error;
  }
}

/** Adds or removes the tag with If-Match (a concurrent change of the tags is read again). */
async function changeTag(targets: BulkTargets, call: Call, op: BulkOperation, id: string): Promise<void> {
  const tag = op.tag!;
  for (let attempt = 1; ; attempt++) {
    const record = await targets.read(op.resource, call, id);
    const has = record.tags.some((t) => t.toLowerCase() === tag.toLowerCase());
    if (has === (op.action === 'add_tag')) return;
    const tags =
      op.action === 'add_tag' ? [...record.tags, tag] : record.tags.filter((t) => t.toLowerCase() !== tag.toLowerCase());
    try {
      await targets.update(op.resource, call, id, { tags }, record.version);
      return;
    } catch (error) {
      if (!(error instanceof VersionMismatchError) || attempt >= TAG_ATTEMPTS) throw error;
    }
  }
}

/** Once every batch is recorded: the operation finished with `bulk_operation.finished`, once. */
export async function finishIfComplete(deps: BulkOperationsDeps, events: EventContext, id: string): Promise<boolean> {
  const op = await deps.operations.get(id);
  if (!op || op.status !== 'running' || !isComplete(op)) return false;
  const at = events.now.toISOString();
  const finished: BulkOperation = { ...op, status: 'finished', finished_at: at, updated_at: at };
  const event = domainEvent({ ...events, correlation_id: op.id }, 'bulk_operation.finished', resourceOf(op), finished);
  return deps.operations.finish(id, at, [event]);
}
