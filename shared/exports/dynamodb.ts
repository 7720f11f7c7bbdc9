import type { DomainEvent } from '#shared/kernel/events.ts';
import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { fromItem, type Item, type Table } from '#shared/platform/dynamodb/table.ts';
import type { ExportCheckpoint, ExportJob } from './domain.ts';
import type { ExportRepository } from './ports.ts';

// Exports on the single table: one item per export ("export#<id>" / "export"), its checkpoint
// moved forward only from the part count the writer read, so two invocations of one slice
// record it once.

export const exportKey = tableKeys<[id: string]>('export', 'export');

function toJob(item: Item): ExportJob {
  const { pk: _pk, sk: _sk, kind: _kind, ...job } = item;
  return fromItem<ExportJob>(job);
}

export class DynamoExportRepository implements ExportRepository {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(id: string): Promise<ExportJob | undefined> {
    const item = await this.#table.get(exportKey(id), { consistent: true });
    return item ? toJob(item) : undefined;
  }

  async create(job: ExportJob, events: DomainEvent[]): Promise<void> {
    await this.#table.write([{ type: 'create', item: { ...exportKey(job.id), kind: 'export', ...job } }], events);
  }

  async checkpoint(id: string, partsBefore: number, next: ExportCheckpoint, rows: number, at: string): Promise<boolean> {
    return this.#conditional(
      {
        type: 'update',
        key: exportKey(id),
        update:
          'SET #status = :running, #columns = :columns, custom_field_names = :names, #cursor = :cursor, part_bytes = :parts, #rows = :rows, updated_at = :at',
        condition: '(#status = :queued OR #status = :running) AND size(part_bytes) = :before',
        names: { '#status': 'status', '#columns': 'columns', '#cursor': 'cursor', '#rows': 'rows' },
        values: {
          ':running': 'running',
          ':queued': 'queued',
          ':columns': next.columns,
          ':names': next.custom_field_names,
          ':cursor': next.cursor,
          ':parts': next.part_bytes,
          ':rows': rows,
          ':before': partsBefore,
          ':at': at,
        },
      },
      [],
    );
  }

  finish(id: string, at: string, events: DomainEvent[]): Promise<boolean> {
    return this.#conditional(
      {
        type: 'update',
        key: exportKey(id),
        update: 'SET #status = :done, finished_at = :at, updated_at = :at',
        condition: '#status = :running',
        names: { '#status': 'status' },
        values: { ':done': 'done', ':running': 'running', ':at': at },
      },
      events,
    );
  }

  fail(id: string, reason: string, at: string, events: DomainEvent[]): Promise<boolean> {
    return this.#conditional(
      {
        type: 'update',
        key: exportKey(id),
        update: 'SET #status = :failed, failure_reason = :reason, finished_at = :at, updated_at = :at',
        condition: '#status = :queued OR #status = :running',
        names: { '#status': 'status' },
        values: { ':failed': 'failed', ':queued': 'queued', ':running': 'running', ':reason': reason, ':at': at },
      },
      events,
    );
  }

  async #conditional(op: Parameters<Table['write']>[0][number], events: DomainEvent[]): Promise<boolean> {
    try {
      await this.#table.write([op], events);
      return true;
    } catch (error) {
      if ((error as Error).name === 'UnexpectedWriteConflict') return false;
      throw error;
    }
  }
}
