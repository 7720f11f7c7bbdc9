import type { BulkCounts, BulkMessage, BulkOperation, BulkResult } from '#shared/bulk-operations/domain.ts';
import type { BulkOperationRepository, BulkQueue, BulkTargets } from '#shared/bulk-operations/ports.ts';
import type { BulkOperationsDeps } from '#shared/bulk-operations/use-cases.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { deleteLead, getLead, listLeads, updateLead, type LeadsDeps } from '#shared/leads/use-cases.ts';
import { FixedClock } from '#test/helpers/fakes.ts';

// Bulk operations' fakes: the operations in memory, a queue that keeps what it is sent, and
// the leads' own use cases (over their in-memory repository) as the records acted on.

export class InMemoryBulkOperations implements BulkOperationRepository {
  readonly ops = new Map<string, BulkOperation>();
  readonly events: DomainEvent[] = [];
  readonly #plans = new Map<string, string[][]>();
  readonly #results = new Map<string, Map<string, BulkResult>>();
  readonly #deleting = new Set<string>();
  readonly #batches = new Set<string>();

  async get(id: string) {
    const op = this.ops.get(id);
    return op && structuredClone(op);
  }
  async create(op: BulkOperation, events: DomainEvent[]) {
    this.ops.set(op.id, structuredClone(op));
    this.events.push(...events);
  }
  async savePlan(id: string, batches: readonly string[][]) {
    this.#plans.set(
      id,
      batches.map((b) => [...b]),
    );
  }
  async plan(id: string, count: number) {
    return (this.#plans.get(id) ?? []).slice(0, count);
  }
  async planned(id: string, totals: { total: number; batches: number }, at: string) {
    const op = this.ops.get(id)!;
    if (op.status === 'running' && op.batches !== totals.batches) throw new Error('planned twice with other totals');
    Object.assign(op, { status: 'running', total: totals.total, batches: totals.batches, updated_at: at });
  }
  async result(id: string, recordId: string) {
    return this.#results.get(id)?.get(recordId);
  }
  async putResult(id: string, result: BulkResult) {
    if (!this.#results.has(id)) this.#results.set(id, new Map());
    this.#results.get(id)!.set(result.id, { ...result });
  }
  async markDeleting(id: string, recordId: string) {
    this.#deleting.add(`${id}/${recordId}`);
  }
  async isDeleting(id: string, recordId: string) {
    return this.#deleting.has(`${id}/${recordId}`);
  }
  async results(id: string) {
    return [...(this.#results.get(id)?.values() ?? [])].sort((a, b) => a.id.localeCompare(b.id));
  }
  async recordBatch(id: string, batch: number, counts: BulkCounts, at: string) {
    if (this.#batches.has(`${id}/${batch}`)) return false;
    this.#batches.add(`${id}/${batch}`);
    const op = this.ops.get(id)!;
    for (const k of ['ok', 'forbidden', 'not_found', 'failed'] as const) op[k] += counts[k];
    op.batches_done++;
    op.updated_at = at;
    return true;
  }
  async finish(id: string, at: string, events: DomainEvent[]) {
    const op = this.ops.get(id)!;
    if (op.status !== 'running') return false;
    Object.assign(op, { status: 'finished', finished_at: at, updated_at: at });
    this.events.push(...events);
    return true;
  }
}

export class CollectingQueue implements BulkQueue {
  readonly sent: BulkMessage[] = [];
  async send(messages: readonly BulkMessage[]) {
    this.sent.push(...structuredClone(messages));
  }
  /** Takes every message sent so far (the worker's next receives). */
  drain(): BulkMessage[] {
    return this.sent.splice(0, this.sent.length);
  }
}

/** The leads' use cases as targets (the other resources are not part of these tests). */
export function leadTargets(leads: LeadsDeps, principals: Map<string, Principal>): BulkTargets {
  const onlyLeads = (resource: string) => {
    if (resource !== 'leads') throw new Error(`the fake targets hold leads only, not ${resource}`);
  };
  return {
    principalOf: async (userId) => principals.get(userId)!,
    exists: async (resource, id) => {
      onlyLeads(resource);
      return (await leads.leads.get(id)) !== undefined;
    },
    read: async (resource, call, id) => {
      onlyLeads(resource);
      return getLead(leads, call, id);
    },
    update: async (resource, call, id, patch, ifMatch) => {
      onlyLeads(resource);
      await updateLead(leads, call, id, patch, ifMatch);
    },
    remove: async (resource, call, id) => {
      onlyLeads(resource);
      await deleteLead(leads, call, id);
    },
    select: async (resource, call, filter, cursor) => {
      onlyLeads(resource);
      const page = await listLeads(leads, call, { ...filter, limit: 2, cursor, raw: {} });
      return { items: page.items.map((l) => l.id), next_cursor: page.next_cursor };
    },
  };
}

/** Deps over the in-memory operations, a collecting queue and the leads' use cases. */
export function bulkDeps(
  leads: LeadsDeps,
  principals: Map<string, Principal>,
  operations: BulkOperationRepository = new InMemoryBulkOperations(),
): BulkOperationsDeps & { queue: CollectingQueue } {
  return {
    operations,
    queue: new CollectingQueue(),
    targets: leadTargets(leads, principals),
    clock: new FixedClock('2031-03-04T10:00:00.000Z'),
  };
}
