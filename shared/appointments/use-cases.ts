import { ForbiddenError, NotFoundError, ValidationError, type FieldProblem } from '#shared/kernel/errors.ts';
import { changedFields, domainEvent, type DomainEvent } from '#shared/kernel/events.ts';
import { checkAssignee } from '#shared/kernel/ownership.ts';
import type { Call, Page, PageQuery } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { visibleRecordOwner, visibleRecords, type RecordOwners } from '#shared/kernel/record-owners.ts';
import { recordRefKey, type RecordRef, type RelatedRecordType } from '#shared/kernel/related-records.ts';
import { checkIfMatch, updateVersioned } from '#shared/kernel/versioned-update.ts';
import { canChange, canSee, scopeOf } from '#shared/kernel/visibility.ts';
import { taskRecord } from '#shared/tasks/domain.ts';
import {
  needsNewSequence,
  participants,
  remindAt,
  resolveAttendees,
  resolveTimes,
  startRange,
  type Appointment,
  type Attendee,
  type CreateAppointmentInput,
  type UpdateAppointmentInput,
} from './domain.ts';
import type { AppointmentListSource, AppointmentRecordLink, AppointmentRepository } from './ports.ts';

// Appointments (F7.1). Who sees one: whoever sees one of its participants (its owner and its
// user attendees: each of them, their manager, admins; F1.1 applied to a calendar), and whoever
// sees its linked lead, contact or deal. Anyone else gets "not found". Changing or deleting it
// is for whoever may change its owner's records (the owner, their manager, admins); someone who
// only sees it gets 403 appointment.not_changeable. Making someone else the owner follows F8.4.

export interface AppointmentsDeps {
  appointments: AppointmentRepository;
  records: RecordOwners;
}

const resource = (a: Appointment) => ({ resource_type: 'appointment', resource_id: a.id });

const recordOf = (a: Pick<Appointment, 'resource_type' | 'resource_id'>): RecordRef | null =>
  a.resource_type && a.resource_id ? { resource_type: a.resource_type, resource_id: a.resource_id } : null;

/**
 * Whether the principal may see the appointment: through a participant, or through its linked
 * record (one read of the record's owner, only when no participant is in reach).
 */
export async function canSeeAppointment(records: RecordOwners, principal: Principal, appointment: Appointment): Promise<boolean> {
  if (participants(appointment).some((u) => canSee(principal, u))) return true;
  const ref = recordOf(appointment);
  if (!ref) return false;
  const owner = await records.ownerOf(ref.resource_type, ref.resource_id);
  return owner !== undefined && canSee(principal, owner);
}

async function visibleAppointment(deps: AppointmentsDeps, call: Call, id: string): Promise<Appointment> {
  const appointment = await deps.appointments.get(id);
  if (!appointment || !(await canSeeAppointment(deps.records, call.principal, appointment)))
    throw new NotFoundError('appointment', id);
  return appointment;
}

async function changeableAppointment(deps: AppointmentsDeps, call: Call, id: string): Promise<Appointment> {
  const appointment = await visibleAppointment(deps, call, id);
  if (!canChange(call.principal, appointment.owner_id))
    throw new ForbiddenError(`Only the owner of appointment ${id}, their manager or an admin change it`, {
      code: 'appointment.not_changeable',
    });
  return appointment;
}

async function linkTo(deps: AppointmentsDeps, call: Call, ref: RecordRef | null): Promise<AppointmentRecordLink | null> {
  if (!ref) return null;
  return { ref, ownerId: await visibleRecordOwner(deps.records, call.principal, ref) };
}

/** Lead and contact attendees new to the list must be records the caller sees (one batch read). */
async function checkRecordAttendees(deps: AppointmentsDeps, call: Call, before: readonly Attendee[], after: readonly Attendee[]) {
  const known = new Set(before.filter((a) => a.type !== 'email').map((a) => `${a.type}#${a.id}`));
  const added = after
    .map((a, i) => ({ a, i }))
    .filter(({ a }) => (a.type === 'lead' || a.type === 'contact') && !known.has(`${a.type}#${a.id}`));
  if (added.length === 0) return;
  const refs = added.map(({ a }) => ({ resource_type: a.type as RelatedRecordType, resource_id: a.id as string }));
  const visible = await visibleRecords(deps.records, call.principal, refs);
  const problems: FieldProblem[] = added
    .filter(({ a }) => !visible.has(`${a.type}#${a.id}`))
    .map(({ a, i }) => ({ field: `body.attendees.${i}`, message: `no ${a.type} ${a.id}`, code: 'unknown_reference' }));
  if (problems.length > 0) throw new ValidationError(problems);
}

export async function getAppointment(deps: AppointmentsDeps, call: Call, id: string): Promise<Appointment> {
  return visibleAppointment(deps, call, id);
}

export async function createAppointment(deps: AppointmentsDeps, call: Call, input: CreateAppointmentInput): Promise<Appointment> {
  const owner = input.owner_id ?? call.principal.user_id;
  checkAssignee(call.principal, owner, 'appointment');
  const times = resolveTimes(null, input);
  const attendees = resolveAttendees([], input.attendees ?? []);
  const ref = taskRecord({ resource_type: null, resource_id: null }, input);
  const [link] = await Promise.all([linkTo(deps, call, ref), checkRecordAttendees(deps, call, [], attendees)]);
  const now = call.events.now.toISOString();
  const reminder = input.reminder ?? null;
  const appointment: Appointment = {
    id: call.events.newId(),
    name: input.name,
    description: input.description ?? null,
    location: input.location ?? null,
    ...times,
    owner_id: owner,
    creator_id: call.principal.user_id,
    attendees,
    resource_type: ref?.resource_type ?? null,
    resource_id: ref?.resource_id ?? null,
    reminder,
    remind_at: remindAt(times.start_at, reminder),
    sequence: 0,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.appointments.create(appointment, link, [
    domainEvent(call.events, 'appointment.created', resource(appointment), appointment),
  ]);
  return appointment;
}

export async function updateAppointment(
  deps: AppointmentsDeps,
  call: Call,
  id: string,
  patch: UpdateAppointmentInput,
  ifMatch?: number,
): Promise<Appointment> {
  return updateVersioned({
    resource: 'appointment',
    id,
    ifMatch,
    load: () => changeableAppointment(deps, call, id),
    reload: () => deps.appointments.get(id),
    apply: (before) => applyPatch(deps, call, before, patch),
  });
}

async function applyPatch(
  deps: AppointmentsDeps,
  call: Call,
  before: Appointment,
  patch: UpdateAppointmentInput,
): Promise<Appointment> {
  const after: Appointment = { ...before, ...resolveTimes(before, patch) };
  if (patch.name !== undefined) after.name = patch.name;
  if (patch.description !== undefined) after.description = patch.description;
  if (patch.location !== undefined) after.location = patch.location;
  if (patch.owner_id !== undefined) after.owner_id = patch.owner_id;
  if (after.owner_id !== before.owner_id) checkAssignee(call.principal, after.owner_id, 'appointment');
  if (patch.attendees !== undefined) after.attendees = resolveAttendees(before.attendees, patch.attendees);

  const ref = taskRecord(before, patch);
  after.resource_type = ref?.resource_type ?? null;
  after.resource_id = ref?.resource_id ?? null;
  const relinked = ref !== null && (!before.resource_id || recordRefKey(ref) !== `${before.resource_type}#${before.resource_id}`);
  const [link] = await Promise.all([
    relinked ? linkTo(deps, call, ref) : null,
    checkRecordAttendees(deps, call, before.attendees, after.attendees),
  ]);

  if (patch.reminder !== undefined) after.reminder = patch.reminder;
  after.remind_at = remindAt(after.start_at, after.reminder);

  const previous = changedFields(before, after);
  if (Object.keys(previous).length === 0) return before;
  if (needsNewSequence(before, after)) {
    after.sequence = before.sequence + 1;
    previous.sequence = before.sequence;
  }
  after.updated_at = call.events.now.toISOString();
  after.version = before.version + 1;
  const events: DomainEvent[] = [domainEvent(call.events, 'appointment.updated', resource(after), after, { previous })];
  await deps.appointments.update(before, after, link, events);
  return after;
}

export async function deleteAppointment(deps: AppointmentsDeps, call: Call, id: string, ifMatch?: number): Promise<void> {
  const appointment = await changeableAppointment(deps, call, id);
  await checkIfMatch('appointment', id, appointment, ifMatch);
  await deps.appointments.delete(appointment, [
    domainEvent(call.events, 'appointment.deleted', resource(appointment), appointment),
  ]);
}

export interface AppointmentFilters extends PageQuery {
  /** Inclusive bounds on the start (date-times with offset); at most RANGE_MAX_DAYS apart. */
  start_from?: string | undefined;
  start_to?: string | undefined;
}

export interface AppointmentListRequest extends AppointmentFilters {
  /** A user's calendar: the appointments they own or attend. */
  attendee_id?: string | undefined;
  resource_type?: RelatedRecordType | undefined;
  resource_id?: string | undefined;
}

/**
 * GET /appointments, in start order: a record's (resource_type and resource_id), a user's
 * calendar (attendee_id: a user in the caller's scope, else an empty list), or by default
 * the calendars of every user in the caller's scope (an admin: every appointment). Those
 * default lists do not hold appointments the caller sees only through a linked record: the
 * record's list does.
 */
export async function listAppointments(
  deps: AppointmentsDeps,
  call: Call,
  request: AppointmentListRequest,
): Promise<Page<Appointment>> {
  const { resource_type, resource_id, attendee_id, ...rest } = request;
  if (resource_type !== undefined || resource_id !== undefined) {
    if (resource_type === undefined)
      throw ValidationError.field('query.resource_type', 'is required with resource_id', { fieldCode: 'required' });
    if (resource_id === undefined)
      throw ValidationError.field('query.resource_id', 'is required with resource_type', { fieldCode: 'required' });
    if (attendee_id !== undefined)
      throw ValidationError.field('query.attendee_id', 'give either attendee_id or a record, not both');
    return listRecordAppointments(deps, call, { resource_type, resource_id }, rest);
  }
  const scope = scopeOf(call.principal);
  let source: AppointmentListSource;
  if (attendee_id !== undefined) {
    // Asking for a calendar out of reach yields nothing rather than an error (as owner filters do).
    if (!canSee(call.principal, attendee_id)) return { items: [], next_cursor: null };
    source = { kind: 'calendars', users: [attendee_id] };
  } else source = scope.kind === 'all' ? { kind: 'all' } : { kind: 'calendars', users: scope.owner_ids };
  return list(deps, source, rest);
}

/** A record's appointments (record pages), once the caller is known to see the record. */
export async function listRecordAppointments(
  deps: AppointmentsDeps,
  call: Call,
  ref: RecordRef,
  request: AppointmentFilters,
): Promise<Page<Appointment>> {
  const range = startRange(request.start_from, request.start_to);
  await visibleRecordOwner(deps.records, call.principal, ref);
  return deps.appointments.list({ source: { kind: 'record', record: ref }, range }, page(request));
}

const page = (request: PageQuery): PageQuery => ({ limit: request.limit, cursor: request.cursor });

async function list(
  deps: AppointmentsDeps,
  source: AppointmentListSource,
  request: AppointmentFilters,
): Promise<Page<Appointment>> {
  const range = startRange(request.start_from, request.start_to);
  return deps.appointments.list({ source, range }, page(request));
}

/**
 * The dashboard's panel: the caller's own calendar (owned or attended) from now on, in start
 * order, at most `limit`; `more` when there are further ones. One Query.
 */
export async function upcomingAppointments(
  deps: AppointmentsDeps,
  call: Call,
  limit: number,
): Promise<{ items: Appointment[]; more: boolean }> {
  const result = await list(
    deps,
    { kind: 'calendars', users: [call.principal.user_id] },
    {
      start_from: call.events.now.toISOString(),
      limit,
    },
  );
  return { items: result.items, more: result.next_cursor !== null };
}
