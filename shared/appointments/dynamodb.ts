import { domainEvent, type DomainEvent, type EventContext } from '#shared/kernel/events.ts';
import type { Page, PageQuery } from '#shared/kernel/ports.ts';
import type { RecordRef } from '#shared/kernel/related-records.ts';
import { appointmentOrderKey, moveAppointment, participants, unlinkAppointment, type Appointment } from './domain.ts';
import type { AppointmentListQuery, AppointmentRecordLink, AppointmentRepository } from './ports.ts';
import { recordPartitions } from '#shared/platform/dynamodb/keys.ts';
import { indexKeys, indexPartition, indexPartitions, tableKeys } from '#shared/platform/dynamodb/partitions.ts';
import { recordOwnerCheck } from '#shared/platform/dynamodb/record-owners.ts';
import { activeUserCheck, GATHER_MAX, type Detachment } from '#shared/platform/dynamodb/reference-checks.ts';
import { INDEX } from '#shared/platform/dynamodb/table-spec.ts';
import {
  fromItem,
  type Item,
  type ItemKeys,
  type Key,
  type PageRequest,
  type Table,
  type WriteOp,
} from '#shared/platform/dynamodb/table.ts';
import {
  versionedDelete,
  versionedReplace,
  VersionedRepository,
  type VersionedKind,
} from '#shared/platform/dynamodb/versioned.ts';

// Appointments on the single table. The appointment is one item ("appointment#<id>" /
// "appointment"), in everyone's collection (gsi2) and its record's (gsi3). Each participant
// (the owner and every user attendee) has a calendar entry in the same partition
// ("appointment#<id>" / "calendar#<user>"): a copy of the appointment in that user's calendar
// (gsi1 "appointment#<user>"), so a calendar is one Query with no reads behind it. Every list
// sorts by "<start UTC>#<id>" (appointmentOrderKey), so a start range is a key range.
//
// A list over several calendars (a manager's team) would meet an appointment once per
// participant in it: each entry carries `_before`, the participants listed before its user,
// and the list keeps only the entry of the first participant in its calendars.

export const appointmentKey = tableKeys<[id: string]>('appointment', 'appointment');
const APPOINTMENT: VersionedKind<Appointment> = { name: 'appointment', key: appointmentKey };

/** The partitions appointment lists read. */
export const appointmentIndex = {
  /** A user's calendar (entries): "appointment#<user>". */
  calendar: indexPartitions<[userId: string]>(INDEX.owner, 'appointment'),
  /** Everyone's (admins). */
  all: indexPartition(INDEX.all, 'appointment'),
  /** A record's: "<type>#<id>#appointment". */
  byRecord: recordPartitions(INDEX.relation, '#appointment'),
};

const ENTRY_PREFIX = 'calendar#';
const entryKey = (id: string, userId: string): Key => ({ pk: appointmentKey(id).pk, sk: `${ENTRY_PREFIX}${userId}` });

function appointmentItem(appointment: Appointment): Item & ItemKeys {
  const ref = appointment.resource_type && appointment.resource_id ? appointment : null;
  const keys = indexKeys(
    appointmentOrderKey(appointment),
    appointmentIndex.all(),
    ref ? appointmentIndex.byRecord({ resource_type: ref.resource_type!, resource_id: ref.resource_id! }) : null,
  );
  return { ...appointmentKey(appointment.id), ...keys, kind: 'appointment', ...appointment };
}

function entryItems(appointment: Appointment): (Item & ItemKeys)[] {
  const users = participants(appointment);
  return users.map((user, i) => ({
    ...entryKey(appointment.id, user),
    ...indexKeys(appointmentOrderKey(appointment), appointmentIndex.calendar(user)),
    kind: 'appointment_entry',
    ...appointment,
    _before: users.slice(0, i),
  }));
}

/** The writes that put `after` (and its entries) in place of `before` (null: a new one), version-checked. */
function replaceOps(before: Appointment, after: Appointment): WriteOp[] {
  const kept = new Set(participants(after));
  return [
    versionedReplace(APPOINTMENT, before, appointmentItem(after)),
    ...entryItems(after).map((item): WriteOp => ({ type: 'put', item })),
    ...participants(before)
      .filter((u) => !kept.has(u))
      .map((u): WriteOp => ({ type: 'remove', key: entryKey(before.id, u) })),
  ];
}

/**
 * Lead conversion: the writes that re-point an appointment to another record inside the
 * caller's transaction (the appointment and each participant's entry), conditional on its
 * version. `at` sets updated_at (unchanged without it).
 */
export function appointmentMoveOps(appointment: Appointment, to: RecordRef, at?: string): WriteOp[] {
  return replaceOps(appointment, moveAppointment(appointment, to, at));
}

/**
 * Deleting a lead, contact or deal unlinks its appointments (they stay in their participants'
 * calendars; README "What deleting a record does to what points at it"): up to GATHER_MAX a
 * call, each with its appointment.updated event.
 */
export async function appointmentDetachments(table: Table, ref: RecordRef, ctx: EventContext): Promise<Detachment[]> {
  const { items } = await table.collect({ partitions: [appointmentIndex.byRecord(ref)], order: 'asc' }, GATHER_MAX);
  return items.map((item) => {
    const before = fromItem<Appointment>(item);
    const after = unlinkAppointment(before, ctx.now.toISOString());
    return {
      key: `appointment#${before.id}`,
      ops: replaceOps(before, after),
      event: domainEvent(ctx, 'appointment.updated', { resource_type: 'appointment', resource_id: before.id }, after, {
        previous: { resource_type: before.resource_type, resource_id: before.resource_id, updated_at: before.updated_at },
      }),
    };
  });
}

export class DynamoAppointmentRepository extends VersionedRepository<Appointment> implements AppointmentRepository {
  protected readonly kind = APPOINTMENT;

  async create(appointment: Appointment, link: AppointmentRecordLink | null, events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        { type: 'create', item: appointmentItem(appointment) },
        ...entryItems(appointment).map((item): WriteOp => ({ type: 'put', item })),
        activeUserCheck(appointment.owner_id),
        ...attendeeChecks(appointment, new Set([appointment.owner_id])),
        ...(link ? [recordOwnerCheck(link.ref, link.ownerId)] : []),
      ],
      events,
    );
  }

  async update(
    before: Appointment,
    after: Appointment,
    link: AppointmentRecordLink | null,
    events: DomainEvent[],
  ): Promise<void> {
    const known = new Set(participants(before));
    await this.table.write(
      [
        ...replaceOps(before, after),
        ...(known.has(after.owner_id) ? [] : [activeUserCheck(after.owner_id)]),
        ...attendeeChecks(after, new Set([...known, after.owner_id])),
        ...(link ? [recordOwnerCheck(link.ref, link.ownerId)] : []),
      ],
      events,
    );
  }

  async delete(appointment: Appointment, events: DomainEvent[]): Promise<void> {
    await this.table.write(
      [
        versionedDelete(APPOINTMENT, appointment),
        ...participants(appointment).map((u): WriteOp => ({ type: 'remove', key: entryKey(appointment.id, u) })),
      ],
      events,
    );
  }

  async list(query: AppointmentListQuery, page: PageQuery): Promise<Page<Appointment>> {
    const request = plan(query);
    if (!request) return { items: [], next_cursor: null };
    const result = await this.table.page({ ...request, limit: page.limit, cursor: page.cursor, order: 'asc' });
    return { items: result.items.map((i) => fromItem<Appointment>(i)), next_cursor: result.next_cursor };
  }

  async appointmentsOf(ref: RecordRef, limit: number): Promise<{ items: Appointment[]; truncated: boolean }> {
    const result = await this.table.collect({ partitions: [appointmentIndex.byRecord(ref)], order: 'asc' }, limit);
    return { items: result.items.map((i) => fromItem<Appointment>(i)), truncated: result.truncated };
  }
}

/** User attendees not in `known` must be active users (body.attendees.<i>). */
function attendeeChecks(appointment: Appointment, known: ReadonlySet<string>): WriteOp[] {
  const checked = new Set(known);
  const ops: WriteOp[] = [];
  appointment.attendees.forEach((a, i) => {
    if (a.type !== 'user' || !a.id || checked.has(a.id)) return;
    checked.add(a.id);
    ops.push(activeUserCheck(a.id, `body.attendees.${i}.id`));
  });
  return ops;
}

/** Which partitions and key range a list reads; null: nothing. */
function plan(query: AppointmentListQuery): Omit<PageRequest, 'limit' | 'cursor'> | null {
  const skBetween = query.range;
  const { source } = query;
  if (source.kind === 'all') return { partitions: [{ ...appointmentIndex.all(), skBetween }] };
  if (source.kind === 'record') return { partitions: [{ ...appointmentIndex.byRecord(source.record), skBetween }] };
  const users = [...new Set(source.users)];
  if (users.length === 0) return null;
  const partitions = users.map((u) => ({ ...appointmentIndex.calendar(u), skBetween }));
  if (users.length === 1) return { partitions };
  // Keep an entry only when no user listed before its own is among these calendars. One term
  // per calendar: a manager's scope (themself and direct reports) stays far below the 4 KB limit
  // of an expression (~120 calendars).
  const values: Record<string, string> = {};
  const terms = users.map((u, i) => ((values[`:u${i}`] = u), `NOT contains(#before, :u${i})`));
  return { partitions, filter: { expression: terms.join(' AND '), names: { '#before': '_before' }, values } };
}
