import type { DomainEvent } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import type { Appointment } from './domain.ts';

/** The record an appointment write links to, with the owner the caller was allowed to see. */
export interface AppointmentRecordLink {
  ref: RecordRef;
  ownerId: string;
}

/** Which appointments a list reads; every list is in start order, within `range`. */
export type AppointmentListSource =
  /** Everyone's (admins). */
  | { kind: 'all' }
  /**
   * The calendars of these users (owned or attended), each appointment once even when several
   * of them take part.
   */
  | { kind: 'calendars'; users: readonly string[] }
  /** One record's (the caller sees the record). */
  | { kind: 'record'; record: RecordRef };

export interface AppointmentListQuery {
  source: AppointmentListSource;
  /** Sort key bounds, both inclusive (domain startRange). */
  range: [string, string];
}

export interface AppointmentRepository {
  get(id: string): Promise<Appointment | undefined>;
  /**
   * Writes the appointment, its participants' calendar entries and its events. The owner and
   * every user attendee must be active users (ValidationError), and a linked record must still
   * have the owner the caller saw.
   */
  create(appointment: Appointment, link: AppointmentRecordLink | null, events: DomainEvent[]): Promise<void>;
  /** Conditional on `before.version`; `link` is a newly linked record; new users are checked. */
  update(before: Appointment, after: Appointment, link: AppointmentRecordLink | null, events: DomainEvent[]): Promise<void>;
  delete(appointment: Appointment, events: DomainEvent[]): Promise<void>;
  /** A page in start order (keyset paging; bounded reads per call). */
  list(query: AppointmentListQuery, page: PageQuery): Promise<Page<Appointment>>;
  /** Every appointment of a record, up to `limit` (lead conversion moves them all). */
  appointmentsOf(ref: RecordRef, limit: number): Promise<{ items: Appointment[]; truncated: boolean }>;
}
