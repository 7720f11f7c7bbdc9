import * as z from 'zod/mini';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { firstChars } from '#shared/kernel/chars.ts';
import { formIdOfActor } from '#shared/capture-forms/domain.ts';
import { decodeTime } from 'ulid';

// Notifications (F2.1, F2.3): predefined kinds a user is told about, each on the channels the
// user chose (web inbox, email, both, or off). A notification is derived from its event alone,
// and events of one kind by one actor for one recipient within one window are grouped into one
// inbox item with a count (a manager reassigning 30 leads makes one item, not 30).

/**
 * Every predefined kind (F2.1); PRODUCED_KINDS says which an event produces (since exports
 * emit export.finished, all of them).
 */
export const NOTIFICATION_KINDS = [
  'lead_assigned',
  'deal_assigned',
  'task_assigned',
  'task_reminder',
  'appointment_reminder',
  'appointment_invitation',
  'import_finished',
  'export_finished',
  'capture_form_lead',
  'bulk_operation_finished',
  'incoming_call',
  'incoming_text',
  'mailbox_synced',
  'mailbox_needs_reconnect',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The kinds some event produces today (the others are listed in settings, never produced yet). */
export const PRODUCED_KINDS: readonly NotificationKind[] = [
  'lead_assigned',
  'deal_assigned',
  'task_assigned',
  'task_reminder',
  'appointment_reminder',
  'capture_form_lead',
  // Only by e-mail: the invitation to an appointment a user attends (shared/invitations).
  'appointment_invitation',
  'import_finished',
  'bulk_operation_finished',
  'export_finished',
  'incoming_call',
  'incoming_text',
  // A connected mailbox's first complete sync (shared/mailboxes): by e-mail and in the inbox.
  'mailbox_synced',
  // A connected mailbox the poll stopped reading until it is connected again: by e-mail and in the inbox.
  'mailbox_needs_reconnect',
];

export const NOTIFICATION_CHANNELS = ['web', 'email', 'both', 'off'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** Each kind's channel when neither the config nor the user says otherwise. */
export const BUILT_IN_DEFAULTS: Readonly<Record<NotificationKind, NotificationChannel>> = {
  lead_assigned: 'both',
  deal_assigned: 'both',
  task_assigned: 'web',
  task_reminder: 'both',
  appointment_reminder: 'both',
  appointment_invitation: 'email',
  import_finished: 'web',
  export_finished: 'web',
  capture_form_lead: 'web',
  bulk_operation_finished: 'web',
  incoming_call: 'web',
  incoming_text: 'web',
  mailbox_synced: 'both',
  mailbox_needs_reconnect: 'both',
};

/** Defaults of a deployment: the built-in ones, overridden kind by kind by the config's. */
export function effectiveDefaults(
  config: Partial<Record<NotificationKind, NotificationChannel>>,
): Record<NotificationKind, NotificationChannel> {
  return { ...BUILT_IN_DEFAULTS, ...config };
}

/**
 * Mobile push, chosen per kind beside the channel: accepted and stored, but not configured yet
 * (it waits for a mobile app), so every delivery asking for it is logged and counted instead.
 */
export const NOT_CONFIGURED_SETTINGS_CHANNELS = ['push'] as const;

export const wantsWeb = (c: NotificationChannel): boolean => c === 'web' || c === 'both';
export const wantsEmail = (c: NotificationChannel): boolean => c === 'email' || c === 'both';

/** One kind's setting as GET/PUT /notification_settings show it. */
export const notificationSettingSchema = z.object({
  kind: z.enum(NOTIFICATION_KINDS),
  channel: z.enum(NOTIFICATION_CHANNELS),
  /** True when the user never chose: the deployment's default applies. */
  is_default: z.boolean(),
  /** False for a kind nothing produces yet (imports, exports). */
  produced: z.boolean(),
  /** Mobile push wanted too (default false); not configured yet: see the answer's not_configured. */
  push: z.boolean(),
});
export type NotificationSetting = z.output<typeof notificationSettingSchema>;

/** The user's choices only (kinds absent follow the default). */
export type UserChannels = Partial<Record<NotificationKind, NotificationChannel>>;

/** The user's push choices per kind (absent: no push). */
export type UserPush = Partial<Record<NotificationKind, boolean>>;

/** Every kind's setting for a user, in NOTIFICATION_KINDS order. */
export function settingsOf(
  chosen: UserChannels,
  defaults: Record<NotificationKind, NotificationChannel>,
  push: UserPush = {},
): NotificationSetting[] {
  return NOTIFICATION_KINDS.map((kind) => ({
    kind,
    channel: chosen[kind] ?? defaults[kind],
    is_default: chosen[kind] === undefined,
    produced: PRODUCED_KINDS.includes(kind),
    push: push[kind] === true,
  }));
}

/** What an inbox item may be: a predefined kind, or a match of one of the user's rules (F2.2). */
export const INBOX_KINDS = [...NOTIFICATION_KINDS, 'rule_matched'] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

export const NOTIFIED_RECORD_TYPES = [
  'lead',
  'deal',
  'task',
  'contact',
  'appointment',
  'import',
  'bulk_operation',
  'export',
  'mailbox',
  'sell_import',
] as const;
export type NotifiedRecordType = (typeof NOTIFIED_RECORD_TYPES)[number];

/** A grouped item names at most this many of its records (the newest); `count` counts them all. */
export const MAX_ITEM_RECORDS = 10;

/** Grouping window: events of one kind by one actor for one recipient within it make one item. */
export const GROUP_WINDOW_MS = 10 * 60 * 1000;

const recordRefSchema = z.object({ type: z.enum(NOTIFIED_RECORD_TYPES), id: z.string(), name: z.nullable(z.string()) });
export type NotifiedRecord = z.output<typeof recordRefSchema>;

/** The rule a rule_matched item is about (its name as it was when the item was written). */
const ruleRefSchema = z.object({ id: z.string(), name: z.string() });
export type RuleRef = z.output<typeof ruleRefSchema>;

/** An inbox item as stored and as the API shows it. */
export const notificationSchema = z.object({
  /**
   * "<window start, ms, 13 digits>.<kind>.<actor id>" (rule_matched: then ".<rule id>"; a job's
   * records: then ".<job type>.<job id>", the window being the job's start): sorts by time; the
   * grouping key itself.
   */
  id: z.string(),
  kind: z.enum(INBOX_KINDS),
  /** rule_matched only: the user's rule that matched. */
  rule: z.optional(ruleRefSchema),
  /** Who caused it (the user who assigned). */
  actor_id: z.string(),
  /** Events grouped into the item (each counted once). */
  count: z.number(),
  /**
   * The first MAX_ITEM_RECORDS records grouped in, in delivery order (`count` counts them all);
   * a record given back and forth within the window may show twice.
   */
  records: z.array(recordRefSchema),
  /** ISO date-times: the earliest event grouped in, and the event grouped in last. */
  first_at: z.string(),
  last_at: z.string(),
  read_at: z.nullable(z.string()),
  archived_at: z.nullable(z.string()),
});
export type Notification = z.output<typeof notificationSchema>;

/** The job (a CSV import, a bulk operation) whose records' events are grouped per job. */
export interface NotifiedJob {
  type: 'import' | 'bulk_operation';
  id: string;
}

/** What one event tells one user, before grouping. */
export interface NotificationDraft {
  recipient_id: string;
  kind: InboxKind;
  /** rule_matched only: the rule (one item group and one delivery marker per rule). */
  rule?: RuleRef;
  /**
   * Set when the event's change came from a job (metadata.origin): the job's drafts are counted
   * while it runs and make one inbox item per recipient and kind, and at most one e-mail, when
   * it finishes (known failure 6: a bulk reassignment or an import is one alert, not N).
   */
  job?: NotifiedJob;
  actor_id: string;
  event_id: string;
  occurred_at: string;
  record: NotifiedRecord;
}

/** The events the notifications consumer reads (its bus rule's detail-types). */
export const NOTIFICATION_EVENTS = [
  'lead.created',
  'lead.owner_changed',
  'deal.created',
  'deal.owner_changed',
  'task.created',
  'task.assigned',
  'task.reminder_due',
  'appointment.reminder_due',
  'import.finished',
  'bulk_operation.finished',
  'export.finished',
  'sell_import.finished',
  'call.created',
  'text_message.created',
  'mailbox.synced',
  'mailbox.needs_reconnect',
] as const;

/**
 * The events that end a job: its records' recipients are told then, one inbox item and at most
 * one e-mail each. An import from Sell marks its records' origin as an import (its own id).
 */
export const JOB_FINISHED_EVENTS: Readonly<Record<string, NotifiedJob['type']>> = {
  'import.finished': 'import',
  'sell_import.finished': 'import',
  'bulk_operation.finished': 'bulk_operation',
};

/**
 * What a job told one recipient of one kind, summed from its tally when the job finished (or
 * when one of its records was delivered after that): the records counted, the first ones named.
 */
export interface JobSummary {
  recipient_id: string;
  kind: NotificationKind;
  /** Who ran the job (the actor of its first record counted). */
  actor_id: string;
  count: number;
  /** Up to MAX_ITEM_RECORDS records, the earliest first. */
  records: NotifiedRecord[];
  /** ISO date-times of the earliest and the latest record counted. */
  first_at: string;
  last_at: string;
}

/** The delivery key of a job's one e-mail (in place of an event id). */
export const jobDeliveryKey = (job: NotifiedJob): string => `job:${job.type}:${job.id}`;

/** The job's one inbox item for a summary (read_at and archived_at as for a new item). */
export function jobItem(job: NotifiedJob, summary: JobSummary): Notification {
  return {
    id: groupIdOf({ kind: summary.kind, actor_id: summary.actor_id, occurred_at: summary.last_at, job }),
    kind: summary.kind,
    actor_id: summary.actor_id,
    count: summary.count,
    records: summary.records.slice(0, MAX_ITEM_RECORDS),
    first_at: summary.first_at,
    last_at: summary.last_at,
    read_at: null,
    archived_at: null,
  };
}

const KIND_OF: Record<'lead' | 'deal' | 'task', NotificationKind> = {
  lead: 'lead_assigned',
  deal: 'deal_assigned',
  task: 'task_assigned',
};

type Data = Record<string, unknown>;

/** A record's display name from its data (a lead's person or organisation, a task's content...). */
export function nameOf(type: NotifiedRecordType, data: Data): string | null {
  if (type === 'lead') {
    const person = [data.first_name, data.last_name].filter((p) => typeof p === 'string' && p !== '').join(' ');
    return person || (typeof data.organization_name === 'string' ? data.organization_name : null);
  }
  if (type === 'task') return typeof data.content === 'string' ? firstChars(data.content, 200) : null;
  return typeof data.name === 'string' ? data.name : null;
}

/**
 * Every notification an event makes (one per recipient), from the event alone: an
 * appointment's reminder_due tells its owner and each attending user (participants, in that
 * order); any other event makes at most the one notificationOf gives.
 */
export function notificationsOf(event: DomainEvent): (NotificationDraft & { kind: NotificationKind })[] {
  const { metadata } = event;
  if (metadata.resource_type === 'appointment') {
    if (metadata.event_type !== 'appointment.reminder_due') return [];
    const data = event.data as Data;
    return appointmentParticipants(data).map((recipient_id) => ({
      recipient_id,
      kind: 'appointment_reminder',
      actor_id: metadata.actor_id,
      event_id: metadata.event_id,
      occurred_at: metadata.occurred_at,
      record: { type: 'appointment', id: metadata.resource_id, name: nameOf('appointment', data) },
    }));
  }
  const one = notificationOf(event);
  return one ? [one] : [];
}

/** An appointment's owner, then its user attendees (distinct), from its data as events carry it. */
export function appointmentParticipants(data: Data): string[] {
  const ids: string[] = typeof data.owner_id === 'string' ? [data.owner_id] : [];
  const attendees = Array.isArray(data.attendees) ? (data.attendees as Data[]) : [];
  for (const a of attendees) if (a.type === 'user' && typeof a.id === 'string' && !ids.includes(a.id)) ids.push(a.id);
  return ids;
}

/** Who an event about a job or a mailbox tells, of what, and the record it names. */
interface Told {
  /** The field of the event's data naming the one user told. */
  readonly recipient: 'creator_id' | 'requester_id' | 'owner_id';
  readonly kind: NotificationKind;
  readonly type: NotifiedRecordType;
  /** The record's name as the notification shows it. */
  readonly name: (data: Data) => string | null;
}

const filenameOf = (data: Data) => (typeof data.filename === 'string' ? data.filename : null);
const mailboxNameOf = (data: Data) =>
  typeof data.username === 'string' && typeof data.host === 'string' ? `${data.username} (${data.host})` : null;

/**
 * Events that tell one user about their own job or mailbox, whoever the actor: an import
 * (CSV, or from Zendesk Sell: the admin who started it) or an export finished, to who ran it; a
 * bulk operation finished, to who asked; a connected mailbox's first complete sync, or its poll
 * stopped until it is connected again (shared/mailboxes), to its owner, once each.
 */
const TOLD_OF: Readonly<Record<string, Told>> = {
  'import.finished': { recipient: 'creator_id', kind: 'import_finished', type: 'import', name: filenameOf },
  'sell_import.finished': {
    recipient: 'creator_id',
    kind: 'import_finished',
    type: 'sell_import',
    name: () => 'from Zendesk Sell',
  },
  'export.finished': { recipient: 'creator_id', kind: 'export_finished', type: 'export', name: filenameOf },
  'bulk_operation.finished': {
    recipient: 'requester_id',
    kind: 'bulk_operation_finished',
    type: 'bulk_operation',
    name: (data) =>
      typeof data.action === 'string' && typeof data.resource === 'string' ? `${data.action} ${data.resource}` : null,
  },
  'mailbox.synced': { recipient: 'owner_id', kind: 'mailbox_synced', type: 'mailbox', name: mailboxNameOf },
  'mailbox.needs_reconnect': { recipient: 'owner_id', kind: 'mailbox_needs_reconnect', type: 'mailbox', name: mailboxNameOf },
};

function toldOf(event: DomainEvent, told: Told): (NotificationDraft & { kind: NotificationKind }) | undefined {
  const data = event.data as Data;
  const recipient = data[told.recipient];
  if (typeof recipient !== 'string') return undefined;
  return {
    recipient_id: recipient,
    kind: told.kind,
    actor_id: event.metadata.actor_id,
    event_id: event.metadata.event_id,
    occurred_at: event.metadata.occurred_at,
    record: { type: told.type, id: event.metadata.resource_id, name: told.name(data) },
  };
}

/**
 * The notification an event makes, from the event alone: a lead, deal or task created with
 * someone else as owner, or given to a new owner, tells that owner, unless they did it
 * themselves; a lead a capture form created (its actor is the form) tells its owner as
 * capture_form_lead; a task's reminder_due tells the task's assignee. Undefined for any other event.
 */
export function notificationOf(event: DomainEvent): (NotificationDraft & { kind: NotificationKind }) | undefined {
  const { metadata } = event;
  const told = TOLD_OF[metadata.event_type];
  if (told) return toldOf(event, told);
  if (metadata.event_type === 'call.created' || metadata.event_type === 'text_message.created') return incomingOf(event);
  const type = metadata.resource_type;
  if (type !== 'lead' && type !== 'deal' && type !== 'task') return undefined;
  const verb = metadata.event_type.slice(type.length + 1);
  if (type === 'task' && verb === 'reminder_due') return reminderOf(event);
  const assigning = verb === 'created' || verb === 'owner_changed' || (type === 'task' && verb === 'assigned');
  if (!assigning) return undefined;
  const data = event.data as Data;
  const owner = data.owner_id;
  if (typeof owner !== 'string' || owner === metadata.actor_id) return undefined;
  if (verb !== 'created' && (event.previous as Data | undefined)?.owner_id === owner) return undefined;
  const fromForm = type === 'lead' && verb === 'created' && formIdOfActor(metadata.actor_id) !== undefined;
  const origin = metadata.origin;
  return {
    recipient_id: owner,
    kind: fromForm ? 'capture_form_lead' : KIND_OF[type],
    actor_id: metadata.actor_id,
    event_id: metadata.event_id,
    occurred_at: metadata.occurred_at,
    record: { type, id: metadata.resource_id, name: nameOf(type, data) },
    ...(origin ? { job: { type: origin.type, id: origin.id } } : {}),
  };
}

/** A task's reminder came due (shared/reminders): its assignee as the event carries it is told. */
function reminderOf(event: DomainEvent): (NotificationDraft & { kind: NotificationKind }) | undefined {
  const data = event.data as Data;
  if (typeof data.owner_id !== 'string') return undefined;
  return {
    recipient_id: data.owner_id,
    kind: 'task_reminder',
    actor_id: event.metadata.actor_id,
    event_id: event.metadata.event_id,
    occurred_at: event.metadata.occurred_at,
    record: { type: 'task', id: event.metadata.resource_id, name: nameOf('task', data) },
  };
}

/**
 * A call or text a voice provider logged on a lead or contact (shared/calls): an incoming one
 * tells the call's user (the record's owner), the record being the lead or contact and its
 * name the caller's number. Calls logged by hand, outgoing or unmatched ones tell nobody.
 */
function incomingOf(event: DomainEvent): (NotificationDraft & { kind: NotificationKind }) | undefined {
  const data = event.data as Data;
  if (data.incoming !== true || data.source === 'manual' || typeof data.user_id !== 'string') return undefined;
  if ((data.resource_type !== 'lead' && data.resource_type !== 'contact') || typeof data.resource_id !== 'string') {
    return undefined;
  }
  const number = event.metadata.event_type === 'call.created' ? data.phone_number : data.resource_phone_number;
  return {
    recipient_id: data.user_id,
    kind: event.metadata.event_type === 'call.created' ? 'incoming_call' : 'incoming_text',
    actor_id: event.metadata.actor_id,
    event_id: event.metadata.event_id,
    occurred_at: event.metadata.occurred_at,
    record: { type: data.resource_type, id: data.resource_id, name: typeof number === 'string' ? number : null },
  };
}

/**
 * The inbox item a draft groups into: "<window start>.<kind>.<actor>", the window being the
 * fixed GROUP_WINDOW_MS slot of the event's time. Fixed slots (not a sliding window) keep it a
 * function of the event alone, so redeliveries and any delivery order land in the same item;
 * a burst across a slot boundary makes two items.
 */
export function groupIdOf(draft: Pick<NotificationDraft, 'kind' | 'actor_id' | 'occurred_at' | 'rule' | 'job'>): string {
  if (draft.job && !draft.rule) {
    // One item per job: its slot is the job's (its id's time), so a job running for hours
    // still makes one item, and every delivery of any of its events lands there.
    const start = Math.floor(jobTime(draft.job.id) / GROUP_WINDOW_MS) * GROUP_WINDOW_MS;
    return `${String(start).padStart(13, '0')}.${draft.kind}.${draft.actor_id}.${draft.job.type}.${draft.job.id}`;
  }
  const start = Math.floor(Date.parse(draft.occurred_at) / GROUP_WINDOW_MS) * GROUP_WINDOW_MS;
  return `${String(start).padStart(13, '0')}.${draft.kind}.${draft.actor_id}${draft.rule ? `.${draft.rule.id}` : ''}`;
}

/** A job's creation time (ms) from its ULID id; a non-ULID id (fixtures) sorts at the epoch. */
function jobTime(id: string): number {
  try {
    return decodeTime(id);
  } catch {
    return 0;
  }
}

/**
 * What a delivery is deduplicated on, per recipient: the event, and for a rule's match the
 * rule too, so an assignee with a rule on the same event gets both, each once.
 */
export const deliveryKeyOf = (draft: Pick<NotificationDraft, 'event_id' | 'rule'>): string =>
  draft.rule ? `${draft.event_id}#rule#${draft.rule.id}` : draft.event_id;

/**
 * The item after one more event (the draft) is grouped in: counted once more, its record added
 * while there is room, the times moved; unread again and back in the inbox.
 * @param current the item as stored, or undefined for the group's first event
 */
export function groupedItem(current: Notification | undefined, draft: NotificationDraft): Notification {
  const known = current?.records ?? [];
  const records = known.some((r) => r.id === draft.record.id && r.type === draft.record.type) ? known : [...known, draft.record];
  const earlier = (a: string, b: string) => (a < b ? a : b);
  return {
    id: groupIdOf(draft),
    kind: draft.kind,
    ...(draft.rule ? { rule: draft.rule } : {}),
    actor_id: draft.actor_id,
    count: (current?.count ?? 0) + 1,
    records: records.slice(0, MAX_ITEM_RECORDS),
    first_at: current ? earlier(current.first_at, draft.occurred_at) : draft.occurred_at,
    last_at: draft.occurred_at,
    read_at: null,
    archived_at: null,
  };
}

/** Whether the item counts in the unread count: neither read nor archived. */
export const isUnread = (n: Pick<Notification, 'read_at' | 'archived_at'>): boolean =>
  n.read_at === null && n.archived_at === null;
