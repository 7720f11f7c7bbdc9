import type { DomainEvent } from '#shared/kernel/events.ts';
import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { fromItem, type Item, type Table } from '#shared/platform/dynamodb/table.ts';
import type { BulkCounts, BulkOperation, BulkResult } from './domain.ts';
import type { BulkOperationRepository } from './ports.ts';

// Bulk operations on the single table: the operation ("bulk_operation#<id>" / "bulk_operation",
// its counters updated with ADD, never rewritten whole), and in its partition the saved plan
// ("plan#<n>": the ids of batch n), one result per record ("result#<record id>"), a marker per
// record being deleted ("deleting#<record id>") and one item per recorded batch ("batch#<n>"),
// created in the transaction that adds its counters: a batch delivered twice adds them once.

export const bulkOperationKey = tableKeys<[id: string]>('bulk_operation', 'bulk_operation');
const pk = (id: string) => bulkOperationKey(id).pk;
const pad = (n: number) => String(n).padStart(6, '0');

const strip = ({ pk: _pk, sk: _sk, kind: _kind, ...rest }: Item): Item => rest;

export class DynamoBulkOperationRepository implements BulkOperationRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(id: string): Promise<BulkOperation | undefined> {
    const item = await this.#table.get(bulkOperationKey(id), { consistent: true });
    return item ? fromItem<BulkOperation>(strip(item)) : undefined;
  }

  async create(op: BulkOperation, events: DomainEvent[]): Promise<void> {
    await this.#table.write([{ type: 'create', item: { ...bulkOperationKey(op.id), kind: 'bulk_operation', ...op } }], events);
  }

  async savePlan(id: string, batches: readonly string[][]): Promise<void> {
    for (const [n, ids] of batches.entries()) {
      await this.#table.write([{ type: 'put', item: { pk: pk(id), sk: `plan#${pad(n)}`, kind: 'bulk_plan', ids } }]);
    }
  }

  async plan(id: string, count: number): Promise<string[][]> {
    const items = await this.#table.partition(pk(id), 'plan#');
    return items.slice(0, count).map((item) => item.ids as string[]);
  }

  async planned(id: string, totals: { total: number; batches: number }, at: string): Promise<void> {
    await this.#table.write([
      {
        type: 'update',
        key: bulkOperationKey(id),
        update: 'SET #status = :running, #total = :total, batches = :batches, updated_at = :at',
        condition: '#status = :queued OR (#status = :running AND batches = :batches)',
        names: { '#status': 'status', '#total': 'total' },
        values: { ':running': 'running', ':queued': 'queued', ':total': totals.total, ':batches': totals.batches, ':at': at },
      },
    ]);
  }

  async result(id: string, recordId: string): Promise<BulkResult | undefined> {
    const item = await this.#table.get({ pk: pk(id), sk: `result#${recordId}` }, { consistent: true });
    return item ? fromItem<BulkResult>(strip(item)) : undefined;
  }

  async putResult(id: string, result: BulkResult): Promise<void> {
    await this.#table.write([{ type: 'put', item: { pk: pk(id), sk: `result#${result.id}`, kind: 'bulk_result', ...result } }]);
  }

  async markDeleting(id: string, recordId: string): Promise<void> {
    await this.#table.write([{ type: 'put', item: { pk: pk(id), sk: `deleting#${recordId}`, kind: 'bulk_deleting' } }]);
  }

  async isDeleting(id: string, recordId: string): Promise<boolean> {
    return (await this.#table.get({ pk: pk(id), sk: `deleting#${recordId}` }, { consistent: true })) !== undefined;
  }

  async results(id: string): Promise<BulkResult[]> {
    const items = await this.#table.partition(pk(id), 'result#');
    return items.map((item) => fromItem<BulkResult>(strip(item)));
  }

  async recordBatch(id: string, batch: number, counts: BulkCounts, at: string): Promise<boolean> {
    try {
      await this.#table.write([
        { type: 'create', item: { pk: pk(id), sk: `batch#${pad(batch)}`, kind: 'bulk_batch', batch, ...counts } },
        {
          type: 'update',
          key: bulkOperationKey(id),
          update: 'ADD ok :ok, forbidden :fb, not_found :nf, failed :f, batches_done :one SET updated_at = :at',
          values: {
            ':ok': counts.ok,
            ':fb': counts.forbidden,
            ':nf': counts.not_found,
            ':f': counts.failed,
            ':one': 1,
            ':at': at,
          },
        },
      ]);
      return true;
    } catch (error) {
      if (await this.#table.get({ pk: pk(id), sk: `batch#${pad(batch)}` }, { consistent: true })) return false;
      throw error;
    }
  }

  async finish(id: string, at: string, events: DomainEvent[]): Promise<boolean> {
    try {
      await this.#table.write(
        [
          {
            type: 'update',
            key: bulkOperationKey(id),
            update: 'SET #status = :finished, finished_at = :at, updated_at = :at',
            condition: '#status = :running',
            names: { '#status': 'status' },
            values: { ':finished': 'finished', ':running': 'running', ':at': at },
          },
        ],
        events,
      );
      return true;
    } catch (error) {
      if ((await this.get(id))?.status === 'finished') return false;
      throw error;
    }
  }
}
