import { mailboxKey } from '#shared/mailboxes/dynamodb.ts';
import { importKey } from '#shared/imports/dynamodb.ts';
import { bulkOperationKey } from '#shared/bulk-operations/dynamodb.ts';
import { exportKey } from '#shared/exports/dynamodb.ts';
import { sellImportKey } from '#shared/sell-import/dynamodb.ts';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, indexPartition, indexPartitions, tablePartitions } from '#shared/platform/dynamodb/partitions.ts';
import { INDEX, tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { fromItem, outboxItem, type Item, type Key, type Table } from '#shared/platform/dynamodb/table.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { MAIL_REQUESTED_EVENT, mailKey, type MailRequest } from '#shared/mail/domain.ts';
import { taskKey } from '#shared/tasks/dynamodb.ts';
import { appointmentKey } from '#shared/appointments/dynamodb.ts';
import { participants, type Appointment } from '#shared/appointments/domain.ts';
import {
  deliveryKeyOf,
  groupedItem,
  groupIdOf,
  isUnread,
  jobDeliveryKey,
  jobItem,
  MAX_ITEM_RECORDS,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  type Notification,
  type NotificationChannel,
  type NotificationDraft,
  type NotificationKind,
  type JobSummary,
  type NotifiedJob,
  type NotifiedRecord,
  type NotifiedRecordType,
  type UserChannels,
  type UserPush,
} from './domain.ts';
import type { CurrentOwners, DeliverOutcome, NotificationStore } from './ports.ts';

// A user's inbox is one partition "notification#<user>": items (sk "n#<id>", ids sort by
// time), the unread count (sk "unread"), the user's channel choices (sk "settings"), the
// deliveries made (sk "event#<event_id>", expiring; "event#<event_id>#rule#<rule id>" for a
// rule's match) and e-mails (sk "email#<group id>#<delivery key>", pending until the
// mail-sender settles them). An item is projected into the inbox list (gsi2) until archived and into
// the unread list (gsi1) while unread, so both lists are Queries with no filter. Every write to
// an item bumps its `_version`; a delivery puts the item on the condition that its version is
// the one it read, in the same transaction as the count's change and the event's marker, so
// the count stays exact under concurrent deliveries, reads and archives.

/** A user's inbox partition. */
export const notificationPartition = tablePartitions<[userId: string]>('notification');

/** The lists an item projects into. */
export const notificationIndex = {
  /** Unread items of a user (sparse: only while unread). */
  unread: indexPartitions<[userId: string]>(INDEX.owner, 'notification_unread'),
  /** Items of a user not archived (sparse: gone once archived). */
  inbox: indexPartitions<[userId: string]>(INDEX.all, 'notification_inbox'),
  /** E-mails waiting for the mail-sender, oldest first (a sent or suppressed one leaves it). */
  pendingEmail: indexPartition(INDEX.relation, 'notification_email_pending'),
};

const ITEM_PREFIX = 'n#';
const COUNT_SK = 'unread';
const SETTINGS_SK = 'settings';
/** Markers outlive any redelivery: EventBridge retries for a day, a redrive reads a week. */
const MARKER_TTL_SECONDS = 35 * 24 * 3600;
const DELIVER_ATTEMPTS = 30;

/**
 * A job's tally of one recipient and kind is this many items: the deliveries of its records
 * each add to the one their event id hashes to, so concurrent deliveries rarely write the same
 * item (one item would make them conflict, TransactionConflict, and retry). Summed when read.
 */
const JOB_TALLY_SHARDS = 16;
/** The partition of a job's tallies (sk "tally#<recipient>#<kind>#<shard>") and its end ("finished"). */
const jobPartition = (job: NotifiedJob): string => `notification_job#${job.type}#${job.id}`;
const TALLY_PREFIX = 'tally#';
const jobTallyKey = (job: NotifiedJob, userId: string, kind: string, shard: number): Key => ({
  pk: jobPartition(job),
  sk: `${TALLY_PREFIX}${userId}#${kind}#${String(shard).padStart(2, '0')}`,
});
const jobFinishedKey = (job: NotifiedJob): Key => ({ pk: jobPartition(job), sk: 'finished' });
/** FNV-1a of the delivery key, to a shard. */
function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % JOB_TALLY_SHARDS;
}

/** A pending e-mail of a group (alert jobs query a group's by the "email#<group id>#" prefix). */
export const pendingEmailKey = (userId: string, groupId: string, eventId: string): Key => ({
  pk: notificationPartition(userId),
  sk: `${PENDING_EMAIL_PREFIX}${groupId}#${eventId}`,
});
export const PENDING_EMAIL_PREFIX = 'email#';

/** The internal event asking the mail queue for the alert of a group (shared/mail). */
export function mailRequestedEvent(draft: NotificationDraft, groupId: string): DomainEvent<MailRequest> {
  const data: MailRequest = {
    type: 'notification_alert',
    recipient_id: draft.recipient_id,
    ref: groupId,
    event_id: draft.event_id,
  };
  return {
    metadata: {
      event_id: newId(),
      event_type: MAIL_REQUESTED_EVENT,
      event_version: 1,
      occurred_at: new Date().toISOString(),
      actor_id: 'system',
      correlation_id: draft.event_id,
      resource_type: 'mail',
      resource_id: mailKey(data),
    },
    data,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const itemKey = (userId: string, id: string): Key => ({ pk: notificationPartition(userId), sk: `${ITEM_PREFIX}${id}` });
const countKey = (userId: string): Key => ({ pk: notificationPartition(userId), sk: COUNT_SK });
const settingsKey = (userId: string): Key => ({ pk: notificationPartition(userId), sk: SETTINGS_SK });

/** The stored item of a notification (the notification under `body`: its `kind` is not the item's). */
export function notificationItem(userId: string, n: Notification, version: number): Item {
  return {
    ...itemKey(userId, n.id),
    ...indexKeys(
      n.id,
      isUnread(n) ? notificationIndex.unread(userId) : null,
      n.archived_at === null ? notificationIndex.inbox(userId) : null,
    ),
    [tableSpec.kindAttribute]: 'notification',
    _version: version,
    body: n,
  };
}

const bodyOf = (item: Item): Notification => item.body as Notification;

const reasonsOf = (error: unknown): (string | undefined)[] | undefined =>
  error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []).map((r) => r.Code) : undefined;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export class DynamoNotificationStore implements NotificationStore {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  /** The delivery's marker (sk "event#<delivery key>"): written once, so a redelivery is seen. */
  #marker(draft: NotificationDraft): TransactItem {
    return {
      Put: {
        TableName: this.#table.name,
        Item: {
          pk: notificationPartition(draft.recipient_id),
          sk: `event#${deliveryKeyOf(draft)}`,
          [tableSpec.kindAttribute]: 'notification_marker',
          [tableSpec.timeToLiveAttribute]: Math.floor(Date.now() / 1000) + MARKER_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  async deliver(draft: NotificationDraft, channels: { web: boolean; email: boolean }): Promise<DeliverOutcome> {
    const userId = draft.recipient_id;
    const id = groupIdOf(draft);
    const marker = this.#marker(draft);
    const email: TransactItem[] = channels.email ? this.#pendingEmail(draft, id) : [];
    // First guess: the group's item exists, unread, with room for a record (a burst's common case).
    let plan: 'append' | 'count' | 'read' = 'append';
    for (let attempt = 1; attempt <= DELIVER_ATTEMPTS; attempt++) {
      const item = channels.web ? await this.#itemWrites(userId, id, draft, plan) : [];
      try {
        await this.#table.client.send(new TransactWriteCommand({ TransactItems: [marker, ...item, ...email] }));
        return 'written';
      } catch (error) {
        const reasons = reasonsOf(error);
        if (!reasons) throw error;
        if (reasons[0] === 'ConditionalCheckFailed') return 'duplicate';
        if (!reasons.some((r) => r === 'ConditionalCheckFailed' || r === 'TransactionConflict')) throw error;
        // The guess was wrong (no item, read, full) or another write won: read the item next time.
        if (reasons[1] === 'ConditionalCheckFailed') plan = 'read';
        await sleep(Math.random() * 10 * Math.min(attempt, 8));
      }
    }
    throw new Error(`notification ${id} for ${userId}: kept changing under ${DELIVER_ATTEMPTS} deliveries`);
  }

  /**
   * The item's part of a delivery. 'append' and 'count' update an unread item in place (no
   * read: concurrent deliveries to one group do not race a read), adding the record while the
   * item names fewer than MAX_ITEM_RECORDS; 'read' reads the item and puts the next state on
   * the condition that its version is unchanged, counting it unread again when it was not.
   */
  async #itemWrites(
    userId: string,
    id: string,
    draft: NotificationDraft,
    plan: 'append' | 'count' | 'read',
  ): Promise<TransactItem[]> {
    const update = (append: boolean): TransactItem => ({
      Update: {
        TableName: this.#table.name,
        Key: itemKey(userId, id),
        UpdateExpression: `ADD #body.#count :one, #v :one SET #body.#last = :at${append ? ', #body.#records = list_append(#body.#records, :record)' : ''}`,
        ConditionExpression: `attribute_exists(gsi1pk)${append ? ' AND size(#body.#records) < :max' : ''}`,
        ExpressionAttributeNames: {
          '#body': 'body',
          '#count': 'count',
          '#v': '_version',
          '#last': 'last_at',
          ...(append ? { '#records': 'records' } : {}),
        },
        ExpressionAttributeValues: {
          ':one': 1,
          ':at': draft.occurred_at,
          ...(append ? { ':record': [draft.record], ':max': MAX_ITEM_RECORDS } : {}),
        },
      },
    });
    if (plan !== 'read') return [update(plan === 'append')];
    const stored = await this.#table.get(itemKey(userId, id));
    const current = stored ? bodyOf(stored) : undefined;
    if (current && isUnread(current)) return [update(current.records.length < MAX_ITEM_RECORDS)];
    const version = stored ? Number(stored._version) : 0;
    return [
      {
        Put: {
          TableName: this.#table.name,
          Item: notificationItem(userId, groupedItem(current, draft), version + 1),
          ...(stored
            ? {
                ConditionExpression: '#v = :v',
                ExpressionAttributeNames: { '#v': '_version' },
                ExpressionAttributeValues: { ':v': version },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      },
      this.#count(userId, 1),
    ];
  }

  /**
   * The pending e-mail (sk "email#<group id>#<event id>": the mail-sender claims a group's
   * pending ones together, so a burst makes one mail) and, in the same transaction, the
   * outbox event that puts its request on the mail queue: committed together or not at all.
   */
  #pendingEmail(draft: NotificationDraft, id: string): TransactItem[] {
    const userId = draft.recipient_id;
    return [
      {
        Put: {
          TableName: this.#table.name,
          Item: {
            ...pendingEmailKey(userId, id, deliveryKeyOf(draft)),
            ...indexKeys(`${draft.occurred_at}#${userId}#${deliveryKeyOf(draft)}`, notificationIndex.pendingEmail()),
            [tableSpec.kindAttribute]: 'notification_email',
            status: 'pending',
            recipient_id: userId,
            notification_id: id,
            notification_kind: draft.kind,
            ...(draft.rule ? { rule: draft.rule } : {}),
            actor_id: draft.actor_id,
            event_id: draft.event_id,
            record: draft.record,
            occurred_at: draft.occurred_at,
          },
        },
      },
      { Put: { TableName: this.#table.name, Item: outboxItem(mailRequestedEvent(draft, id), Math.floor(Date.now() / 1000)) } },
    ];
  }

  async tallyJobRecord(draft: NotificationDraft): Promise<{ outcome: DeliverOutcome; finished: boolean }> {
    const job = draft.job!;
    const tally: TransactItem = {
      Update: {
        TableName: this.#table.name,
        Key: jobTallyKey(job, draft.recipient_id, draft.kind, shardOf(deliveryKeyOf(draft))),
        UpdateExpression:
          'ADD #count :one SET #kind = :kind, #ttl = :ttl, recipient_id = :r, notification_kind = :k, actor_id = if_not_exists(actor_id, :a), first_record = if_not_exists(first_record, :rec), first_at = if_not_exists(first_at, :at), last_at = :at',
        ExpressionAttributeNames: { '#count': 'count', '#kind': tableSpec.kindAttribute, '#ttl': tableSpec.timeToLiveAttribute },
        ExpressionAttributeValues: {
          ':one': 1,
          ':kind': 'notification_job_tally',
          // Kept as long as the markers: no redelivery comes later.
          ':ttl': Math.floor(Date.now() / 1000) + MARKER_TTL_SECONDS,
          ':r': draft.recipient_id,
          ':k': draft.kind,
          ':a': draft.actor_id,
          ':rec': draft.record,
          ':at': draft.occurred_at,
        },
      },
    };
    let outcome: DeliverOutcome | undefined;
    for (let attempt = 1; !outcome; attempt++) {
      try {
        await this.#table.client.send(new TransactWriteCommand({ TransactItems: [this.#marker(draft), tally] }));
        outcome = 'written';
      } catch (error) {
        const reasons = reasonsOf(error);
        if (reasons?.[0] === 'ConditionalCheckFailed') outcome = 'duplicate';
        else if (reasons?.includes('TransactionConflict') && attempt < DELIVER_ATTEMPTS)
          await sleep(Math.random() * 10 * Math.min(attempt, 8));
        else throw error;
      }
    }
    // Read after the count is committed (finishJob marks before it sums): either this read
    // sees the mark, or the job's summing comes later and counts this record.
    const finished = (await this.#table.get(jobFinishedKey(job))) !== undefined;
    return { outcome, finished };
  }

  async finishJob(job: NotifiedJob): Promise<void> {
    await this.#table.client.send(
      new PutCommand({
        TableName: this.#table.name,
        Item: {
          ...jobFinishedKey(job),
          [tableSpec.kindAttribute]: 'notification_job_finished',
          [tableSpec.timeToLiveAttribute]: Math.floor(Date.now() / 1000) + MARKER_TTL_SECONDS,
        },
      }),
    );
  }

  async jobSummaries(job: NotifiedJob, recipientId?: string): Promise<JobSummary[]> {
    const shards = await this.#table.partition(jobPartition(job), `${TALLY_PREFIX}${recipientId ? `${recipientId}#` : ''}`);
    const summaries = new Map<string, JobSummary & { firsts: { at: string; record: NotifiedRecord }[] }>();
    for (const shard of shards) {
      const key = `${String(shard.recipient_id)}#${String(shard.notification_kind)}`;
      const at = String(shard.first_at);
      const summary = summaries.get(key) ?? {
        recipient_id: String(shard.recipient_id),
        kind: shard.notification_kind as NotificationKind,
        actor_id: String(shard.actor_id),
        count: 0,
        records: [],
        first_at: at,
        last_at: String(shard.last_at),
        firsts: [],
      };
      summary.count += Number(shard.count);
      if (at < summary.first_at) Object.assign(summary, { first_at: at, actor_id: String(shard.actor_id) });
      if (String(shard.last_at) > summary.last_at) summary.last_at = String(shard.last_at);
      summary.firsts.push({ at, record: shard.first_record as NotifiedRecord });
      summaries.set(key, summary);
    }
    return [...summaries.values()].map(({ firsts, ...summary }) => ({
      ...summary,
      records: firsts
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
        .map((f) => f.record)
        .slice(0, MAX_ITEM_RECORDS),
    }));
  }

  async tellJob(
    job: NotifiedJob,
    summary: JobSummary,
    channels: { web: boolean; email: boolean },
  ): Promise<'written' | 'unchanged'> {
    const item = jobItem(job, summary);
    const userId = summary.recipient_id;
    let told = false;
    if (channels.web) told = await this.#jobItem(userId, item);
    if (channels.email) {
      // The job's one e-mail for the recipient: its pending item names the count; written
      // once (a finished event delivered again, or a record delivered after it, asks for none).
      const draft: NotificationDraft = {
        recipient_id: userId,
        kind: summary.kind,
        actor_id: summary.actor_id,
        event_id: jobDeliveryKey(job),
        occurred_at: summary.last_at,
        record: summary.records[0]!,
      };
      const [pending, request] = this.#pendingEmail(draft, item.id);
      const put = pending!.Put!;
      put.Item = { ...put.Item, count: summary.count, first_at: summary.first_at };
      put.ConditionExpression = 'attribute_not_exists(pk)';
      try {
        await this.#table.client.send(new TransactWriteCommand({ TransactItems: [pending!, request!] }));
        told = true;
      } catch (error) {
        if (reasonsOf(error)?.[0] !== 'ConditionalCheckFailed') throw error;
      }
    }
    return told ? 'written' : 'unchanged';
  }

  /** Makes the job's item, unread (with the count), or raises the one there to `item.count`. */
  async #jobItem(userId: string, item: Notification): Promise<boolean> {
    try {
      await this.#table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table.name,
                Item: notificationItem(userId, item, 1),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            this.#count(userId, 1),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (reasonsOf(error)?.[0] !== 'ConditionalCheckFailed') throw error;
    }
    // There: raised when it counts fewer (a record delivered after the job's end); read or
    // archived as the user left it.
    try {
      await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: itemKey(userId, item.id),
          UpdateExpression: 'SET #body.#count = :n, #body.#records = :records, #body.#last = :last ADD #v :one',
          ConditionExpression: '#body.#count < :n',
          ExpressionAttributeNames: {
            '#body': 'body',
            '#count': 'count',
            '#records': 'records',
            '#last': 'last_at',
            '#v': '_version',
          },
          ExpressionAttributeValues: { ':n': item.count, ':records': item.records, ':last': item.last_at, ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  #count(userId: string, delta: number): TransactItem {
    return {
      Update: {
        TableName: this.#table.name,
        Key: countKey(userId),
        UpdateExpression: 'ADD #n :d SET #kind = :kind',
        ExpressionAttributeNames: { '#n': 'unread', '#kind': tableSpec.kindAttribute },
        ExpressionAttributeValues: { ':d': delta, ':kind': 'notification_count' },
      },
    };
  }

  async list(userId: string, query: PageQuery & { unread?: boolean | undefined }): Promise<Page<Notification>> {
    const partition = query.unread ? notificationIndex.unread(userId) : notificationIndex.inbox(userId);
    const page = await this.#table.page({ partitions: [partition], limit: query.limit, cursor: query.cursor, order: 'desc' });
    return { items: page.items.map(bodyOf), next_cursor: page.next_cursor };
  }

  async get(userId: string, id: string): Promise<Notification | undefined> {
    const item = await this.#table.get(itemKey(userId, id));
    return item ? bodyOf(item) : undefined;
  }

  async unreadCount(userId: string): Promise<number> {
    const item = await this.#table.get(countKey(userId));
    return item ? Number(item.unread) : 0;
  }

  async update(userId: string, id: string, change: 'read' | 'archive', at: string): Promise<boolean> {
    for (let attempt = 1; attempt <= DELIVER_ATTEMPTS; attempt++) {
      const stored = await this.#table.get(itemKey(userId, id));
      if (!stored) return false;
      const current = bodyOf(stored);
      const next: Notification = {
        ...current,
        read_at: current.read_at ?? at,
        archived_at: change === 'archive' ? (current.archived_at ?? at) : current.archived_at,
      };
      if (next.read_at === current.read_at && next.archived_at === current.archived_at) return true;
      const version = Number(stored._version);
      const writes: TransactItem[] = [
        {
          Put: {
            TableName: this.#table.name,
            Item: notificationItem(userId, next, version + 1),
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': '_version' },
            ExpressionAttributeValues: { ':v': version },
          },
        },
      ];
      if (isUnread(current)) writes.push(this.#count(userId, -1));
      try {
        await this.#table.client.send(new TransactWriteCommand({ TransactItems: writes }));
        return true;
      } catch (error) {
        if (!reasonsOf(error)) throw error;
      }
    }
    throw new Error(`notification ${id} for ${userId}: kept changing`);
  }

  async readSome(userId: string, max: number, at: string): Promise<{ marked: number; more: boolean }> {
    const partition = notificationIndex.unread(userId);
    const out = await this.#table.client.send(
      new QueryCommand({
        TableName: this.#table.name,
        IndexName: partition.index,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': partition.pk },
        ScanIndexForward: false,
        Limit: max + 1,
      }),
    );
    const found = out.Items ?? [];
    let keys = found.slice(0, max).map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
    // The index lags the table: an item it still lists may have been read meanwhile. Such
    // items fail their condition and are dropped, and the rest go again.
    while (keys.length > 0) {
      const writes: TransactItem[] = keys.map((Key) => ({
        Update: {
          TableName: this.#table.name,
          Key,
          UpdateExpression: 'SET #body.#read = :at ADD #v :one REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'attribute_exists(gsi1pk)',
          ExpressionAttributeNames: { '#body': 'body', '#read': 'read_at', '#v': '_version' },
          ExpressionAttributeValues: { ':at': at, ':one': 1 },
        },
      }));
      writes.push(this.#count(userId, -keys.length));
      try {
        await this.#table.client.send(new TransactWriteCommand({ TransactItems: writes }));
        break;
      } catch (error) {
        const reasons = reasonsOf(error);
        if (!reasons) throw error;
        const failed = new Set(reasons.flatMap((r, i) => (r === 'ConditionalCheckFailed' ? [i] : [])));
        if (failed.size === 0 && !reasons.includes('TransactionConflict')) throw error;
        keys = keys.filter((_, i) => !failed.has(i));
      }
    }
    return { marked: keys.length, more: found.length > max || out.LastEvaluatedKey !== undefined };
  }

  async channels(userId: string): Promise<UserChannels> {
    const item = await this.#table.get(settingsKey(userId));
    return item ? channelsOf(item) : {};
  }

  async setChannels(userId: string, chosen: UserChannels): Promise<UserChannels> {
    return (await this.setSettings(userId, { channels: chosen, push: {} })).channels;
  }

  async settings(userId: string): Promise<{ channels: UserChannels; push: UserPush }> {
    const item = await this.#table.get(settingsKey(userId));
    return item ? { channels: channelsOf(item), push: pushOf(item) } : { channels: {}, push: {} };
  }

  async setSettings(
    userId: string,
    change: { channels: UserChannels; push: UserPush },
  ): Promise<{ channels: UserChannels; push: UserPush }> {
    const entries: [string, unknown][] = [
      ...Object.entries(change.channels),
      ...Object.entries(change.push).map(([kind, on]) => [`${PUSH_PREFIX}${kind}`, on] as [string, unknown]),
    ];
    if (entries.length === 0) return this.settings(userId);
    const names: Record<string, string> = { '#kind': tableSpec.kindAttribute };
    const values: Record<string, unknown> = { ':kind': 'notification_settings' };
    entries.forEach(([kind, channel], i) => {
      names[`#k${i}`] = kind;
      values[`:c${i}`] = channel;
    });
    const out = await this.#table.client.send(
      new UpdateCommand({
        TableName: this.#table.name,
        Key: settingsKey(userId),
        UpdateExpression: `SET #kind = :kind, ${entries.map((_, i) => `#k${i} = :c${i}`).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { channels: channelsOf(out.Attributes ?? {}), push: pushOf(out.Attributes ?? {}) };
  }
}

/** Push choices sit beside the channels in the settings item, as "push:<kind>" booleans. */
const PUSH_PREFIX = 'push:';

function pushOf(item: Item): UserPush {
  const push: UserPush = {};
  for (const kind of NOTIFICATION_KINDS)
    if (typeof item[`${PUSH_PREFIX}${kind}`] === 'boolean') push[kind] = item[`${PUSH_PREFIX}${kind}`] as boolean;
  return push;
}

function channelsOf(item: Item): UserChannels {
  const chosen: UserChannels = {};
  for (const kind of NOTIFICATION_KINDS) {
    const value = item[kind];
    if (NOTIFICATION_CHANNELS.includes(value as NotificationChannel)) chosen[kind] = value as NotificationChannel;
  }
  return chosen;
}

/** Reads a record's current owner, or an appointment's participants, from the record (one GetItem). */
export class DynamoCurrentOwners implements CurrentOwners {
  readonly #table: Table;
  constructor(table: Table) {
    this.#table = table;
  }

  async ownerOf(type: NotifiedRecordType, id: string): Promise<string | undefined> {
    if (type === 'import') {
      // An import is its creator's: they alone are told it finished.
      const job = await this.#table.get(importKey(id));
      return typeof job?.creator_id === 'string' ? job.creator_id : undefined;
    }
    if (type === 'bulk_operation') {
      const job = await this.#table.get(bulkOperationKey(id));
      return typeof job?.requester_id === 'string' ? job.requester_id : undefined;
    }
    if (type === 'export') {
      // Likewise an export: its requester alone is told it is ready.
      const job = await this.#table.get(exportKey(id));
      return typeof job?.creator_id === 'string' ? job.creator_id : undefined;
    }
    if (type === 'sell_import') {
      // An import from Sell is the admin's who started it.
      const job = await this.#table.get(sellImportKey(id));
      return typeof job?.creator_id === 'string' ? job.creator_id : undefined;
    }
    if (type === 'mailbox') {
      const mailbox = await this.#table.get(mailboxKey(id));
      return typeof mailbox?.owner_id === 'string' ? mailbox.owner_id : undefined;
    }
    const key = type === 'task' ? taskKey(id) : type === 'appointment' ? appointmentKey(id) : recordKey(type, id);
    const item = await this.#table.get(key);
    return typeof item?.owner_id === 'string' ? item.owner_id : undefined;
  }

  async participantsOf(appointmentId: string): Promise<string[] | undefined> {
    const item = await this.#table.get(appointmentKey(appointmentId));
    return item ? participants(fromItem<Appointment>(item)) : undefined;
  }
}
