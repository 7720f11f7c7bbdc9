import { tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import {
  advanceSellSequence,
  recordIdOf,
  sellNumberKey,
  type SellIdTable,
  type SellIdType,
} from '#shared/platform/dynamodb/sell-ids.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { ConflictError } from '#shared/kernel/errors.ts';
import type { SellImportCheckpoint } from './domain.ts';
import type { SellIdKind, SellIdMap, SellImportStore } from './ports.ts';

// An import's checkpoint is one item ("sell_import#<id>"), put after every page; Sell ids are
// the table's (shared/platform/dynamodb/sell-ids.ts), with aliases for Sell ids that name a
// record made here (users matched by e-mail, a source Sell lists twice).

export const sellImportKey = tableKeys<[id: string]>('sell_import', 'sell_import');

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

  async alias(kind: SellIdKind, n: number, id: string): Promise<boolean> {
    try {
      await this.#table.write([
        {
          type: 'create',
          item: { ...sellNumberKey(kind, String(n)), kind: 'sell_id', id, sell_type: kind, alias: true },
          onConflict: () => new ConflictError(`Sell id ${n} is taken`),
        },
      ]);
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
