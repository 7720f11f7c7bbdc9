import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, indexPartitions, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type PartitionQuery,
  type Table,
  type WriteOp,
} from '#shared/platform/dynamodb/table.ts';
import {
  versionedReplace,
  versionedDelete,
  VersionedRepository,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';
import { ConflictError } from '#shared/kernel/errors.ts';
import { recordPhones, type CallRecord, type CallResourceType, type TextMessage } from './domain.ts';
import type { TextListQuery, CallListQuery, CallRepository, PhoneMatch, PhoneIndex, TextMessageRepository } from './ports.ts';

// Calls and text messages on the single table, and the phone index of leads and contacts.
//
// A call is one item ("call#<id>" / "call") in its user's partition (gsi1 "call#<user>") and
// either its record's ("<type>#<id>#call", gsi3) or, unmatched, its user's unmatched partition
// ("call_unmatched#<user or none>", gsi3). Each linked deal gets a thin link item in the call's
// partition, in the deal's partition ("deal#<id>#call", gsi3), resolved to the call when read.
// All call lists sort by "<made_at>#<id>" (Sell lists calls by made_at, newest first).
// A provider's call claims "call_ext#<source>#<external id>" in the same transaction, so a
// redelivered webhook or event logs nothing twice. Texts follow the same plan, sorted by id.
//
// The phone index: one item per (lead or contact, E.164 number) in the record's partition
// ("<type>#<id>" / "phone#<number>"), in the number's partition of gsi3 ("phone#<number>"):
// a number finds its records in one Query. Lead and contact writes call phoneIndexOps inside
// their transactions, so the index never disagrees with the records.

export const callKey = tableKeys<[id: string]>('call', 'call');
export const textMessageKey = tableKeys<[id: string]>('text_message', 'text_message');
/** A provider's id claimed once: "call_ext#<source>#<external id>" / "unique". */
export const callExternalKey = tableKeys<[source: string, externalId: string]>('call_ext', 'unique');
export const textExternalKey = tableKeys<[source: string, externalId: string]>('text_message_ext', 'unique');

const CALL: VersionedKind<CallRecord> = { name: 'call', key: callKey };

/** The partitions lists read. */
export const callIndex = {
  byUser: indexPartitions<[userId: string]>(INDEX.owner, 'call'),
  byRecord: indexPartitions<[type: CallResourceType | 'deal', id: string]>(INDEX.relation, 'call_of'),
  /** Unmatched calls of a user ("none": a provider's call nobody took yet). */
  unmatched: indexPartitions<[userId: string]>(INDEX.relation, 'call_unmatched'),
};
export const textMessageIndex = {
  byUser: indexPartitions<[userId: string]>(INDEX.owner, 'text_message'),
  byRecord: indexPartitions<[type: CallResourceType, id: string]>(INDEX.relation, 'text_message_of'),
  unmatched: indexPartitions<[userId: string]>(INDEX.relation, 'text_message_unmatched'),
};
/** The phone index: a number's leads and contacts. */
export const phoneIndex = { byNumber: indexPartitions<[e164: string]>(INDEX.relation, 'phone') };

const NO_USER = 'none';
const callSort = (call: CallRecord) => `${call.made_at}#${call.id}`;

function callItem(call: CallRecord): Item & ItemKeys {
  const relation =
    call.resource_type && call.resource_id
      ? callIndex.byRecord(call.resource_type, call.resource_id)
      : callIndex.unmatched(call.user_id ?? NO_USER);
  const keys = indexKeys(callSort(call), call.user_id ? callIndex.byUser(call.user_id) : null, relation);
  return { ...callKey(call.id), ...keys, kind: 'call', ...call };
}

/** The link items of a call's deals: "call#<id>" / "deal#<deal id>". */
function dealLinkItems(call: CallRecord): (Item & ItemKeys)[] {
  return call.associated_deal_ids.map((dealId) => ({
    pk: callKey(call.id).pk,
    sk: `deal#${dealId}`,
    ...indexKeys(callSort(call), callIndex.byRecord('deal', dealId)),
    kind: 'call_deal',
    call_id: call.id,
  }));
}

function dealLinkOps(before: CallRecord | null, after: CallRecord | null): WriteOp[] {
  const keep = new Set(after?.associated_deal_ids ?? []);
  const ops: WriteOp[] = [];
  for (const dealId of before?.associated_deal_ids ?? []) {
    if (!keep.has(dealId)) ops.push({ type: 'remove', key: { pk: callKey(before!.id).pk, sk: `deal#${dealId}` } });
  }
  if (after) for (const item of dealLinkItems(after)) ops.push({ type: 'put', item });
  return ops;
}

const duplicate = (what: string, externalId: string) => () =>
  new ConflictError(`This ${what} was logged already (${externalId})`, { code: 'call.duplicate' });

export class DynamoCallRepository extends VersionedRepository<CallRecord> implements CallRepository {
  protected readonly kind = CALL;

  async create(call: CallRecord, events: DomainEvent[]): Promise<void> {
    const claim: WriteOp[] = call.external_id
      ? [
          {
            type: 'create',
            item: { ...callExternalKey(call.source, call.external_id), kind: 'call_ext', call_id: call.id },
            onConflict: duplicate('call', call.external_id),
          },
        ]
      : [];
    await this.table.write([{ type: 'create', item: callItem(call) }, ...dealLinkOps(null, call), ...claim], events);
  }

  async byExternalId(source: CallRecord['source'], externalId: string): Promise<CallRecord | undefined> {
    const claim = await this.table.get(callExternalKey(source, externalId));
    return claim ? this.get(String(claim.call_id)) : undefined;
  }

  async update(before: CallRecord, after: CallRecord, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedReplace(CALL, before, callItem(after)), ...dealLinkOps(before, after)], events);
  }

  async delete(call: CallRecord, events: DomainEvent[]): Promise<void> {
    const claim: WriteOp[] = call.external_id ? [{ type: 'remove', key: callExternalKey(call.source, call.external_id) }] : [];
    await this.table.write([versionedDelete(CALL, call), ...dealLinkOps(call, null), ...claim], events);
  }

  list(query: CallListQuery, page: PageQuery): Promise<Page<CallRecord>> {
    const partition: PartitionQuery =
      query.by === 'user'
        ? callIndex.byUser(query.id)
        : query.by === 'unmatched'
          ? callIndex.unmatched(query.id ?? NO_USER)
          : callIndex.byRecord(query.by, query.id);
    const resolve =
      query.by === 'deal'
        ? async (items: Item[]) => {
            const calls = await this.table.getMany(items.map((i) => callKey(String(i.call_id))));
            const byId = new Map(calls.map((c) => [String(c.id), c]));
            return items.map((i) => byId.get(String(i.call_id)));
          }
        : undefined;
    return this.table
      .page({ partitions: [partition], limit: page.limit, cursor: page.cursor, order: 'desc', ...(resolve ? { resolve } : {}) })
      .then((p) => ({ items: p.items.map((i) => fromItem<CallRecord>(i)), next_cursor: p.next_cursor }));
  }
}

const TEXT: VersionedKind<TextMessage> = { name: 'text message', key: textMessageKey };

function textItem(text: TextMessage): Item & ItemKeys {
  const relation =
    text.resource_type && text.resource_id
      ? textMessageIndex.byRecord(text.resource_type, text.resource_id)
      : textMessageIndex.unmatched(text.user_id ?? NO_USER);
  const keys = indexKeys(text.id, text.user_id ? textMessageIndex.byUser(text.user_id) : null, relation);
  return { ...textMessageKey(text.id), ...keys, kind: 'text_message', ...text };
}

export class DynamoTextMessageRepository extends VersionedRepository<TextMessage> implements TextMessageRepository {
  protected readonly kind = TEXT;

  async create(text: TextMessage, events: DomainEvent[]): Promise<void> {
    const claim: WriteOp[] = text.external_id
      ? [
          {
            type: 'create',
            item: { ...textExternalKey(text.source, text.external_id), kind: 'text_message_ext', text_message_id: text.id },
            onConflict: duplicate('text message', text.external_id),
          },
        ]
      : [];
    await this.table.write([{ type: 'create', item: textItem(text) }, ...claim], events);
  }

  async byExternalId(source: TextMessage['source'], externalId: string): Promise<TextMessage | undefined> {
    const claim = await this.table.get(textExternalKey(source, externalId));
    return claim ? this.get(String(claim.text_message_id)) : undefined;
  }

  async update(before: TextMessage, after: TextMessage, events: DomainEvent[]): Promise<void> {
    await this.table.write([versionedReplace(TEXT, before, textItem(after))], events);
  }

  list(query: TextListQuery, page: PageQuery): Promise<Page<TextMessage>> {
    const partition: PartitionQuery =
      query.by === 'user'
        ? textMessageIndex.byUser(query.id)
        : query.by === 'unmatched'
          ? textMessageIndex.unmatched(query.id ?? NO_USER)
          : textMessageIndex.byRecord(query.by, query.id);
    return this.table
      .page({ partitions: [partition], limit: page.limit, cursor: page.cursor, order: 'desc' })
      .then((p) => ({ items: p.items.map((i) => fromItem<TextMessage>(i)), next_cursor: p.next_cursor }));
  }
}

// --- the phone index ---------------------------------------------------------------------

/** A lead or contact as the phone index reads it. */
export interface PhoneIndexed {
  type: CallResourceType;
  id: string;
  owner_id: string;
  phone?: string | null | undefined;
  mobile?: string | null | undefined;
}

const phoneItemKey = (record: Pick<PhoneIndexed, 'type' | 'id'>, number: string) => ({
  pk: recordKey(record.type, record.id).pk,
  sk: `phone#${number}`,
});

function phoneItem(record: PhoneIndexed, number: string): Item & ItemKeys {
  return {
    ...phoneItemKey(record, number),
    ...indexKeys(`${record.type}#${record.id}`, phoneIndex.byNumber(number)),
    kind: 'phone_number',
    phone_number: number,
    resource_type: record.type,
    resource_id: record.id,
    owner_id: record.owner_id,
  };
}

/**
 * The writes that take the phone index from `before` to `after` (null: created, deleted):
 * numbers gone are removed; numbers new, or all of them when the owner changed, are put.
 */
export function phoneIndexOps(before: PhoneIndexed | null, after: PhoneIndexed | null): WriteOp[] {
  const old = new Set(before ? recordPhones(before) : []);
  const next = new Set(after ? recordPhones(after) : []);
  const ops: WriteOp[] = [];
  for (const number of old) if (!next.has(number)) ops.push({ type: 'remove', key: phoneItemKey(before!, number) });
  const ownerChanged = before?.owner_id !== after?.owner_id;
  for (const number of next) if (ownerChanged || !old.has(number)) ops.push({ type: 'put', item: phoneItem(after!, number) });
  return ops;
}

export class DynamoPhoneIndex implements PhoneIndex {
  private readonly table: Table;

  constructor(table: Table) {
    this.table = table;
  }

  /** One Query: the leads and contacts with this number, contacts first (a converted lead's contact wins). */
  async match(e164: string): Promise<PhoneMatch[]> {
    // A raw Query (Table.chunk), not a page: the webhook holds no cursor key and signs nothing.
    const { items } = await this.table.chunk(phoneIndex.byNumber(e164), null, 20);
    const matches = items.map((i) => ({
      resource_type: i.resource_type as CallResourceType,
      resource_id: String(i.resource_id),
      owner_id: String(i.owner_id),
    }));
    return matches.sort((a, b) => (a.resource_type === b.resource_type ? 0 : a.resource_type === 'contact' ? -1 : 1));
  }
}
