import { ACTIVITY_EVENTS } from '#shared/activities/domain.ts';
import { CONTACT_STATUS_EVENTS } from '#shared/contacts/status.ts';
import { USER_DIRECTORY_EVENTS } from '#shared/identity/directory-sync.ts';
import { EVENT_SOURCE } from '#shared/kernel/events.ts';
import { OUTCOME_EVENTS } from '#shared/outcomes/use-cases.ts';
import { NOTIFICATION_EVENTS } from '#shared/notifications/domain.ts';
import { RULE_EVENTS } from '#shared/notifications/rules.ts';
import { REMINDER_SYNC_EVENTS } from '#shared/reminders/domain.ts';
import { MIGRATION_CONTINUE_EVENT } from '#shared/platform/migrations/runner.ts';
import { MAIL_REQUESTED_EVENT } from '#shared/mail/domain.ts';
import { EMAIL_SENT_EVENT, SES_EVENT_DETAIL_TYPES, SES_EVENT_SOURCE } from '#shared/emails/domain.ts';
import { CONNECT_CONTACT_EVENT } from '#shared/calls/domain.ts';
import { INBOUND_PREFIX, INVITATION_EVENTS } from '#shared/invitations/domain.ts';
import { TAG_REGISTRY_EVENTS } from '#shared/sell-facade/domain.ts';
import type { CrmConfig } from './config/schema.ts';
import type { EventPattern } from '#shared/kernel/event-patterns.ts';
import type { InputTransformer } from './local/eventbridge/input-transformer.ts';
import { automationRules } from './automations.ts';

// Rules on the "crm" bus: the built-in consumers and, from the deployment config, the
// admins' automated actions (F10, infra/automations.ts). The stateless stack makes one EventBridge
// rule per entry; the local bus matches the same patterns with the local matcher and calls
// the same handler modules.

export interface BusRule {
  name: string;
  description: string;
  /** The event pattern; for a rule with side effects it holds `"replay-name": [{"exists": false}]` (see busRule). */
  pattern: EventPattern;
  /** The target Lambda: functions/events/<target>.ts, "crm-<stage>-<target>" in AWS. */
  target: string;
  /**
   * "queue": the rule targets the SQS queue the `target` function consumes (the mail queue),
   * not the function: the queue paces the work and keeps what waits.
   */
  via?: 'queue';
  /**
   * True when the target acts on the world (writes records, calls Cognito, sends mail): it must
   * not act again when an archive replay sends old events, so its pattern refuses replayed ones.
   * False for read-model builders, which a replay rebuilds. Required: no rule can forget it.
   */
  sideEffects: boolean;
  /** What the target gets instead of the event (automations: `{action, event}`); the local bus applies it too. */
  input?: InputTransformer;
  /**
   * `default`: a rule on the account's default bus, where AWS services publish (S3's Object
   * Created, Connect's contact events); the local cloud has one bus for both. Unset: the CRM bus.
   */
  bus?: 'default';
  /** The pattern also matches `detail.bucket.name` against the files bucket's name (known at deploy). */
  filesBucketEvents?: true;
}

/** The rule's pattern with the deployed names it asks for (the files bucket's). */
export function ruleEventPattern(rule: BusRule, names: { filesBucketName: string }): EventPattern {
  if (!rule.filesBucketEvents) return rule.pattern;
  const detail = (rule.pattern.detail ?? {}) as Record<string, unknown>;
  return { ...rule.pattern, detail: { ...detail, bucket: { name: [names.filesBucketName] } } } as EventPattern;
}

/** What S3 sends to EventBridge when an object is created (PutObject, CopyObject, CompleteMultipartUpload...). */
export const S3_OBJECT_CREATED = { source: 'aws.s3', detailType: 'Object Created' } as const;
/** Where presigned uploads land; the upload check's rule matches only these keys. */
export const UPLOAD_PREFIX = 'uploads/';

/** Matches only events that are not replays (EventBridge sets `replay-name` on replayed events). */
export const NOT_REPLAYED = { 'replay-name': [{ exists: false }] } as const satisfies EventPattern;

/** A rule whose pattern refuses replayed events when it has side effects. */
export function busRule(rule: BusRule): BusRule {
  return rule.sideEffects ? { ...rule, pattern: { ...rule.pattern, ...NOT_REPLAYED } } : rule;
}

/** The consumers every deployment has. */
export const builtinRules: readonly BusRule[] = [
  busRule({
    name: 'user-directory-sync',
    description: 'Keeps Cognito (sign-in, groups, enabled) in step with the CRM user records',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...USER_DIRECTORY_EVENTS] },
    target: 'user-directory-sync',
    sideEffects: true,
  }),
  busRule({
    name: 'contact-status',
    description: "Keeps contacts' prospect and customer statuses in step with their deals",
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...CONTACT_STATUS_EVENTS] },
    target: 'contact-status',
    sideEffects: true,
  }),
  busRule({
    // Registered tags are records users rename and delete (/v2/tags): a replay must not bring them back.
    name: 'tag-registry',
    description: "Registers the tags of leads, contacts and deals written through any API in the /v2 facade's tag registry",
    // Only records with at least one tag (a wildcard matches no element of an empty list).
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...TAG_REGISTRY_EVENTS], detail: { data: { tags: [{ wildcard: '*' }] } } },
    target: 'tag-registry',
    sideEffects: true,
  }),
  busRule({
    // A read model: replaying the archive rebuilds the buckets.
    name: 'deal-outcomes',
    description: 'Keeps the won, lost and unqualified counters (daily and monthly buckets) in step with deals and leads',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...OUTCOME_EVENTS] },
    target: 'deal-outcomes',
    sideEffects: false,
  }),
  busRule({
    // A read model: replaying the archive rebuilds the feed.
    name: 'activity-feed',
    description: 'Writes the activity feed (a read model) from lead, contact, deal, note and task events',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...ACTIVITY_EVENTS] },
    target: 'activity-feed',
    sideEffects: false,
  }),
  busRule({
    // Notifying is a side effect: a replay must not notify again.
    name: 'notification-delivery',
    description:
      "Tells the new owner of a lead, deal or task about its assignment, a task's assignee and an appointment's owner and attending users of its reminder, and users about events their notification rules match (web inbox, pending e-mail)",
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...new Set([...NOTIFICATION_EVENTS, ...RULE_EVENTS])] },
    target: 'notification-delivery',
    sideEffects: true,
  }),
  busRule({
    // Mail is the side effect above all: a replayed request must never mail again.
    name: 'mail-requests',
    description:
      "Puts every outgoing mail request (alerts, users' own mail) on the mail queue, which the mail-sender drains at the SES rate",
    pattern: { source: [EVENT_SOURCE], 'detail-type': [MAIL_REQUESTED_EVENT] },
    target: 'mail-sender',
    via: 'queue',
    sideEffects: true,
  }),
  busRule({
    // Counts are deduped per SES event id only while its marker lives (7 days): no replays.
    name: 'email-events',
    description:
      "Keeps sent mail's delivery, opens and clicks, and marks bounced and complaining addresses, from the SES configuration set's events",
    pattern: { source: [SES_EVENT_SOURCE], 'detail-type': [...SES_EVENT_DETAIL_TYPES] },
    target: 'email-events',
    sideEffects: true,
  }),
  busRule({
    // Writes to the user's own mailbox: idempotent (SEARCH before APPEND), but a replay of old
    // sends would file mail the user may have deleted since, so no replays.
    name: 'mailbox-sent-copy',
    description:
      'Files each message a user sent from the CRM in the Sent folder of their connected IMAP mailbox, once SES took it',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [EMAIL_SENT_EVENT] },
    target: 'mailbox-sent-copy',
    sideEffects: true,
  }),
  busRule({
    // Schedules are a view of the tasks and appointments: idempotent by name, decided from the record as it is now
    // (never from the event), and a past reminder is armed only by a change under an hour old,
    // whose reminder_due event id the outbox has seen. So a replay re-arms what is missing and
    // sends nothing twice: it may run.
    name: 'reminder-sync',
    description: "Keeps each task's and appointment's reminder schedule (EventBridge Scheduler) in step with the record",
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...REMINDER_SYNC_EVENTS] },
    target: 'reminder-sync',
    sideEffects: false,
  }),
  busRule({
    // Deletes what breaks the limits: a side effect (S3 events are not archived anyway).
    name: 'document-check',
    description:
      'Checks each upload (real size, sniffed type) and makes its document available, or deletes it and rejects the document',
    pattern: {
      source: [S3_OBJECT_CREATED.source],
      'detail-type': [S3_OBJECT_CREATED.detailType],
      detail: { object: { key: [{ prefix: UPLOAD_PREFIX }] } },
    },
    target: 'document-check',
    sideEffects: true,
    bus: 'default',
    filesBucketEvents: true,
  }),
  busRule({
    // Mails attendees: a replayed appointment event must not invite again.
    name: 'appointment-invitations',
    description: "Plans the invitation mails (REQUEST, update, CANCEL) of each appointment's attendees",
    pattern: { source: [EVENT_SOURCE], 'detail-type': [...INVITATION_EVENTS] },
    target: 'appointment-invitations',
    sideEffects: true,
  }),
  busRule({
    // Records attendees' answers (S3 events are not archived anyway).
    name: 'inbound-mail',
    description:
      'Reads each received mail (SES receipt rule to the files bucket) and dispatches it by content: calendar replies record RSVPs',
    pattern: {
      source: [S3_OBJECT_CREATED.source],
      'detail-type': [S3_OBJECT_CREATED.detailType],
      detail: { object: { key: [{ prefix: INBOUND_PREFIX }] } },
    },
    target: 'inbound-mail',
    sideEffects: true,
    bus: 'default',
    filesBucketEvents: true,
  }),
  busRule({
    // A replayed continuation must not restart work the markers already finished or hold.
    name: 'migrate',
    description: 'Continues the migrations (backfills of read models) a run paused at its deadline',
    pattern: { source: [EVENT_SOURCE], 'detail-type': [MIGRATION_CONTINUE_EVENT] },
    target: 'migrate',
    sideEffects: true,
  }),
];

export const CONNECT_RULE_DESCRIPTION =
  "Logs each finished Amazon Connect voice call of the configured instance (DescribeContact for the customer's number) on the lead or contact with that number";

/**
 * The rule of Amazon Connect's contact events (config connect.instance_arn; none without it): on
 * the default bus, where Connect publishes, DISCONNECTED events of that instance only.
 */
export function connectRules(config: Pick<CrmConfig, 'connect'>): BusRule[] {
  const instanceArn = config.connect?.instance_arn;
  if (!instanceArn) return [];
  return [
    busRule({
      // Logs calls and notifies: a replay must not (and Connect's events are not archived anyway).
      name: 'connect-calls',
      description: CONNECT_RULE_DESCRIPTION,
      pattern: {
        source: [CONNECT_CONTACT_EVENT.source],
        'detail-type': [CONNECT_CONTACT_EVENT.detailType],
        // The channel is checked by the consumer: Connect's data model says VOICE, its samples "Voice".
        detail: { eventType: ['DISCONNECTED'], instanceArn: [instanceArn] },
      },
      target: 'connect-calls',
      sideEffects: true,
      bus: 'default',
    }),
  ];
}

/** The built-in rules, Connect's (when configured), then one per configured automated action (infra/automations.ts). */
export function busRules(config: CrmConfig): BusRule[] {
  return [
    ...builtinRules,
    ...connectRules(config),
    ...automationRules(config).map(({ name, description, pattern, target, sideEffects, input }) =>
      busRule({ name, description, pattern, target, sideEffects, input }),
    ),
  ];
}
