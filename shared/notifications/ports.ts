import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type {
  JobSummary,
  Notification,
  NotificationDraft,
  NotifiedJob,
  NotifiedRecordType,
  UserChannels,
  UserPush,
} from './domain.ts';

/** The outcome of delivering one event to one recipient. */
export type DeliverOutcome = 'written' | 'duplicate';

/** One user's inbox: its items, their unread count and the event ids delivered to it. */
export interface NotificationStore {
  /**
   * Groups the draft into its item (web) and/or records its email as pending (email), unless
   * the draft's event was delivered to this recipient before ('duplicate'). The item, its
   * unread count and the event's marker are written in one transaction, conditional on the
   * item being as read, and retried when a concurrent delivery changed it.
   */
  deliver(draft: NotificationDraft, channels: { web: boolean; email: boolean }): Promise<DeliverOutcome>;
  /**
   * Counts a job's record (a draft with `job`) in the job's tally for its recipient and kind,
   * once per delivery key (a redelivery is 'duplicate'), touching no inbox item: a job's
   * thousands of records written at once share no hot item. `finished`: the job's end was
   * already handled, so the caller brings the recipient's item up to the tally (tellJob).
   */
  tallyJobRecord(draft: NotificationDraft): Promise<{ outcome: DeliverOutcome; finished: boolean }>;
  /** Marks the job finished (idempotent): records counted from now on are told at once. */
  finishJob(job: NotifiedJob): Promise<void>;
  /** The job's tallies summed per recipient and kind (one Query; `recipientId`: theirs only). */
  jobSummaries(job: NotifiedJob, recipientId?: string): Promise<JobSummary[]>;
  /**
   * Tells the summary's recipient on the channels given: web, the job's one inbox item (made
   * unread with the unread count, or, when it exists, raised to the summary's count, never
   * lowered); email, the job's one pending e-mail and its mail request, written once ever.
   * @returns 'written' when the item was made or raised, or the e-mail requested; else 'unchanged'
   */
  tellJob(job: NotifiedJob, summary: JobSummary, channels: { web: boolean; email: boolean }): Promise<'written' | 'unchanged'>;
  /** The recipient's items newest first (not archived; `unread`: only unread), one Query. */
  list(userId: string, query: PageQuery & { unread?: boolean | undefined }): Promise<Page<Notification>>;
  /** One of the recipient's items (one GetItem); undefined when there is none of that id. */
  get(userId: string, id: string): Promise<Notification | undefined>;
  /** The recipient's unread count (one GetItem). */
  unreadCount(userId: string): Promise<number>;
  /** Marks one item read (or archived, which also reads it); false when the user has no such item. */
  update(userId: string, id: string, change: 'read' | 'archive', at: string): Promise<boolean>;
  /**
   * Marks up to `max` of the newest unread items read in one transaction.
   * @returns how many were marked, and whether unread items remain
   */
  readSome(userId: string, max: number, at: string): Promise<{ marked: number; more: boolean }>;
  /** The user's own choices per kind (empty when they never chose). */
  channels(userId: string): Promise<UserChannels>;
  /** Stores the user's choices (merged into the ones stored). */
  setChannels(userId: string, chosen: UserChannels): Promise<UserChannels>;
  /** The user's channel and push choices (one GetItem of the settings). */
  settings(userId: string): Promise<{ channels: UserChannels; push: UserPush }>;
  /** Stores channel and push choices (merged into the ones stored) in one write. */
  setSettings(
    userId: string,
    change: { channels: UserChannels; push: UserPush },
  ): Promise<{ channels: UserChannels; push: UserPush }>;
}

/** Told about every delivery asking for a channel that delivers nothing yet (push): logged and counted. */
export interface UnconfiguredChannels {
  report(channel: 'push', draft: NotificationDraft): void;
}

/** Who owns a record now, and who may be told about it. */
export interface CurrentOwners {
  /** The lead's, deal's, task's, contact's or appointment's owner now (undefined: no such record). */
  ownerOf(type: NotifiedRecordType, id: string): Promise<string | undefined>;
  /** An appointment's owner and user attendees now (undefined: no such appointment). */
  participantsOf(appointmentId: string): Promise<string[] | undefined>;
}

/**
 * The recipient's open clients (live delivery, shared/live), told after the inbox commit.
 * Best effort: never throws (the inbox is the source of truth; clients refetch on reconnect).
 */
export interface LiveUpdates {
  /** Item `id` was written or grouped into: pushes it with the unread count. */
  notificationWritten(userId: string, id: string): Promise<void>;
  /** The unread count is now `unreadCount` (read, read all, archive). */
  unreadCountChanged(userId: string, unreadCount: number): Promise<void>;
}
