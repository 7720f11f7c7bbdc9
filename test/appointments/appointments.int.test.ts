import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoAppointmentRepository } from '#shared/appointments/dynamodb.ts';
import type { Appointment } from '#shared/appointments/domain.ts';
import type { AppointmentRecordLink } from '#shared/appointments/ports.ts';
import {
  createAppointment,
  deleteAppointment,
  getAppointment,
  listAppointments,
  listRecordAppointments,
  updateAppointment,
  upcomingAppointments,
  type AppointmentListRequest,
  type AppointmentsDeps,
} from '#shared/appointments/use-cases.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/kernel/errors.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { type Clock } from '#shared/kernel/ports.ts';
import type { RelatedRecordType } from '#shared/kernel/related-records.ts';
import { DynamoRecordOwners } from '#shared/platform/dynamodb/record-owners.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import { fieldsOf, rejection } from '#test/helpers/fakes.ts';
import { putOrgUsers, putOwnedRecord, testOrg, type Who } from '#test/helpers/org.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';

// Appointments against DynamoDB Local, through the use cases with a fixed clock: the store
// (appointment and calendar entries in one write), who sees and who changes one, the lists
// (start range, calendar, record, a team's calendars each appointment once) with keyset paging
// and their request counts.

let table: Table;
let deps: AppointmentsDeps;
let repo: CapturingAppointments;
const meter = new CountingMeter();

const org = testOrg();
const { ids } = org;
const now = new Date('2026-06-15T12:00:00.000Z');
const clock: Clock = { now: () => now };
const call = (who: Who) => org.call(who, clock);

class CapturingAppointments extends DynamoAppointmentRepository {
  readonly events: DomainEvent[] = [];
  override async create(a: Appointment, link: AppointmentRecordLink | null, events: DomainEvent[]) {
    this.events.push(...events);
    return super.create(a, link, events);
  }
  override async update(before: Appointment, after: Appointment, link: AppointmentRecordLink | null, events: DomainEvent[]) {
    this.events.push(...events);
    return super.update(before, after, link, events);
  }
  override async delete(a: Appointment, events: DomainEvent[]) {
    this.events.push(...events);
    return super.delete(a, events);
  }
}

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  repo = new CapturingAppointments(table);
  deps = { appointments: repo, records: new DynamoRecordOwners(table) };
  await putOrgUsers(table, org);
});

const record = (type: RelatedRecordType, owner: Who) => putOwnedRecord(table, type, ids[owner]);

const slot = (start: string, minutes = 60) => ({
  start_at: start,
  end_at: new Date(Date.parse(start) + minutes * 60_000).toISOString(),
});

/** Every item of a list, page by page (limit per page), and the requests each page made. */
async function walk(who: Who, request: Omit<AppointmentListRequest, 'limit' | 'cursor'>, limit = 2) {
  const names: string[] = [];
  const requests: number[] = [];
  let cursor: string | undefined;
  do {
    meter.reset();
    const page = await listAppointments(deps, call(who), { ...request, limit, cursor });
    requests.push(meter.total);
    names.push(...page.items.map((a) => a.name));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { names, requests };
}

describe('creating an appointment', () => {
  it('writes it with its participants’ calendar entries in one transaction, with appointment.created', async () => {
    const contact = await record('contact', 'rep1');
    meter.reset();
    const made = await createAppointment(deps, call('rep1'), {
      name: 'Kick-off',
      location: 'Room 4',
      ...slot('2026-06-20T09:00:00+02:00'),
      time_zone: 'Europe/Paris',
      attendees: [
        { type: 'user', id: ids.rep2 },
        { type: 'contact', id: contact.resource_id },
        { type: 'email', email: 'Guest@Outside.example' },
      ],
      ...contact,
      reminder: '15m',
    });
    // The linked record's owner (GetItem), the contact attendee (BatchGetItem), the write.
    expect(meter.calls.map((c) => c.operation).sort()).toEqual(['BatchGetItem', 'GetItem', 'TransactWriteItems']);
    expect(made).toMatchObject({
      owner_id: ids.rep1,
      creator_id: ids.rep1,
      all_day: false,
      remind_at: '2026-06-20T08:45:00+02:00',
      sequence: 0,
      version: 1,
      resource_type: 'contact',
    });
    expect(made.attendees.map((a) => [a.type, a.email, a.status])).toEqual([
      ['user', null, 'needs_action'],
      ['contact', null, 'needs_action'],
      ['email', 'guest@outside.example', 'needs_action'],
    ]);
    expect(await repo.get(made.id)).toEqual(made);
    expect(repo.events.filter((e) => e.metadata.resource_id === made.id).map((e) => e.metadata.event_type)).toEqual([
      'appointment.created',
    ]);
    const items = await table.partition(`appointment#${made.id}`);
    expect(items.map((i) => i.sk).sort()).toEqual(['appointment', `calendar#${ids.rep1}`, `calendar#${ids.rep2}`]);
  });

  it('stores an all-day appointment by its days, with instants derived in its zone', async () => {
    const made = await createAppointment(deps, call('rep1'), {
      name: 'Trade fair',
      all_day: true,
      start_date: '2026-06-22',
      end_date: '2026-06-23',
      time_zone: 'America/New_York',
      reminder: '1d',
    });
    expect(made).toMatchObject({
      start_date: '2026-06-22',
      end_date: '2026-06-23',
      start_at: '2026-06-22T04:00:00.000Z',
      end_at: '2026-06-24T04:00:00.000Z',
      remind_at: '2026-06-21T04:00:00Z',
    });
  });

  it('refuses a disabled user attendee, a contact the caller cannot see, someone else as owner, a missing time', async () => {
    expect(
      await fieldsOf(
        createAppointment(deps, call('rep1'), {
          name: 'x',
          ...slot('2026-06-20T09:00:00Z'),
          attendees: [{ type: 'user', id: ids.gone }],
        }),
      ),
    ).toEqual(['body.attendees.0.id']);
    const hidden = await record('contact', 'solo');
    expect(
      await fieldsOf(
        createAppointment(deps, call('rep1'), {
          name: 'x',
          ...slot('2026-06-20T09:00:00Z'),
          attendees: [
            { type: 'email', email: 'a@b.example' },
            { type: 'contact', id: hidden.resource_id },
          ],
        }),
      ),
    ).toEqual(['body.attendees.1']);
    expect(
      await rejection(createAppointment(deps, call('rep1'), { name: 'x', ...slot('2026-06-20T09:00:00Z'), owner_id: ids.rep2 })),
    ).toBeInstanceOf(ForbiddenError);
    expect(
      await rejection(createAppointment(deps, call('rep1'), { name: 'x', ...slot('2026-06-20T09:00:00Z'), ...hidden })),
    ).toBeInstanceOf(NotFoundError);
    expect(await fieldsOf(createAppointment(deps, call('rep1'), { name: 'x' }))).toEqual(['body.start_at', 'body.end_at']);
  });
});

describe('who sees and who changes an appointment', () => {
  it('shows it to its participants, their managers, admins and whoever sees its record; changes are the owner’s side', async () => {
    const deal = await record('deal', 'solo');
    const linked = await createAppointment(deps, call('admin'), {
      name: 'Linked',
      ...slot('2026-07-01T09:00:00Z'),
      owner_id: ids.rep1,
      attendees: [{ type: 'user', id: ids.rep2 }],
      ...deal,
    });
    // solo sees the deal, so sees the appointment; rep2 attends.
    for (const who of ['rep1', 'rep2', 'manager', 'admin', 'solo'] as const)
      expect((await getAppointment(deps, call(who), linked.id)).id).toBe(linked.id);
    const plain = await createAppointment(deps, call('rep1'), { name: 'Plain', ...slot('2026-07-01T10:00:00Z') });
    expect(await rejection(getAppointment(deps, call('solo'), plain.id))).toBeInstanceOf(NotFoundError);
    expect(await rejection(getAppointment(deps, call('rep2'), plain.id))).toBeInstanceOf(NotFoundError);
    expect(await rejection(updateAppointment(deps, call('solo'), plain.id, { name: 'no' }))).toBeInstanceOf(NotFoundError);
    // An attendee or the record's owner reads it, but may not change or delete it.
    const refused = await rejection(updateAppointment(deps, call('rep2'), linked.id, { name: 'mine now' }));
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as ForbiddenError).code).toBe('appointment.not_changeable');
    expect(await rejection(deleteAppointment(deps, call('solo'), linked.id))).toBeInstanceOf(ForbiddenError);
    expect((await updateAppointment(deps, call('manager'), linked.id, { name: 'Renamed' })).name).toBe('Renamed');
  });
});

describe('changing an appointment', () => {
  it('raises sequence on time, location and attendee changes, keeps answers, and moves the calendar entries', async () => {
    const made = await createAppointment(deps, call('rep1'), {
      name: 'Review',
      ...slot('2026-08-01T09:00:00Z'),
      attendees: [
        { type: 'user', id: ids.rep2 },
        { type: 'email', email: 'x@y.example' },
      ],
      reminder: '1h',
    });
    const renamed = await updateAppointment(deps, call('rep1'), made.id, { name: 'Review 2' });
    expect(renamed).toMatchObject({ sequence: 0, version: 2 });
    const moved = await updateAppointment(deps, call('rep1'), made.id, { ...slot('2026-08-02T09:00:00Z') });
    expect(moved).toMatchObject({ sequence: 1, version: 3, remind_at: '2026-08-02T08:00:00Z' });
    const event = repo.events.filter((e) => e.metadata.resource_id === made.id).at(-1)!;
    expect(event.metadata.event_type).toBe('appointment.updated');
    expect(event.previous).toMatchObject({ start_at: '2026-08-01T09:00:00Z', sequence: 0 });

    const rep2Calendar = async () =>
      (
        await listAppointments(deps, call('rep2'), {
          attendee_id: ids.rep2,
          start_from: '2026-08-01T00:00:00Z',
          start_to: '2026-08-03T00:00:00Z',
          limit: 10,
        })
      ).items;
    expect((await rep2Calendar()).map((a) => [a.name, a.start_at])).toEqual([['Review 2', '2026-08-02T09:00:00Z']]);
    const dropped = await updateAppointment(deps, call('rep1'), made.id, {
      attendees: [{ type: 'email', email: 'x@y.example' }],
    });
    expect(dropped.sequence).toBe(2);
    expect(await rep2Calendar()).toEqual([]);
    expect(await rejection(getAppointment(deps, call('rep2'), made.id))).toBeInstanceOf(NotFoundError);
    // Unchanged: no write, no event.
    const count = repo.events.length;
    expect(await updateAppointment(deps, call('rep1'), made.id, { name: 'Review 2' })).toEqual(dropped);
    expect(repo.events.length).toBe(count);

    await deleteAppointment(deps, call('rep1'), made.id);
    expect(await table.partition(`appointment#${made.id}`)).toEqual([]);
    expect(repo.events.at(-1)?.metadata.event_type).toBe('appointment.deleted');
  });
});

describe('lists', () => {
  const week = { start_from: '2026-09-07T00:00:00Z', start_to: '2026-09-13T23:59:59Z' };

  beforeAll(async () => {
    const at = (day: number, hour: number) =>
      slot(`2026-09-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`);
    await createAppointment(deps, call('rep1'), { name: 'before', ...at(6, 23) });
    await createAppointment(deps, call('rep1'), { name: 'r1 mon', ...at(7, 9) });
    await createAppointment(deps, call('rep1'), { name: 'r1+r2 tue', ...at(8, 9), attendees: [{ type: 'user', id: ids.rep2 }] });
    await createAppointment(deps, call('rep2'), { name: 'r2 wed', ...at(9, 9) });
    await createAppointment(deps, call('rep2'), { name: 'r2+r1 thu', ...at(10, 9), attendees: [{ type: 'user', id: ids.rep1 }] });
    await createAppointment(deps, call('solo'), { name: 'solo fri', ...at(11, 9) });
    await createAppointment(deps, call('rep1'), { name: 'after', ...at(14, 0) });
  });

  it('walks a rep’s calendar (owned and attended) in start order, a page at a time, one Query a page', async () => {
    const { names, requests } = await walk('rep1', week);
    expect(names).toEqual(['r1 mon', 'r1+r2 tue', 'r2+r1 thu']);
    expect(requests.every((n) => n === 1)).toBe(true);
    expect((await walk('rep2', { ...week, attendee_id: ids.rep2 })).names).toEqual(['r1+r2 tue', 'r2 wed', 'r2+r1 thu']);
    // A calendar out of reach is empty, not an error.
    expect((await walk('rep1', { ...week, attendee_id: ids.rep2 })).names).toEqual([]);
  });

  it('shows a manager the team’s calendars with each appointment once, and an admin everyone’s', async () => {
    const manager = await walk('manager', week);
    expect(manager.names).toEqual(['r1 mon', 'r1+r2 tue', 'r2 wed', 'r2+r1 thu']);
    // One Query per calendar in scope and page (three calendars), within the read budget.
    expect(Math.max(...manager.requests)).toBeLessThanOrEqual(3 * 4);
    expect((await walk('manager', week, 1)).names).toEqual(manager.names);
    expect((await walk('admin', week, 3)).names).toEqual(['r1 mon', 'r1+r2 tue', 'r2 wed', 'r2+r1 thu', 'solo fri']);
  });

  it('bounds the range and lists a record’s appointments for whoever sees the record', async () => {
    expect(
      await fieldsOf(
        listAppointments(deps, call('rep1'), { start_from: '2026-01-01T00:00:00Z', start_to: '2027-06-01T00:00:00Z', limit: 5 }),
      ),
    ).toEqual(['query.start_to']);
    const lead = await record('lead', 'rep2');
    await createAppointment(deps, call('rep2'), { name: 'lead call', ...slot('2026-09-20T09:00:00Z'), ...lead });
    await createAppointment(deps, call('rep2'), { name: 'lead visit', ...slot('2026-09-21T09:00:00Z'), ...lead });
    const names = async (who: Who) =>
      (await listRecordAppointments(deps, call(who), lead, { limit: 10 })).items.map((a) => a.name);
    expect(await names('rep2')).toEqual(['lead call', 'lead visit']);
    expect(await names('manager')).toEqual(['lead call', 'lead visit']);
    expect(await rejection(names('rep1'))).toBeInstanceOf(NotFoundError);
    expect(
      (await walk('admin', { resource_type: 'lead', resource_id: lead.resource_id, start_from: '2026-09-21T00:00:00Z' })).names,
    ).toEqual(['lead visit']);
    expect(await rejection(listAppointments(deps, call('rep1'), { resource_id: lead.resource_id, limit: 5 }))).toBeInstanceOf(
      ValidationError,
    );
  });

  it('gives the dashboard the caller’s next appointments from now on', async () => {
    const later = new Date('2026-09-09T12:00:00Z');
    const at = org.call('rep1', { now: () => later });
    meter.reset();
    const upcoming = await upcomingAppointments(deps, at, 2);
    expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    expect(upcoming.items.map((a) => a.name)).toEqual(['r2+r1 thu', 'after']);
  });
});
