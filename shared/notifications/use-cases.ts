import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Call, Clock, Page, PageQuery } from '#shared/kernel/ports.ts';
import {
  groupIdOf,
  JOB_FINISHED_EVENTS,
  jobDeliveryKey,
  jobItem,
  notificationsOf,
  settingsOf,
  wantsEmail,
  wantsWeb,
  type Notification,
  type NotificationChannel,
  type NotificationDraft,
  type NotificationKind,
  type NotificationSetting,
  type NotifiedJob,
  type UserChannels,
  type UserPush,
  NOT_CONFIGURED_SETTINGS_CHANNELS,
} from './domain.ts';
import type { CurrentOwners, LiveUpdates, NotificationStore, UnconfiguredChannels } from './ports.ts';

// Notifications: written by a bus consumer (notify), read and marked by their recipient only.
// Nobody reads another user's inbox, whatever their role: every route acts on the caller's own.

export interface NotificationDeps {
  store: NotificationStore;
  owners: CurrentOwners;
  /** The deployment's defaults per kind (config notifications.defaults over the built-in ones). */
  defaults: Record<NotificationKind, NotificationChannel>;
  /** Where deliveries asking for push (not configured yet) are reported. */
  unconfigured: UnconfiguredChannels;
  clock: Clock;
  /** The recipient's open clients (functions with the WebSocket management grant); none: no push. */
  live?: LiveUpdates;
}

export type NotifyOutcome = 'none' | 'off' | 'not_visible' | 'written' | 'duplicate';

/**
 * Consumes one event: tells each recipient (notificationsOf: a record's new owner, a task's
 * assignee, an appointment's owner and attending users), on the channels they chose for the
 * kind, provided they still own the record or attend the appointment (an assignment undone
 * before delivery tells nobody, and no one learns of a record they may not see). Idempotent per
 * (recipient, event_id). Push (a per-kind flag, not configured yet) is reported through
 * `unconfigured`, never dropped silently.
 * @returns the one recipient's outcome; for several, 'written' when any was written, else the first's
 * @throws when DynamoDB fails (the bus retries)
 */
export async function notify(deps: Omit<NotificationDeps, 'clock'>, event: DomainEvent): Promise<NotifyOutcome> {
  const drafts = notificationsOf(event);
  const outcomes: NotifyOutcome[] = [];
  for (const draft of drafts) outcomes.push(await notifyOne(deps, draft));
  // A job's end tells its records' recipients: one item and at most one e-mail each.
  const jobType = JOB_FINISHED_EVENTS[event.metadata.event_type];
  if (jobType) {
    const job = { type: jobType, id: event.metadata.resource_id };
    await deps.store.finishJob(job);
    await tellJob(deps, job);
  }
  if (outcomes.length === 0) return 'none';
  return outcomes.includes('written') ? 'written' : outcomes[0]!;
}

async function notifyOne(
  deps: Omit<NotificationDeps, 'clock'>,
  draft: NotificationDraft & { kind: NotificationKind },
): Promise<NotifyOutcome> {
  if (draft.job && !draft.rule) return tallyJobRecord(deps, draft);
  const chosen = await deps.store.settings(draft.recipient_id);
  const channel = chosen.channels[draft.kind] ?? deps.defaults[draft.kind];
  const push = chosen.push[draft.kind] === true;
  if (channel === 'off' && !push) return 'off';
  if (!(await stillConcerned(deps.owners, draft))) return 'not_visible';
  if (push) deps.unconfigured.report('push', draft);
  if (channel === 'off') return 'off';
  const web = wantsWeb(channel);
  const outcome = await deps.store.deliver(draft, { web, email: wantsEmail(channel) });
  // Best effort, after the commit: the inbox is the source of truth (a client refetches it on
  // reconnect), and a redelivery would find the item written and push nothing.
  if (outcome === 'written' && web) await deps.live?.notificationWritten(draft.recipient_id, groupIdOf(draft));
  return outcome;
}

/**
 * A job's record (an import's, a bulk operation's): counted for its recipient while the job
 * runs, told when it finishes (tellJob), so a 100,000-row import writes no inbox item per row.
 * One delivered after the job's end brings the recipient's item up to the count at once.
 */
async function tallyJobRecord(deps: Omit<NotificationDeps, 'clock'>, draft: NotificationDraft): Promise<NotifyOutcome> {
  if (!(await stillConcerned(deps.owners, draft))) return 'not_visible';
  const { outcome, finished } = await deps.store.tallyJobRecord(draft);
  if (finished) await tellJob(deps, draft.job!, draft.recipient_id);
  return outcome;
}

/**
 * Tells each recipient of the job's records (or only `recipientId`) on the channels they chose
 * for the kind, as they are now: one inbox item counting the records, and at most one e-mail.
 */
async function tellJob(deps: Omit<NotificationDeps, 'clock'>, job: NotifiedJob, recipientId?: string): Promise<void> {
  for (const summary of await deps.store.jobSummaries(job, recipientId)) {
    const chosen = await deps.store.settings(summary.recipient_id);
    const channel = chosen.channels[summary.kind] ?? deps.defaults[summary.kind];
    if (chosen.push[summary.kind] === true) {
      deps.unconfigured.report('push', {
        recipient_id: summary.recipient_id,
        kind: summary.kind,
        actor_id: summary.actor_id,
        event_id: jobDeliveryKey(job),
        occurred_at: summary.last_at,
        record: summary.records[0]!,
        job,
      });
    }
    if (channel === 'off') continue;
    const web = wantsWeb(channel);
    const told = await deps.store.tellJob(job, summary, { web, email: wantsEmail(channel) });
    if (told === 'written' && web) await deps.live?.notificationWritten(summary.recipient_id, jobItem(job, summary).id);
  }
}

/** Whether the recipient still owns the record (or, for an appointment, still takes part in it). */
async function stillConcerned(owners: CurrentOwners, draft: NotificationDraft): Promise<boolean> {
  if (draft.record.type === 'appointment') {
    return (await owners.participantsOf(draft.record.id))?.includes(draft.recipient_id) === true;
  }
  return (await owners.ownerOf(draft.record.type, draft.record.id)) === draft.recipient_id;
}

/** GET /notifications: the caller's items, newest first, with their unread count. */
export async function listNotifications(
  deps: NotificationDeps,
  call: Call,
  query: PageQuery & { unread?: boolean | undefined },
): Promise<Page<Notification> & { unread_count: number }> {
  const userId = call.principal.user_id;
  // The count is read after the page (a consistent read), never beside it: an item the page
  // shows was committed with its count change, so the count already includes it.
  const page = await deps.store.list(userId, query);
  const unread_count = await deps.store.unreadCount(userId);
  return { ...page, unread_count };
}

/**
 * POST /notifications/{id}/read and /archive: idempotent; an id naming none of the caller's
 * items changes nothing (the answer is the same, so nothing about other inboxes shows).
 */
export async function changeNotification(
  deps: NotificationDeps,
  call: Call,
  id: string,
  change: 'read' | 'archive',
): Promise<{ unread_count: number }> {
  const userId = call.principal.user_id;
  const changed = await deps.store.update(userId, id, change, deps.clock.now().toISOString());
  const unread_count = await deps.store.unreadCount(userId);
  // The caller's other tabs show the new count (best effort; never throws).
  if (changed) await deps.live?.unreadCountChanged(userId, unread_count);
  return { unread_count };
}

/** Items POST /notifications/read_all marks per call (one transaction: DynamoDB takes 100 writes). */
export const READ_ALL_MAX = 99;

/**
 * POST /notifications/read_all: marks the newest READ_ALL_MAX unread items read; `more` says
 * unread items remain (the client calls again). Bounded so one call is one transaction.
 */
export async function readAllNotifications(
  deps: NotificationDeps,
  call: Call,
): Promise<{ marked: number; more: boolean; unread_count: number }> {
  const userId = call.principal.user_id;
  const done = await deps.store.readSome(userId, READ_ALL_MAX, deps.clock.now().toISOString());
  const unread_count = await deps.store.unreadCount(userId);
  if (done.marked > 0) await deps.live?.unreadCountChanged(userId, unread_count);
  return { ...done, unread_count };
}

/** The settings' answer: every kind, and the channels that deliver nothing yet. */
export interface SettingsView {
  items: NotificationSetting[];
  not_configured: (typeof NOT_CONFIGURED_SETTINGS_CHANNELS)[number][];
}

/** GET /notification_settings: every kind with the caller's channel and push choice. */
export async function getNotificationSettings(deps: NotificationDeps, call: Call): Promise<SettingsView> {
  const { channels, push } = await deps.store.settings(call.principal.user_id);
  return { items: settingsOf(channels, deps.defaults, push), not_configured: [...NOT_CONFIGURED_SETTINGS_CHANNELS] };
}

/** PUT /notification_settings: sets the kinds given (the others keep their channel). */
export async function putNotificationSettings(
  deps: NotificationDeps,
  call: Call,
  chosen: UserChannels,
  push: UserPush = {},
): Promise<SettingsView> {
  const stored = await deps.store.setSettings(call.principal.user_id, { channels: chosen, push });
  return {
    items: settingsOf(stored.channels, deps.defaults, stored.push),
    not_configured: [...NOT_CONFIGURED_SETTINGS_CHANNELS],
  };
}
