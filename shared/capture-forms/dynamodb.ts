import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { indexKeys, indexPartition, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, type Item, type ItemKeys } from '#shared/platform/dynamodb/table.ts';
import {
  recordPage,
  versionedDelete,
  versionedReplace,
  VersionedRepository,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';
import { REJECTION_REASONS, THROTTLE_WINDOW_SECONDS, type CaptureForm, type FormStats, type RejectionReason } from './domain.ts';
import type { CaptureFormRepository } from './ports.ts';

// Capture forms on the single table: one item per form ("capture_form#<id>" / "capture_form",
// listed in gsi2 "capture_form" by id), its counters ("capture_form_stats#<id>" / "stats":
// accepted, rejected_<reason>, turn), and one throttle counter per form, address and
// window ("capture_form_throttle#<id>#<address>#<window>"), which TTL removes after the window.

export const captureFormKey = tableKeys<[id: string]>('capture_form', 'capture_form');
/** The form's counters (submissions accepted and rejected, round-robin turns). */
export const captureFormStatsKey = tableKeys<[id: string]>('capture_form_stats', 'stats');
export const captureFormThrottleKey = tableKeys<[id: string, address: string, window: string]>('capture_form_throttle', 'count');
const FORM: VersionedKind<CaptureForm> = { name: 'capture form', key: captureFormKey };

/** The partitions form lists read: every form, by id. */
export const captureFormIndex = { all: indexPartition(INDEX.all, 'capture_form') };

function formItem(form: CaptureForm): Item & ItemKeys {
  return { ...captureFormKey(form.id), ...indexKeys(form.id, captureFormIndex.all()), kind: 'capture_form', ...form };
}

function statsFrom(item: Item | undefined): FormStats {
  const rejected = {} as Record<RejectionReason, number>;
  for (const reason of REJECTION_REASONS) rejected[reason] = Number(item?.[`rejected_${reason}`] ?? 0);
  return { accepted: Number(item?.accepted ?? 0), rejected };
}

export class DynamoCaptureFormRepository extends VersionedRepository<CaptureForm> implements CaptureFormRepository {
  protected readonly kind = FORM;

  list(query: PageQuery): Promise<Page<CaptureForm>> {
    return recordPage(this.table, captureFormIndex.all(), query, fromItem<CaptureForm>, { order: 'desc' });
  }

  async create(form: CaptureForm, events: DomainEvent[]): Promise<void> {
    await this.table.write([{ type: 'create', item: formItem(form) }], events);
  }

  async update(before: CaptureForm, after: CaptureForm, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedReplace(FORM, before, formItem(after))], events);
  }

  async delete(form: CaptureForm, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedDelete(FORM, form), { type: 'remove', key: captureFormStatsKey(form.id) }], events);
  }

  async stats(id: string): Promise<FormStats> {
    return statsFrom(await this.table.get(captureFormStatsKey(id), { consistent: false }));
  }

  async statsOf(ids: readonly string[]): Promise<Map<string, FormStats>> {
    const items = await this.table.getMany(ids.map((id) => captureFormStatsKey(id)));
    const byPk = new Map(items.map((item) => [String(item.pk), item]));
    return new Map(ids.map((id) => [id, statsFrom(byPk.get(captureFormStatsKey(id).pk))]));
  }

  async countAccepted(id: string): Promise<void> {
    await this.#add(captureFormStatsKey(id), 'accepted');
  }

  async countRejected(id: string, reason: RejectionReason): Promise<void> {
    await this.#add(captureFormStatsKey(id), `rejected_${reason}`);
  }

  async nextTurn(id: string): Promise<number> {
    return this.#add(captureFormStatsKey(id), 'turn');
  }

  async countAddress(id: string, address: string, windowStart: number): Promise<number> {
    return this.#add(
      captureFormThrottleKey(id, address, String(windowStart)),
      'count',
      windowStart + 2 * THROTTLE_WINDOW_SECONDS,
    );
  }

  /** Adds 1 to a counter (atomically) and answers its new value; `expiresAt` sets the item's TTL. */
  async #add(key: { pk: string; sk: string }, counter: string, expiresAt?: number): Promise<number> {
    const out = await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key,
        UpdateExpression: `ADD #counter :one SET #kind = :kind${expiresAt ? ', #expires = :expires' : ''}`,
        ExpressionAttributeNames: { '#counter': counter, '#kind': 'kind', ...(expiresAt ? { '#expires': 'expires_at' } : {}) },
        ExpressionAttributeValues: {
          ':one': 1,
          ':kind': 'capture_form_counter',
          ...(expiresAt ? { ':expires': expiresAt } : {}),
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.[counter] ?? 0);
  }
}
