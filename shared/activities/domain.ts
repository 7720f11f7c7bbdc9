import * as z from 'zod/mini';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { firstChars } from '#shared/kernel/chars.ts';

// The activity feed (F1.4): one entry per event someone caused on a lead, contact, deal, note,
// task, appointment, call or text message. An entry is derived from its event alone (never from the clock or the order events
// arrive in), so a redelivery or a replay of the archive in any order writes the same item.
// Who may see an entry is decided by its "parent": the lead, contact or deal it happened on
// (a note's, task's or appointment's record), or the task or appointment itself when it is on
// no record. The parent's
// current owner is the entry's `owner_id`, kept up to date when the parent changes owner.

export const ACTIVITY_VERBS = [
  'created',
  'completed',
  'status_changed',
  'stage_changed',
  'owner_changed',
  'emailed',
  'email_received',
  'exported',
  'called',
  'call_received',
  'call_missed',
  'texted',
  'text_received',
  'imported',
] as const;
export type ActivityVerb = (typeof ACTIVITY_VERBS)[number];

export const ACTIVITY_RECORD_TYPES = [
  'lead',
  'contact',
  'deal',
  'note',
  'task',
  'appointment',
  'document',
  'email',
  'export',
  'call',
  'text_message',
  'sell_import',
] as const;
export type ActivityRecordType = (typeof ACTIVITY_RECORD_TYPES)[number];

/** Whose visibility an entry follows: a lead, contact or deal, or a task or appointment on no record. */
export const PARENT_TYPES = ['lead', 'contact', 'deal', 'task', 'appointment', 'export', 'sell_import'] as const;
export type ParentType = (typeof PARENT_TYPES)[number];

export interface ParentRef {
  type: ParentType;
  id: string;
}

/** Names in entries stay short: a note's or task's text is cut to this many characters. */
export const ACTIVITY_NAME_MAX = 200;

const changeSchema = z.object({
  field: z.string(),
  from: z.nullable(z.string()),
  to: z.nullable(z.string()),
});
export type ActivityChange = z.output<typeof changeSchema>;

/** An entry as stored and as the API shows it. */
export const activitySchema = z.object({
  /** The event's id: an entry per event. */
  id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  /** ISO date-time of the change (the event's occurred_at). */
  occurred_at: z.string(),
  actor_id: z.string(),
  verb: z.enum(ACTIVITY_VERBS),
  /** What was acted on, with its name at the time (null when it has none). */
  record: z.object({ type: z.enum(ACTIVITY_RECORD_TYPES), id: z.string(), name: z.nullable(z.string()) }),
  /** The record whose visibility the entry follows (itself for a lead, contact or deal). */
  parent: z.object({ type: z.enum(PARENT_TYPES), id: z.string() }),
  /** The change (empty for created): each field with its old and new value. */
  changes: z.array(changeSchema),
  /** The parent's current owner (null when the parent is gone and was never seen). */
  owner_id: z.nullable(z.string()),
});
export type Activity = z.output<typeof activitySchema>;

/** An entry before its owner is known: what the event alone says. */
export type ActivityDraft = Omit<Activity, 'owner_id'>;

/** The event types the feed consumer reads (its bus rule's detail-types). */
export const ACTIVITY_EVENTS = [
  'lead.created',
  'lead.status_changed',
  'lead.owner_changed',
  'contact.created',
  'contact.updated',
  'contact.owner_changed',
  'deal.created',
  'deal.stage_changed',
  'deal.owner_changed',
  'note.created',
  'task.created',
  'task.completed',
  'task.assigned',
  'appointment.created',
  // One per record a message is logged on (an e-mail has no parent of its own).
  'email.logged',
  // An entry only when it changes the owner (that of an appointment on no record moves its entries).
  'appointment.updated',
  // A document's entry comes once its upload passed the check (F3.4).
  'document.available',
  // A finished CSV export: an entry in its requester's feed (the export is its own parent).
  'export.finished',
  // Calls and texts (F2.4) on their lead or contact (else their first deal); an unmatched one
  // gets its entry when it is linked to a record (call.updated).
  'call.created',
  'call.updated',
  'text_message.created',
  // A finished import from Zendesk Sell: an entry in the admin's feed (the import is its own parent).
  'sell_import.finished',
  // No entry: they take the record's entries out of every owner's feed (NO_OWNER).
  'lead.deleted',
  'contact.deleted',
  'deal.deleted',
  'task.deleted',
  'appointment.deleted',
] as const;

/**
 * The owner a deleted parent's state holds: its entries then sit under no owner (owner_id
 * null), so only admins, who see everything, still list them.
 */
export const NO_OWNER = '~deleted';

/** The owner_id an entry stores for a parent state's owner (null under NO_OWNER). */
export const entryOwner = (stateOwner: string): string | null => (stateOwner === NO_OWNER ? null : stateOwner);

type Data = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : v === null || v === undefined ? null : String(v));

/** A record's display name as its event carries it (null when it has none). */
export function recordName(type: ActivityRecordType, data: Data): string | null {
  switch (type) {
    case 'lead': {
      const person = [data.first_name, data.last_name].filter((p) => typeof p === 'string' && p !== '').join(' ');
      return person || str(data.organization_name);
    }
    case 'contact':
    case 'deal':
    case 'appointment':
      return str(data.name);
    case 'note':
    case 'task':
      return typeof data.content === 'string' ? firstChars(data.content, ACTIVITY_NAME_MAX) : null;
    case 'document':
      return typeof data.filename === 'string' ? firstChars(data.filename, ACTIVITY_NAME_MAX) : null;
    case 'export':
      return typeof data.filename === 'string' ? firstChars(data.filename, ACTIVITY_NAME_MAX) : null;
    case 'sell_import':
      return 'Zendesk Sell';
    case 'email':
      return typeof data.subject === 'string' ? firstChars(data.subject, ACTIVITY_NAME_MAX) : null;
    case 'call':
      // Its summary, else the number called.
      return typeof data.summary === 'string' && data.summary !== ''
        ? firstChars(data.summary, ACTIVITY_NAME_MAX)
        : str(data.phone_number);
    case 'text_message':
      return typeof data.content === 'string' ? firstChars(data.content, ACTIVITY_NAME_MAX) : null;
  }
}

const isParentType = (v: unknown): v is 'lead' | 'contact' | 'deal' => v === 'lead' || v === 'contact' || v === 'deal';

/**
 * The parent of the event's record: itself for a lead, contact or deal; a note's, task's or
 * appointment's record; a task or appointment on no record is its own parent. Undefined for a
 * kind the feed does not follow.
 */
export function parentOf(event: DomainEvent): ParentRef | undefined {
  const { resource_type, resource_id } = event.metadata;
  const data = event.data as Data;
  if (isParentType(resource_type)) return { type: resource_type, id: resource_id };
  if (resource_type === 'note' || resource_type === 'task' || resource_type === 'appointment' || resource_type === 'document') {
    if (isParentType(data.resource_type) && typeof data.resource_id === 'string') {
      return { type: data.resource_type, id: data.resource_id };
    }
    // A task or appointment on no record is its own parent; a note or document always has one.
    return resource_type === 'task' || resource_type === 'appointment' ? { type: resource_type, id: resource_id } : undefined;
  }
  // An export is its own parent, owned by its requester (data.owner_id).
  if (resource_type === 'export') return { type: 'export', id: resource_id };
  // A call or text: its lead or contact, else its first deal; none while unmatched.
  if (resource_type === 'call' || resource_type === 'text_message') {
    if (isParentType(data.resource_type) && typeof data.resource_id === 'string') {
      return { type: data.resource_type, id: data.resource_id };
    }
    const deals = Array.isArray(data.associated_deal_ids) ? data.associated_deal_ids : [];
    return typeof deals[0] === 'string' ? { type: 'deal', id: deals[0] } : undefined;
  }
  // Likewise an import from Sell, owned by the admin who started it (data.owner_id).
  if (resource_type === 'sell_import') return { type: 'sell_import', id: resource_id };
  // email.logged names the record it was logged on.
  if (resource_type === 'email' && isParentType(data.resource_type) && typeof data.resource_id === 'string') {
    return { type: data.resource_type, id: data.resource_id };
  }
  return undefined;
}

/**
 * The parent's owner and version when the event is the parent's own (a lead, contact or deal
 * event, or an event of a task on no record): what moves the parent's entries to a new owner;
 * NO_OWNER once the parent is deleted.
 */
export function parentStateOf(event: DomainEvent): { owner_id: string; version: number } | undefined {
  const parent = parentOf(event);
  if (!parent || parent.type !== event.metadata.resource_type || parent.id !== event.metadata.resource_id) return undefined;
  const data = event.data as Data;
  if (typeof data.owner_id !== 'string' || typeof data.version !== 'number') return undefined;
  // A deletion carries the record's last version: the state after it is one later.
  if (event.metadata.event_type.endsWith('.deleted')) return { owner_id: NO_OWNER, version: data.version + 1 };
  return { owner_id: data.owner_id, version: data.version };
}

/** Whether the event changed its record's owner (then its parent's entries may have to move). */
export function changesOwner(event: DomainEvent): boolean {
  return event.previous !== undefined && 'owner_id' in event.previous;
}

const CONTACT_STATUS_FIELDS = ['prospect_status', 'customer_status'] as const;

function verbAndChanges(event: DomainEvent): { verb: ActivityVerb; changes: ActivityChange[] } | undefined {
  const data = event.data as Data;
  const previous = (event.previous ?? {}) as Data;
  const change = (field: string): ActivityChange => ({ field, from: str(previous[field]), to: str(data[field]) });
  const type = event.metadata.event_type;
  switch (type) {
    case 'lead.created':
    case 'contact.created':
    case 'deal.created':
    case 'note.created':
    case 'task.created':
    case 'appointment.created':
    case 'document.available':
      return { verb: 'created', changes: [] };
    case 'task.completed':
      return { verb: 'completed', changes: [] };
    case 'export.finished':
      return { verb: 'exported', changes: [] };
    case 'sell_import.finished':
      return { verb: 'imported', changes: [] };
    case 'email.logged':
      return { verb: data.direction === 'inbound' ? 'email_received' : 'emailed', changes: [] };
    case 'lead.status_changed':
      return { verb: 'status_changed', changes: [change('status')] };
    case 'contact.updated': {
      const fields = CONTACT_STATUS_FIELDS.filter((f) => f in previous && previous[f] !== data[f]);
      return fields.length > 0 ? { verb: 'status_changed', changes: fields.map(change) } : undefined;
    }
    case 'deal.stage_changed':
      return { verb: 'stage_changed', changes: [change('stage_id')] };
    case 'lead.owner_changed':
    case 'contact.owner_changed':
    case 'deal.owner_changed':
    case 'task.assigned':
      return { verb: 'owner_changed', changes: [change('owner_id')] };
    case 'appointment.updated':
      return 'owner_id' in previous ? { verb: 'owner_changed', changes: [change('owner_id')] } : undefined;
    case 'call.created':
      return { verb: callVerb(data), changes: [] };
    case 'call.updated':
      // Only the update that links an unmatched call: then it appears on its record.
      return linksCall(previous, data) ? { verb: callVerb(data), changes: [] } : undefined;
    case 'text_message.created':
      return { verb: data.incoming === true ? 'text_received' : 'texted', changes: [] };
    default:
      return undefined;
  }
}

const callVerb = (call: Data): ActivityVerb =>
  call.missed === true ? 'call_missed' : call.incoming === true ? 'call_received' : 'called';

/** Whether a call update linked an unmatched call (on no record and no deal before) to a record or deal. */
function linksCall(previous: Data, data: Data): boolean {
  const before = { ...data, ...previous };
  const linked = (call: Data) =>
    typeof call.resource_id === 'string' || (Array.isArray(call.associated_deal_ids) && call.associated_deal_ids.length > 0);
  return !linked(before) && linked(data);
}

/**
 * The entry an event makes, from the event alone; undefined for an event that makes none
 * (a contact update that changes no status, a kind the feed does not follow).
 */
export function activityOf(event: DomainEvent): ActivityDraft | undefined {
  const parent = parentOf(event);
  const made = verbAndChanges(event);
  if (!parent || !made) return undefined;
  const { metadata } = event;
  const type = metadata.resource_type as ActivityRecordType;
  return {
    id: metadata.event_id,
    event_id: metadata.event_id,
    event_type: metadata.event_type,
    occurred_at: metadata.occurred_at,
    actor_id: metadata.actor_id,
    verb: made.verb,
    record: { type, id: metadata.resource_id, name: recordName(type, event.data as Data) },
    parent,
    changes: made.changes,
  };
}

/** The kinds the backfill walks, in order: each a collection of records. */
export const BACKFILL_KINDS = ['lead', 'contact', 'deal', 'task'] as const;
export type BackfillKind = (typeof BACKFILL_KINDS)[number];

/**
 * The "created" event a record that predates the feed stands in for, derived from the record
 * alone (id "backfill-<type>-<id>", at its created_at, by its creator), so that running the
 * backfill again writes byte-identical items.
 */
export function backfillEvent(type: ActivityRecordType, record: Record<string, unknown>): DomainEvent {
  const id = String(record.id);
  const actor =
    typeof record.creator_id === 'string' ? record.creator_id : typeof record.owner_id === 'string' ? record.owner_id : 'system';
  return {
    metadata: {
      event_id: `backfill-${type}-${id}`,
      event_type: `${type}.created`,
      event_version: 1,
      occurred_at: String(record.created_at),
      actor_id: actor,
      correlation_id: 'backfill',
      resource_type: type,
      resource_id: id,
    },
    data: record,
  };
}
