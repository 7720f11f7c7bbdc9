import type { DomainEvent } from '#shared/kernel/events.ts';
import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { fromItem, type Item, type Table } from '#shared/platform/dynamodb/table.ts';
import type { BatchResult, ImportJob } from './domain.ts';
import type { ImportRepository } from './ports.ts';

// Imports on the single table: the job ("import#<id>" / "import", its counters updated with
// ADD, never rewritten whole, so concurrent batches never lose each other's counts) and one
// item per recorded batch in the same partition ("batch#<n>"), created in the transaction that
// adds its counters: a batch delivered twice adds them once.

export const importKey = tableKeys<[id: string]>('import', 'import');
const batchKey = (id: string, batch: number) => ({ pk: importKey(id).pk, sk: `batch#${String(batch).padStart(6, '0')}` });

function toJob(item: Item): ImportJob {
  const { pk: _pk, sk: _sk, kind: _kind, ...job } = item;
  return fromItem<ImportJob>(job);
}

export class DynamoImportRepository implements ImportRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(id: string): Promise<ImportJob | undefined> {
    const item = await this.#table.get(importKey(id), { consistent: true });
    return item ? toJob(item) : undefined;
  }

  async create(job: ImportJob, events: DomainEvent[]): Promise<void> {
    await this.#table.write([{ type: 'create', item: { ...importKey(job.id), kind: 'import', ...job } }], events);
  }

  async start(
    id: string,
    settings: Pick<ImportJob, 'mapping' | 'columns' | 'match_by_email' | 'run_automations'>,
    at: string,
  ): Promise<boolean> {
    return this.#conditional({
      type: 'update',
      key: importKey(id),
      update:
        'SET #status = :queued, mapping = :mapping, #columns = :columns, match_by_email = :match, run_automations = :auto, updated_at = :at',
      condition: '#status = :awaiting',
      names: { '#status': 'status', '#columns': 'columns' },
      values: {
        ':columns': settings.columns,
        ':queued': 'queued',
        ':awaiting': 'awaiting_upload',
        ':mapping': settings.mapping,
        ':match': settings.match_by_email,
        ':auto': settings.run_automations,
        ':at': at,
      },
    });
  }

  async planned(id: string, totals: { total_rows: number; batches: number }, at: string): Promise<void> {
    await this.#conditional({
      type: 'update',
      key: importKey(id),
      update: 'SET #status = :running, total_rows = :rows, batches = :batches, updated_at = :at',
      condition: '#status = :queued OR (#status = :running AND batches = :batches)',
      names: { '#status': 'status' },
      values: { ':running': 'running', ':queued': 'queued', ':rows': totals.total_rows, ':batches': totals.batches, ':at': at },
    });
  }

  async recordBatch(id: string, result: BatchResult, at: string): Promise<boolean> {
    try {
      await this.#table.write([
        { type: 'create', item: { ...batchKey(id, result.batch), kind: 'import_batch', ...result } },
        {
          type: 'update',
          key: importKey(id),
          update: 'ADD created :c, updated :u, failed :f, batches_done :one SET updated_at = :at',
          values: { ':c': result.created, ':u': result.updated, ':f': result.failed, ':one': 1, ':at': at },
        },
      ]);
      return true;
    } catch (error) {
      if (await this.#table.get(batchKey(id, result.batch), { consistent: true })) return false;
      throw error;
    }
  }

  async batchResults(id: string): Promise<BatchResult[]> {
    const items = await this.#table.partition(importKey(id).pk, 'batch#');
    return items.map(({ pk: _pk, sk: _sk, kind: _kind, ...result }) => fromItem<BatchResult>(result));
  }

  async finish(id: string, at: string, events: DomainEvent[]): Promise<boolean> {
    try {
      await this.#table.write(
        [
          {
            type: 'update',
            key: importKey(id),
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

  async #conditional(op: Parameters<Table['write']>[0][number]): Promise<boolean> {
    try {
      await this.#table.write([op]);
      return true;
    } catch (error) {
      if ((error as Error).name === 'UnexpectedWriteConflict') return false;
      throw error;
    }
  }
}
