import * as z from 'zod/mini';
import { contactSchema } from '#shared/contacts/domain.ts';
import { customFieldSchema } from '#shared/custom-fields/domain.ts';
import { associatedContactSchema, dealSchema } from '#shared/deals/domain.ts';
import { accountSchema } from '#shared/identity/account.ts';
import { teamSchema, userSchema } from '#shared/identity/domain.ts';
import { leadSchema } from '#shared/leads/domain.ts';
import { MAIL_REQUESTED_EVENT, mailRequestSchema } from '#shared/mail/domain.ts';
import { noteSchema } from '#shared/notes/domain.ts';
import { pipelineSchema, stageSchema } from '#shared/pipelines/domain.ts';
import { NAMED_LIST_KINDS, namedEntrySchema } from '#shared/pipelines/reasons.ts';
import { taskSchema } from '#shared/tasks/domain.ts';
import { appointmentSchema } from '#shared/appointments/domain.ts';
import { documentSchema } from '#shared/documents/domain.ts';
import { captureFormSchema } from '#shared/capture-forms/domain.ts';
import { EMAIL_SENT_EVENT, emailSchema } from '#shared/emails/domain.ts';
import { relatedRecordTypeSchema } from '#shared/kernel/related-records.ts';
import { importSchema } from '#shared/imports/domain.ts';
import { bulkOperationSchema } from '#shared/bulk-operations/domain.ts';
import { exportEventSchema } from '#shared/exports/domain.ts';
import { sellImportEventSchema } from '#shared/sell-import/domain.ts';
import {
  MAILBOX_NEEDS_RECONNECT_EVENT,
  MAILBOX_SYNCED_EVENT,
  mailboxNeedsReconnectSchema,
  mailboxSyncedSchema,
} from '#shared/mailboxes/domain.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { callSchema, textMessageSchema } from '#shared/calls/domain.ts';

// The event catalogue (X7): one zod schema per event type and version, the source of truth for
// what the bus carries. The outbox publisher refuses an event its schema rejects (it goes to the
// stream's on-failure queue, logged, never onto the bus); `npm run docs:events` writes each as
// JSON Schema draft 4 into docs/events/, and CDK publishes those to the EventBridge schema
// registry. `data` reuses the families' record schemas (objects that keep unknown fields, so a
// field added to a record is not a breaking change); `previous` is a partial of `data`.
// A new event: one line below. A breaking change to `data`: a new entry with version + 1.

const nonEmpty = z.string().check(z.minLength(1));

/** metadata.caused_by (kernel/events.ts CausedBy). */
export const causedBySchema = z.object({
  event_id: nonEmpty,
  root_event_id: nonEmpty,
  automation: nonEmpty,
  depth: z.int().check(z.minimum(1)),
});

/** One entry of the catalogue. */
export interface EventSpec {
  readonly type: string;
  readonly version: number;
  readonly description: string;
  readonly data: z.ZodMiniObject;
}

const spec = (type: string, data: z.ZodMiniObject, description: string, version = 1): EventSpec => ({
  type,
  version,
  description,
  data,
});

/** `<resource>.created/updated/deleted` carrying the record (after the change; as it was, for deleted). */
const crud = (resource: string, data: z.ZodMiniObject, label: string): EventSpec[] => [
  spec(`${resource}.created`, data, `A ${label} was created; data is the new record.`),
  spec(`${resource}.updated`, data, `A ${label} changed; data is the record after, previous the changed fields before.`),
  spec(`${resource}.deleted`, data, `A ${label} was deleted; data is the record as it was.`),
];

const ownerChanged = (resource: string, data: z.ZodMiniObject, label: string): EventSpec =>
  spec(`${resource}.owner_changed`, data, `A ${label}'s owner changed; previous.owner_id is the old owner.`);

/** Every event type and version the CRM publishes. */
export const EVENT_SPECS: readonly EventSpec[] = [
  ...crud('user', userSchema, 'user').filter((s) => s.type !== 'user.deleted'),
  spec('user.enabled', userSchema, 'A user was enabled (may sign in again).'),
  spec('user.disabled', userSchema, 'A user was disabled (may no longer sign in).'),
  spec('user.role_changed', userSchema, "A user's role changed; previous.role is the old role."),
  ...crud('team', teamSchema, 'team'),
  spec('account.updated', accountSchema, "The account's settings changed."),
  ...crud('pipeline', pipelineSchema, 'pipeline'),
  ...crud('stage', stageSchema, 'pipeline stage'),
  ...NAMED_LIST_KINDS.flatMap((kind) => crud(kind, namedEntrySchema, kind.replaceAll('_', ' '))),
  ...crud('custom_field', customFieldSchema, 'custom field definition'),
  ...crud('lead', leadSchema, 'lead'),
  ownerChanged('lead', leadSchema, 'lead'),
  spec('lead.status_changed', leadSchema, "A lead's status changed; previous.status is the old one."),
  spec('lead.converted', leadSchema, 'A lead was converted into contacts and maybe a deal; data is the lead after.'),
  ...crud('contact', contactSchema, 'contact'),
  ownerChanged('contact', contactSchema, 'contact'),
  spec('deal.created', dealSchema, 'A deal was created; data is the new record.'),
  spec('deal.updated', dealSchema, 'A deal changed; data is the record after, previous the changed fields before.'),
  spec(
    'deal.deleted',
    z.extend(dealSchema, { associated_contact_ids: z.array(z.string()) }),
    'A deal was deleted; data is the record as it was, with the ids of its associated contacts.',
  ),
  ownerChanged('deal', dealSchema, 'deal'),
  spec(
    'deal.stage_changed',
    dealSchema,
    'A deal moved to another stage; previous.stage_id (and stage_key, pipeline_key: the immutable keys automations name) is the old one.',
  ),
  spec(
    'deal.contact_associated',
    z.extend(associatedContactSchema, { owner_id: z.string() }),
    "A contact was associated with a deal; owner_id is the deal's owner.",
  ),
  spec(
    'deal.contact_dissociated',
    z.object({ deal_id: z.string(), contact_id: z.string(), owner_id: z.string() }),
    "A contact was dissociated from a deal; owner_id is the deal's owner.",
  ),
  ...crud('note', z.extend(noteSchema, { content_truncated: z.boolean() }), 'note').map((s) => ({
    ...s,
    description: `${s.description} content holds at most the first 1000 characters (content_truncated says so).`,
  })),
  ...crud('task', taskSchema, 'task'),
  spec('document.created', documentSchema, 'A document was added to a record (pending: its upload is not checked yet).'),
  spec('document.available', documentSchema, "A document's upload passed the check (size, type): it can be downloaded."),
  spec(
    'document.rejected',
    documentSchema,
    "A document's upload broke the limits (rejection_reason says which): the file was deleted.",
  ),
  ...crud('capture_form', captureFormSchema, 'lead capture form'),
  spec('document.deleted', documentSchema, 'A document and its file were deleted; data is the record as it was.'),
  spec('import.created', importSchema, 'A CSV import was created; its file is awaited at a presigned URL.'),
  spec(
    'import.finished',
    importSchema,
    'A CSV import wrote all its batches: created, updated and failed count its rows (the error file lists the failed ones).',
  ),
  spec(
    'bulk_operation.created',
    bulkOperationSchema,
    "A bulk operation (reassign, add or remove a tag, delete) was asked for; it runs asynchronously with the requester's rights.",
  ),
  spec(
    'bulk_operation.finished',
    bulkOperationSchema,
    "A bulk operation acted on all its records: ok, forbidden, not_found and failed count their outcomes (GET /bulk_operations/{id} lists each). The records' own events carry the operation as metadata.origin.",
  ),
  spec(
    'export.created',
    exportEventSchema,
    'A CSV export of a list (resource, filters) was queued; owner_id is the requester, whose visibility it is written within.',
  ),
  spec(
    'export.finished',
    exportEventSchema,
    'A CSV export was written (rows counted); GET /exports/{id} answers its download. The requester is notified (export_finished).',
  ),
  spec('export.failed', exportEventSchema, 'A CSV export failed; failure_reason says why.'),
  spec(
    'sell_import.created',
    sellImportEventSchema,
    "An admin started an import from Zendesk Sell's API (POST /sell_imports); the worker runs it in slices. Never carries the token.",
  ),
  spec(
    'sell_import.finished',
    sellImportEventSchema,
    'A Sell import read every resource; report counts what was imported, unchanged and skipped (and why). The admin is notified (import_finished).',
  ),
  spec(
    'sell_import.failed',
    sellImportEventSchema,
    'A Sell import failed (Sell refused the token, or every retry failed); failure_reason says why.',
  ),
  spec('sell_import.cancelled', sellImportEventSchema, 'An admin cancelled a Sell import; what it had imported stays.'),
  spec(
    'migration.continue',
    z.object({ migration_id: nonEmpty }),
    'Internal: a migration paused at its deadline asks the migrate function to go on (shared/platform/migrations).',
  ),
  spec(
    MAIL_REQUESTED_EVENT,
    mailRequestSchema,
    "Internal: a mail to send (an alert: a pending e-mail of a notification; a user's own message), written with it; a bus rule puts it on the mail queue (shared/mail).",
  ),
  spec('task.assigned', taskSchema, 'A task was given to another user; previous.owner_id is the old owner.'),
  spec('task.completed', taskSchema, 'A task was marked done (or not done); previous.completed is the old value.'),
  spec(
    'task.reminder_due',
    taskSchema,
    "A task's reminder came due (its schedule fired and the task still wants it); data is the task then. Actor: system.",
  ),
  ...crud('email', emailSchema, "e-mail message (a user's mailbox)").map((s) => ({
    ...s,
    description: `${s.description} text and html hold at most the first 1000 characters.`,
  })),
  spec(
    'email.logged',
    z.extend(emailSchema, { resource_type: relatedRecordTypeSchema, resource_id: z.string() }),
    'An e-mail message was logged on a lead, contact or deal (resource_type, resource_id): one event per record; text and html hold at most the first 1000 characters.',
  ),
  spec(
    EMAIL_SENT_EVENT,
    emailSchema,
    "SES took a message a user sent from the CRM (status sent, provider_message_id and header_message_id set); the sender's connected mailbox gets a copy in its Sent folder. Actor: system. text and html hold at most the first 1000 characters.",
  ),
  spec(
    MAILBOX_SYNCED_EVENT,
    mailboxSyncedSchema,
    "A user's connected IMAP mailbox finished its first complete sync (once per mailbox); logged counts the messages that poll logged. Actor: system.",
  ),
  spec(
    MAILBOX_NEEDS_RECONNECT_EVENT,
    mailboxNeedsReconnectSchema,
    "The poll stopped reading a user's connected mailbox until they connect it again: the OAuth provider refused the refresh token (revoked, expired, password changed). Once per flag; reason is what the provider answered. The owner is told (mailbox_needs_reconnect). Actor: system.",
  ),
  ...crud('appointment', appointmentSchema, 'appointment').map((s) => ({
    ...s,
    description: `${s.description} remind_at is when its reminder fires; sequence rises with every change of time, location or attendees.`,
  })),
  spec(
    'appointment.reminder_due',
    appointmentSchema,
    "An appointment's reminder came due (its schedule fired and the appointment still wants it); data is the appointment then (its owner and attending users are told). Actor: system.",
  ),
  spec(
    'appointment.response_recorded',
    z.extend(appointmentSchema, {
      response: z.object({
        attendee_key: z.string(),
        response: z.enum(['accepted', 'tentative', 'declined']),
        channel: z.enum(['link', 'itip_reply']),
        sequence: z.int(),
        superseded: z.boolean(),
      }),
    }),
    'An attendee answered an invitation (an RSVP link or an iTIP REPLY); data is the appointment after, with response: who (attendee_key), what, how, and the sequence they answered (superseded: an earlier one). previous.attendees is the list before.',
  ),
  spec(
    'call.created',
    callSchema,
    "A call was logged, by hand or from a voice provider (source; actor voice:<provider>); user_id null: a provider's call from a number no lead or contact has.",
  ),
  spec(
    'call.updated',
    callSchema,
    'A call changed (outcome, summary, links); data is the call after, previous the changed fields before.',
  ),
  spec('call.deleted', callSchema, 'A call was deleted; data is the call as it was.'),
  spec('text_message.created', textMessageSchema, 'A text message was logged, by hand or from a voice provider (source).'),
];

/** The catalogue key of a type and version: "deal.created@1". */
export const eventKey = (type: string, version: number): string => `${type}@${version}`;

const SPECS = new Map(EVENT_SPECS.map((s) => [eventKey(s.type, s.version), s]));
if (SPECS.size !== EVENT_SPECS.length) throw new Error('an event type and version is declared twice');

/** metadata.origin (kernel/events.ts EventOrigin): the import or bulk operation that wrote the record. */
export const originSchema = z.object({
  type: z.enum(['import', 'bulk_operation']),
  id: nonEmpty,
  automations: z.boolean(),
});

/** The envelope schema of one event type and version: metadata (type and version fixed), data, previous. */
export function envelopeSchemaOf(spec: EventSpec) {
  return z.looseObject({
    metadata: z.looseObject({
      event_id: nonEmpty,
      event_type: z.literal(spec.type),
      event_version: z.literal(spec.version),
      occurred_at: z.iso.datetime(),
      actor_id: nonEmpty,
      correlation_id: nonEmpty,
      resource_type: nonEmpty,
      resource_id: nonEmpty,
      caused_by: z.optional(causedBySchema),
      origin: z.optional(originSchema),
    }),
    data: spec.data,
    previous: z.optional(z.partial(spec.data)),
  });
}

const envelopes = new Map<string, ReturnType<typeof envelopeSchemaOf>>();

/** The spec of an event type and version, undefined when the catalogue has none. */
export function eventSpecOf(type: string, version: number): EventSpec | undefined {
  return SPECS.get(eventKey(type, version));
}

/**
 * Why `event` is not a valid event of its type and version: one line per problem
 * ("data.name: ..."), an empty list when it is valid.
 */
export function eventProblems(event: DomainEvent): string[] {
  const metadata = (event as Partial<DomainEvent> | undefined)?.metadata;
  const spec = metadata && eventSpecOf(metadata.event_type, metadata.event_version);
  if (!spec) {
    return [`no schema for event type ${String(metadata?.event_type)} version ${String(metadata?.event_version)}`];
  }
  const key = eventKey(spec.type, spec.version);
  let schema = envelopes.get(key);
  if (!schema) envelopes.set(key, (schema = envelopeSchemaOf(spec)));
  const result = schema.safeParse(event);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '$'}: ${issue.message}`);
}
