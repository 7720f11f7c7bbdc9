import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoBulkOperationRepository } from '#shared/bulk-operations/dynamodb.ts';
import type { BulkOperation } from '#shared/bulk-operations/domain.ts';
import { newId } from '#shared/kernel/ids.ts';
import { domainEvent } from '#shared/kernel/events.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// The bulk operations' repository on DynamoDB Local: a batch's counters added once however
// often it is recorded (also concurrently), a saved plan read back in order, results per
// record, and the operation finished (with its event) once.

let repo: DynamoBulkOperationRepository;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  repo = new DynamoBulkOperationRepository(testTableClient(tableName));
});

const AT = '2031-03-04T10:00:00.000Z';

function operation(): BulkOperation {
  return {
    id: newId(),
    resource: 'leads',
    action: 'reassign',
    owner_id: newId(),
    tag: null,
    ids: null,
    filter: { owner_id: newId() },
    status: 'queued',
    requester_id: newId(),
    total: null,
    batches: null,
    batches_done: 0,
    ok: 0,
    forbidden: 0,
    not_found: 0,
    failed: 0,
    created_at: AT,
    updated_at: AT,
    finished_at: null,
  };
}

const ctx = { actor_id: 'system', correlation_id: 'c', now: new Date(AT), newId: () => newId() };

describe('DynamoBulkOperationRepository', () => {
  it('adds a batch once, however often (and however concurrently) it is recorded, and finishes once', async () => {
    const op = operation();
    await repo.create(op, []);
    const plan = [
      [newId(), newId()],
      [newId(), newId()],
    ];
    await repo.savePlan(op.id, plan);
    await repo.planned(op.id, { total: 4, batches: 2 }, AT);
    // A redelivered plan with the same totals changes nothing.
    await repo.planned(op.id, { total: 4, batches: 2 }, AT);
    expect(await repo.plan(op.id, 2)).toEqual(plan);

    const counts = { ok: 1, forbidden: 1, not_found: 0, failed: 0 };
    const first = await Promise.all([0, 0, 0].map((b) => repo.recordBatch(op.id, b, counts, AT)));
    expect(first.filter(Boolean)).toHaveLength(1);
    expect(await repo.recordBatch(op.id, 1, { ok: 2, forbidden: 0, not_found: 0, failed: 0 }, AT)).toBe(true);
    expect(await repo.get(op.id)).toMatchObject({ status: 'running', batches_done: 2, ok: 3, forbidden: 1, total: 4 });

    const event = () => domainEvent(ctx, 'bulk_operation.finished', { resource_type: 'bulk_operation', resource_id: op.id }, op);
    expect(await repo.finish(op.id, AT, [event()])).toBe(true);
    expect(await repo.finish(op.id, AT, [event()])).toBe(false);
    expect((await repo.get(op.id))?.status).toBe('finished');
  });

  it('keeps one result per record, and the delete markers', async () => {
    const op = operation();
    await repo.create(op, []);
    const [a, b] = [newId(), newId()].sort();
    await repo.putResult(op.id, { id: b!, outcome: 'forbidden', code: 'forbidden' });
    await repo.putResult(op.id, { id: a!, outcome: 'ok', code: null });
    await repo.putResult(op.id, { id: a!, outcome: 'ok', code: null });
    expect(await repo.results(op.id)).toEqual([
      { id: a, outcome: 'ok', code: null },
      { id: b, outcome: 'forbidden', code: 'forbidden' },
    ]);
    expect(await repo.result(op.id, b!)).toEqual({ id: b, outcome: 'forbidden', code: 'forbidden' });
    expect(await repo.isDeleting(op.id, a!)).toBe(false);
    await repo.markDeleting(op.id, a!);
    expect(await repo.isDeleting(op.id, a!)).toBe(true);
  });
});
