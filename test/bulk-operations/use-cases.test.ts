import { describe, expect, it } from 'vitest';
import { createBulkOperation, getBulkOperation, planBulkOperation, runBulkBatch } from '#shared/bulk-operations/use-cases.ts';
import { createBulkOperationInput, type BulkMessage } from '#shared/bulk-operations/domain.ts';
import type { EventContext } from '#shared/kernel/events.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import type { LeadsDeps } from '#shared/leads/use-cases.ts';
import * as z from 'zod/mini';
import { callsAs, idSequence, principalOf, testId, USERS } from '#test/helpers/fakes.ts';
import { catalogOf } from '#test/custom-fields/fakes.ts';
import { InMemoryStore } from '#test/helpers/in-memory-store.ts';
import { InMemoryLeadRepository, makeLead } from '#test/contacts/fakes.ts';
import { bulkDeps, InMemoryBulkOperations } from './fakes.ts';

// Bulk operations over the leads' own use cases: every record checked with the requester's
// rights as the single-record route checks them, each record acted on once under
// redelivery, the counters and `bulk_operation.finished` once, the records' events marked
// with the operation (the notifications group them).

const DEPARTING = USERS.peer;
const principals = new Map<string, Principal>([
  [USERS.admin.id, principalOf(USERS.admin)],
  [USERS.manager.id, principalOf(USERS.manager, [USERS.rep.id])],
  [USERS.rep.id, principalOf(USERS.rep)],
  [USERS.peer.id, principalOf(USERS.peer)],
]);

function setup(leadsOf: Record<string, number>) {
  const store = new InMemoryStore().seed({ users: Object.values(USERS) });
  const leads = new InMemoryLeadRepository(store);
  let n = 100;
  for (const [owner, count] of Object.entries(leadsOf)) {
    for (let i = 0; i < count; i++) leads.seed(makeLead(testId(n++, 'L'), { owner_id: owner, creator_id: owner, tags: ['old'] }));
  }
  const leadDeps: LeadsDeps = { leads, customFields: catalogOf(store) };
  const operations = new InMemoryBulkOperations();
  const deps = bulkDeps(leadDeps, principals, operations);
  return { leads, deps, operations, as: callsAs('2031-03-04T10:00:00.000Z') };
}

const worker: EventContext = {
  actor_id: 'system',
  correlation_id: 'worker',
  now: new Date('2031-03-04T10:01:00.000Z'),
  newId: idSequence(),
};

/** Runs the worker until the queue is empty; `times`: deliveries of each message. */
async function drain(deps: ReturnType<typeof setup>['deps'], times = 1): Promise<void> {
  for (let messages = deps.queue.drain(); messages.length > 0; messages = deps.queue.drain()) {
    for (const message of messages as BulkMessage[]) {
      for (let t = 0; t < times; t++) {
        if (message.type === 'plan') await planBulkOperation(deps, worker, message.operation_id);
        else await runBulkBatch(deps, worker, message);
      }
    }
  }
}

const owners = (leads: InMemoryLeadRepository) => [...leads.leads.values()].map((l) => l.owner_id);

describe("an admin hands a departing rep's leads to a colleague", () => {
  it('reassigns every lead the filter selects (paged), once, even when every message is delivered twice', async () => {
    const { leads, deps, operations, as } = setup({ [DEPARTING.id]: 7, [USERS.rep.id]: 2 });
    const op = await createBulkOperation(deps, as.admin(), {
      resource: 'leads',
      action: 'reassign',
      owner_id: USERS.rep.id,
      filter: { owner_id: DEPARTING.id },
    });
    expect(op).toMatchObject({ status: 'queued', requester_id: USERS.admin.id, ids: null });
    await drain(deps, 2);
    expect(owners(leads).every((o) => o === USERS.rep.id)).toBe(true);
    const { operation, results } = await getBulkOperation(deps, as.admin(), op.id);
    expect(operation).toMatchObject({ status: 'finished', total: 7, ok: 7, forbidden: 0, not_found: 0, failed: 0 });
    expect(results).toHaveLength(7);
    // One owner change per lead, each marked with the operation; one finished event.
    const changes = leads.events.filter((e) => e.metadata.event_type === 'lead.owner_changed');
    expect(changes).toHaveLength(7);
    expect(changes.every((e) => e.metadata.origin?.type === 'bulk_operation' && e.metadata.origin.id === op.id)).toBe(true);
    expect(changes.every((e) => e.metadata.actor_id === USERS.admin.id)).toBe(true);
    expect(operations.events.filter((e) => e.metadata.event_type === 'bulk_operation.finished')).toHaveLength(1);
  });
});

describe('rights per record', () => {
  it("lets a rep delete their own lead and reports a colleague's as forbidden and an unknown id as not_found", async () => {
    const { leads, deps, as } = setup({ [USERS.rep.id]: 1, [USERS.peer.id]: 1 });
    const [own, colleague] = [testId(100, 'L'), testId(101, 'L')];
    const op = await createBulkOperation(deps, as.rep(), {
      resource: 'leads',
      action: 'delete',
      ids: [own, colleague, 'L-none'],
    });
    await drain(deps);
    const { operation, results } = await getBulkOperation(deps, as.rep(), op.id);
    expect(results).toEqual([
      { id: own, outcome: 'ok', code: null },
      { id: colleague, outcome: 'forbidden', code: 'forbidden' },
      { id: 'L-none', outcome: 'not_found', code: 'lead.not_found' },
    ]);
    expect(operation).toMatchObject({ ok: 1, forbidden: 1, not_found: 1 });
    expect([...leads.leads.keys()]).toEqual([colleague]);
  });

  it('refuses a rep reassigning their lead to a colleague (owner_not_assignable), and lets a manager move it within the team', async () => {
    const { leads, deps, as } = setup({ [USERS.rep.id]: 1 });
    const id = testId(100, 'L');
    const byRep = await createBulkOperation(deps, as.rep(), {
      resource: 'leads',
      action: 'reassign',
      owner_id: USERS.peer.id,
      ids: [id],
    });
    await drain(deps);
    expect((await getBulkOperation(deps, as.rep(), byRep.id)).results).toEqual([
      { id, outcome: 'forbidden', code: 'owner_not_assignable' },
    ]);
    const outside = await createBulkOperation(deps, as.manager(), {
      resource: 'leads',
      action: 'reassign',
      owner_id: USERS.peer.id,
      ids: [id],
    });
    const inside = await createBulkOperation(deps, as.manager(), {
      resource: 'leads',
      action: 'reassign',
      owner_id: USERS.manager.id,
      ids: [id],
    });
    await drain(deps);
    expect((await getBulkOperation(deps, as.manager(), outside.id)).results[0]!.outcome).toBe('forbidden');
    expect((await getBulkOperation(deps, as.manager(), inside.id)).results[0]!.outcome).toBe('ok');
    expect(leads.leads.get(id)!.owner_id).toBe(USERS.manager.id);
  });

  it('hides an operation from other users (404), as any record out of reach', async () => {
    const { deps, as } = setup({ [USERS.rep.id]: 1 });
    const op = await createBulkOperation(deps, as.rep(), {
      resource: 'leads',
      action: 'add_tag',
      tag: 'x',
      ids: [testId(100, 'L')],
    });
    await expect(getBulkOperation(deps, as.peer(), op.id)).rejects.toMatchObject({ code: 'bulk_operation.not_found' });
    await expect(getBulkOperation(deps, as.manager(), op.id)).resolves.toBeDefined();
  });
});

describe('tags', () => {
  it('adds and removes a tag, counting a record that already had it (or not) as ok with no change', async () => {
    const { leads, deps, as } = setup({ [USERS.rep.id]: 2 });
    const ids = [testId(100, 'L'), testId(101, 'L')];
    await createBulkOperation(deps, as.rep(), { resource: 'leads', action: 'add_tag', tag: 'vip', ids });
    await drain(deps, 2);
    expect(ids.map((id) => leads.leads.get(id)!.tags)).toEqual([
      ['old', 'vip'],
      ['old', 'vip'],
    ]);
    expect(leads.events.filter((e) => e.metadata.event_type === 'lead.updated')).toHaveLength(2);
    await createBulkOperation(deps, as.rep(), { resource: 'leads', action: 'remove_tag', tag: 'old', ids });
    await drain(deps);
    expect(ids.map((id) => leads.leads.get(id)!.tags)).toEqual([['vip'], ['vip']]);
  });
});

describe('redelivery and half-done batches', () => {
  it('reports ok for a record an earlier delivery deleted before it could record the result', async () => {
    const { leads, deps, operations, as } = setup({ [USERS.rep.id]: 2 });
    const ids = [testId(100, 'L'), testId(101, 'L')];
    const op = await createBulkOperation(deps, as.rep(), { resource: 'leads', action: 'delete', ids });
    await drain(deps);
    expect(leads.leads.size).toBe(0);
    // Simulate the crash: forget the results, as if the worker died before putResult.
    const fresh = new InMemoryBulkOperations();
    const stored = (await operations.get(op.id))!;
    await fresh.create({ ...stored, status: 'running', batches: 1, batches_done: 0, ok: 0 }, []);
    for (const id of ids) await fresh.markDeleting(op.id, id);
    const again = { ...deps, operations: fresh };
    await runBulkBatch(again, worker, { type: 'batch', operation_id: op.id, batch: 0, ids });
    expect(await fresh.results(op.id)).toEqual(ids.map((id) => ({ id, outcome: 'ok', code: null })));
  });
});

describe('the request', () => {
  const a = testId(1);
  const parse = (input: unknown) => z.safeParse(createBulkOperationInput, input);
  it('takes ids or a filter (not both, not neither), at most 1,000 ids, and what the action needs', () => {
    expect(parse({ resource: 'leads', action: 'delete', ids: [a] }).success).toBe(true);
    expect(parse({ resource: 'leads', action: 'delete' }).success).toBe(false);
    expect(parse({ resource: 'leads', action: 'delete', ids: [a], filter: {} }).success).toBe(false);
    expect(parse({ resource: 'leads', action: 'delete', ids: Array.from({ length: 1001 }, (_, i) => testId(i)) }).success).toBe(
      false,
    );
    expect(parse({ resource: 'leads', action: 'delete', ids: Array.from({ length: 1000 }, (_, i) => testId(i)) }).success).toBe(
      true,
    );
    expect(parse({ resource: 'leads', action: 'reassign', ids: [a] }).success).toBe(false);
    expect(parse({ resource: 'leads', action: 'add_tag', ids: [a] }).success).toBe(false);
    expect(parse({ resource: 'tasks', action: 'delete', ids: [a] }).success).toBe(false);
  });
});
