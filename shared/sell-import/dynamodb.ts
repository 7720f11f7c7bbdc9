import {
  advanceSellSequence,
  recordIdOf,
  sellIdOps,
  sellNumberKey,
  sellOfKey,
  type SellIdTable,
  type SellIdType,
} from '#shared/platform/dynamodb/sell-ids.ts';
import type { Item, Table, WriteOp } from '#shared/platform/dynamodb/table.ts';
import { indexKeys, indexPartition, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { ConflictError } from '#shared/kernel/errors.ts';
import type { SellImportCheckpoint, SellImportJob } from './domain.ts';
import { SellImportLeaseLost, type SellIdKind, type SellIdMap, type SellImportJobs, type SellImportStore } from './ports.ts';

// An import's checkpoint is one item ("sell_import#<id>"), put after every page; Sell ids are
// the table's (shared/platform/dynamodb/sell-ids.ts), with aliases for Sell ids that name a
// record made here (users matched by e-mail, a source Sell lists twice).

export const sellImportKey = tableKeys<[id: string]>('sell_import', 'sell_import');
/** Every admin-started job, by id (a ULID: newest last). */
export const sellImportIndex = { all: indexPartition(INDEX.all, 'sell_import') };

export class DynamoSellImportStore implements SellImportStore {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async get(id: string): Promise<SellImportCheckpoint | undefined> {
    const item = await this.#table.get(sellImportKey(id));
    return item ? (JSON.parse(String(item.checkpoint)) as SellImportCheckpoint) : undefined;
  }

  async save(checkpoint: SellImportCheckpoint): Promise<void> {
    // The report as one string: its reasons are free text (no attribute-name limits apply).
    await this.#table.write([
      {
        type: 'put',
        item: {
          ...sellImportKey(checkpoint.id),
          kind: 'sell_import',
          id: checkpoint.id,
          status: checkpoint.status,
          checkpoint: JSON.stringify(checkpoint),
        },
      },
    ]);
  }
}

export class DynamoSellIdMap implements SellIdMap {
  readonly #table: Table & SellIdTable;
  constructor(table: Table) {
    this.#table = table;
  }

  idOf(kind: SellIdKind, n: number): Promise<string | undefined> {
    return recordIdOf(this.#table, kind as SellIdType, n);
  }

  async alias(kind: SellIdKind, n: number, id: string, options: { shown?: boolean } = {}): Promise<boolean> {
    const ops: WriteOp[] = [
      {
        type: 'create',
        item: { ...sellNumberKey(kind, String(n)), kind: 'sell_id', id, sell_type: kind, alias: true },
        onConflict: () => new ConflictError(`Sell id ${n} is taken`),
      },
    ];
    // Shown: the record's number becomes n (its old one still finds it), in the same transaction.
    if (options.shown) ops.push({ type: 'put', item: { ...sellOfKey(kind, id), kind: 'sell_id', sell_id: n, sell_type: kind } });
    try {
      await this.#table.write(ops);
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return (await this.idOf(kind, n)) === id;
      throw error;
    }
  }

  async number(kind: SellIdKind, n: number, id: string): Promise<boolean> {
    try {
      await this.#table.write(sellIdOps(kind as SellIdType, n, id));
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return (await this.idOf(kind, n)) === id;
      throw error;
    }
  }

  advance(kind: SellIdKind, n: number): Promise<void> {
    return advanceSellSequence(this.#table, kind as SellIdType, n);
  }
}

function isConflict(error: unknown): boolean {
  return (error as Error).name === 'UnexpectedWriteConflict';
}

/** The job an item holds; undefined for a command's checkpoint (npm run import:sell), which is no job. */
function jobOf(item: Item): SellImportJob | undefined {
  if (typeof item.creator_id !== 'string') return undefined;
  return {
    id: String(item.id),
    status: item.status as SellImportJob['status'],
    creator_id: item.creator_id,
    base_url: String(item.base_url),
    failure_reason: typeof item.failure_reason === 'string' ? item.failure_reason : null,
    created_at: String(item.created_at),
    updated_at: String(item.updated_at),
    finished_at: typeof item.finished_at === 'string' ? item.finished_at : null,
    sealed_token: typeof item.sealed_token === 'string' ? item.sealed_token : null,
    checkpoint: typeof item.checkpoint === 'string' ? (JSON.parse(item.checkpoint) as SellImportCheckpoint) : null,
  };
}

const LIVE = '(#status = :queued OR #status = :running)';
const LIVE_VALUES = { ':queued': 'queued', ':running': 'running' };

/**
 * Sell import jobs on the checkpoint's item ("sell_import#<id>"): the job's fields, the sealed
 * token, the checkpoint (as the command stores it) and the lease (`lease_holder`, `lease_until`).
 * Every write after create is conditional on the job being live and, for a slice's, its lease.
 */
export class DynamoSellImportJobs implements SellImportJobs {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async create(job: SellImportJob, events: DomainEvent[]): Promise<void> {
    const { checkpoint: _none, ...fields } = job;
    await this.#table.write(
      [
        {
          type: 'create',
          item: { ...sellImportKey(job.id), ...indexKeys(job.id, sellImportIndex.all()), kind: 'sell_import', ...fields },
        },
      ],
      events,
    );
  }

  async get(id: string): Promise<SellImportJob | undefined> {
    const item = await this.#table.get(sellImportKey(id), { consistent: true });
    return item ? jobOf(item) : undefined;
  }

  async list(limit: number): Promise<SellImportJob[]> {
    const { items } = await this.#table.page({ partitions: [sellImportIndex.all()], limit });
    return items.flatMap((item) => jobOf(item) ?? []);
  }

  async acquire(id: string, holder: string, now: number, until: number): Promise<boolean> {
    return this.#conditional(
      {
        type: 'update',
        key: sellImportKey(id),
        update: 'SET #status = :running, lease_holder = :holder, lease_until = :until',
        condition: `${LIVE} AND (attribute_not_exists(lease_until) OR lease_until < :now)`,
        names: { '#status': 'status' },
        values: { ...LIVE_VALUES, ':holder': holder, ':until': until, ':now': now },
      },
      [],
    );
  }

  checkpoints(id: string, holder: string): SellImportStore {
    return {
      get: async () => (await this.get(id))?.checkpoint ?? undefined,
      save: async (checkpoint) => {
        const saved = await this.#conditional(
          {
            type: 'update',
            key: sellImportKey(id),
            update: 'SET #checkpoint = :checkpoint, updated_at = :at',
            condition: `${LIVE} AND lease_holder = :holder`,
            names: { '#status': 'status', '#checkpoint': 'checkpoint' },
            values: {
              ...LIVE_VALUES,
              ':holder': holder,
              ':checkpoint': JSON.stringify(checkpoint),
              ':at': checkpoint.updated_at,
            },
          },
          [],
        );
        if (!saved) throw new SellImportLeaseLost(id);
      },
    };
  }

  async release(id: string, holder: string): Promise<void> {
    await this.#conditional(
      {
        type: 'update',
        key: sellImportKey(id),
        update: 'REMOVE lease_holder, lease_until',
        condition: 'lease_holder = :holder',
        values: { ':holder': holder },
      },
      [],
    );
  }

  end(
    id: string,
    status: 'finished' | 'failed' | 'cancelled',
    fields: { at: string; failure_reason: string | null; holder?: string },
    events: DomainEvent[],
  ): Promise<boolean> {
    return this.#conditional(
      {
        type: 'update',
        key: sellImportKey(id),
        update:
          'SET #status = :status, failure_reason = :reason, finished_at = :at, updated_at = :at REMOVE sealed_token, lease_holder, lease_until',
        condition: fields.holder ? `${LIVE} AND lease_holder = :holder` : LIVE,
        names: { '#status': 'status' },
        values: {
          ...LIVE_VALUES,
          ':status': status,
          ':reason': fields.failure_reason,
          ':at': fields.at,
          ...(fields.holder ? { ':holder': fields.holder } : {}),
        },
      },
      events,
    );
  }

  async #conditional(op: WriteOp, events: DomainEvent[]): Promise<boolean> {
    try {
      await this.#table.write([op], events);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }
}
