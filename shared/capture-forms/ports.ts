import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { CaptureForm, FormStats, RejectionReason } from './domain.ts';

/** Forms, their counters (accepted, rejected per reason, round-robin turns) and the throttle. */
export interface CaptureFormRepository {
  get(id: string): Promise<CaptureForm | undefined>;
  list(query: PageQuery): Promise<Page<CaptureForm>>;
  create(form: CaptureForm, events: DomainEvent[]): Promise<void>;
  /** Fails with VersionMismatchError when `before` is stale. */
  update(before: CaptureForm, after: CaptureForm, events: DomainEvent[]): Promise<void>;
  delete(form: CaptureForm, events: DomainEvent[]): Promise<void>;
  stats(id: string): Promise<FormStats>;
  /** The counters of several forms at once (one batch read), by form id. */
  statsOf(ids: readonly string[]): Promise<Map<string, FormStats>>;
  countAccepted(id: string): Promise<void>;
  countRejected(id: string, reason: RejectionReason): Promise<void>;
  /** The form's next round-robin turn (1, 2, 3...): an atomic counter. */
  nextTurn(id: string): Promise<number>;
  /**
   * Counts one submission of `address` to the form in the window starting at `windowStart`
   * (epoch seconds) and answers the count so far; the counter expires after the window.
   */
  countAddress(id: string, address: string, windowStart: number): Promise<number>;
}

/** The secrets form tokens are signed with: the current one signs, all verify (rotation). */
export interface FormTokenKeys {
  keys(): Promise<{ current: Buffer; all: Buffer[] }>;
}

/** Who a team's round-robin may give a lead to. */
export interface TeamMembers {
  /** Ids of the team's active members (empty for an unknown team). */
  activeMemberIds(teamId: string): Promise<string[]>;
  /** Whether the user exists and is active. */
  isActiveUser(userId: string): Promise<boolean>;
  teamExists(teamId: string): Promise<boolean>;
}
