import { describe, expect, it } from 'vitest';
import {
  appointmentOrderKey,
  createAppointmentInput,
  isTimeZone,
  needsNewSequence,
  participants,
  remindAt,
  resolveAttendees,
  resolveTimes,
  startOfDay,
  startRange,
  zoneOffsetMinutes,
  type Appointment,
} from '#shared/appointments/domain.ts';
import { ValidationError } from '#shared/kernel/errors.ts';
import { testId } from '#test/helpers/fakes.ts';

const fieldsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map((p) => p.field);
    throw error;
  }
  throw new Error('expected a ValidationError');
};

export function makeAppointment(overrides: Partial<Appointment> = {}): Appointment {
  return {
    id: testId(1),
    name: 'Demo',
    description: null,
    location: null,
    start_at: '2031-03-10T10:00:00Z',
    end_at: '2031-03-10T11:00:00Z',
    all_day: false,
    start_date: null,
    end_date: null,
    time_zone: 'UTC',
    owner_id: 'owner',
    creator_id: 'owner',
    attendees: [],
    resource_type: null,
    resource_id: null,
    reminder: null,
    remind_at: null,
    sequence: 0,
    created_at: '2031-01-01T00:00:00.000Z',
    updated_at: '2031-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}

describe('time zones', () => {
  it('accepts IANA zones and refuses anything else', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    const parsed = createAppointmentInput.safeParse({
      name: 'x',
      start_at: '2031-03-10T10:00:00Z',
      end_at: '2031-03-10T11:00:00Z',
      time_zone: 'Europe/Pariss',
    });
    expect(parsed.success).toBe(false);
  });

  it('knows the offset in force, summer time included', () => {
    expect(zoneOffsetMinutes('Europe/Paris', Date.parse('2031-01-15T12:00:00Z'))).toBe(60);
    expect(zoneOffsetMinutes('Europe/Paris', Date.parse('2031-07-15T12:00:00Z'))).toBe(120);
    expect(zoneOffsetMinutes('America/New_York', Date.parse('2031-01-15T12:00:00Z'))).toBe(-300);
    expect(zoneOffsetMinutes('Asia/Kolkata', Date.parse('2031-01-15T12:00:00Z'))).toBe(330);
    expect(zoneOffsetMinutes('UTC', 0)).toBe(0);
  });

  it('starts a day at its local midnight, also on the days clocks change', () => {
    expect(startOfDay('2031-01-15', 'Europe/Paris')).toBe('2031-01-14T23:00:00.000Z');
    expect(startOfDay('2031-07-15', 'Europe/Paris')).toBe('2031-07-14T22:00:00.000Z');
    // Paris springs forward on 2031-03-30 at 02:00 and falls back on 2031-10-26 at 03:00.
    expect(startOfDay('2031-03-30', 'Europe/Paris')).toBe('2031-03-29T23:00:00.000Z');
    expect(startOfDay('2031-03-31', 'Europe/Paris')).toBe('2031-03-30T22:00:00.000Z');
    expect(startOfDay('2031-10-27', 'Europe/Paris')).toBe('2031-10-26T23:00:00.000Z');
    expect(startOfDay('2031-01-15', 'America/New_York')).toBe('2031-01-15T05:00:00.000Z');
  });
});

describe('resolveTimes', () => {
  it('keeps a timed appointment’s instants as given; the end may not come before the start', () => {
    expect(resolveTimes(null, { start_at: '2031-03-10T10:00:00+01:00', end_at: '2031-03-10T10:00:00+01:00' })).toEqual({
      all_day: false,
      start_date: null,
      end_date: null,
      time_zone: 'UTC',
      start_at: '2031-03-10T10:00:00+01:00',
      end_at: '2031-03-10T10:00:00+01:00',
    });
    expect(fieldsOf(() => resolveTimes(null, { start_at: '2031-03-10T10:00:00Z', end_at: '2031-03-10T09:59:59Z' }))).toEqual([
      'body.end_at',
    ]);
    expect(fieldsOf(() => resolveTimes(null, {}))).toEqual(['body.start_at', 'body.end_at']);
    expect(fieldsOf(() => resolveTimes(null, { start_at: 'x', end_at: 'y', start_date: '2031-03-10' }))).toContain(
      'body.start_date',
    );
  });

  it('derives an all-day appointment’s instants from its days in its zone (end date inclusive)', () => {
    expect(
      resolveTimes(null, { all_day: true, start_date: '2031-07-14', end_date: '2031-07-15', time_zone: 'Europe/Paris' }),
    ).toEqual({
      all_day: true,
      start_date: '2031-07-14',
      end_date: '2031-07-15',
      time_zone: 'Europe/Paris',
      start_at: '2031-07-13T22:00:00.000Z',
      end_at: '2031-07-15T22:00:00.000Z',
    });
    expect(fieldsOf(() => resolveTimes(null, { all_day: true, start_date: '2031-07-14', end_date: '2031-07-13' }))).toEqual([
      'body.end_date',
    ]);
    expect(
      fieldsOf(() => resolveTimes(null, { all_day: true, start_at: '2031-07-14T10:00:00Z', end_at: '2031-07-14T11:00:00Z' })),
    ).toEqual(['body.start_at', 'body.end_at', 'body.start_date', 'body.end_date']);
  });

  it('on a change keeps what is not given, recomputes days in a new zone, and needs the other pair to switch kind', () => {
    const allDay = resolveTimes(null, { all_day: true, start_date: '2031-07-14', end_date: '2031-07-14', time_zone: 'UTC' });
    expect(resolveTimes(allDay, { time_zone: 'Europe/Paris' }).start_at).toBe('2031-07-13T22:00:00.000Z');
    const timed = resolveTimes(null, { start_at: '2031-03-10T10:00:00Z', end_at: '2031-03-10T11:00:00Z' });
    expect(resolveTimes(timed, { end_at: '2031-03-10T12:00:00Z' }).start_at).toBe('2031-03-10T10:00:00Z');
    expect(fieldsOf(() => resolveTimes(timed, { start_at: '2031-03-10T13:00:00Z' }))).toEqual(['body.start_at']);
    expect(fieldsOf(() => resolveTimes(timed, { all_day: true }))).toEqual(['body.start_date', 'body.end_date']);
    expect(fieldsOf(() => resolveTimes(allDay, { all_day: false }))).toEqual(['body.start_at', 'body.end_at']);
  });
});

describe('attendees', () => {
  it('start as needs_action, keep their answer through a change, and are listed once', () => {
    const first = resolveAttendees(
      [],
      [
        { type: 'user', id: testId(2) },
        { type: 'email', email: 'Ann@Example.com', name: 'Ann' },
      ],
    );
    expect(first).toEqual([
      { type: 'user', id: testId(2), email: null, name: null, status: 'needs_action' },
      { type: 'email', id: null, email: 'ann@example.com', name: 'Ann', status: 'needs_action' },
    ]);
    const answered = first.map((a) => ({ ...a, status: 'accepted' as const }));
    const next = resolveAttendees(answered, [
      { type: 'email', email: 'ann@example.com' },
      { type: 'contact', id: testId(3) },
    ]);
    expect(next.map((a) => a.status)).toEqual(['accepted', 'needs_action']);
    expect(
      fieldsOf(() =>
        resolveAttendees(
          [],
          [
            { type: 'email', email: 'a@x.com' },
            { type: 'email', email: 'A@x.com' },
          ],
        ),
      ),
    ).toEqual(['body.attendees.1']);
  });

  it('make the participants: the owner, then each user attendee once', () => {
    const attendees = resolveAttendees(
      [],
      [
        { type: 'user', id: 'u2' as string },
        { type: 'lead', id: testId(4) },
        { type: 'user', id: 'owner' },
      ],
    );
    expect(participants({ owner_id: 'owner', attendees })).toEqual(['owner', 'u2']);
  });
});

describe('sequence, reminders and order', () => {
  it('rises for time, location and attendee changes, not for a name or an answer', () => {
    const before = makeAppointment({
      attendees: [{ type: 'email', id: null, email: 'a@x.com', name: null, status: 'needs_action' }],
    });
    expect(needsNewSequence(before, { ...before, name: 'Other' })).toBe(false);
    expect(needsNewSequence(before, { ...before, attendees: [{ ...before.attendees[0]!, status: 'accepted' }] })).toBe(false);
    expect(needsNewSequence(before, { ...before, location: 'Room 1' })).toBe(true);
    expect(needsNewSequence(before, { ...before, end_at: '2031-03-10T12:00:00Z' })).toBe(true);
    expect(needsNewSequence(before, { ...before, attendees: [] })).toBe(true);
  });

  it('puts the reminder the preset before the start, in the start’s offset', () => {
    expect(remindAt('2031-03-10T10:00:00+01:00', '15m')).toBe('2031-03-10T09:45:00+01:00');
    expect(remindAt('2031-03-10T10:00:00Z', '1d')).toBe('2031-03-09T10:00:00Z');
    expect(remindAt('2031-03-10T10:00:00Z', null)).toBeNull();
  });

  it('sorts by the start in UTC and bounds ranges to a year and a day', () => {
    expect(appointmentOrderKey({ id: 'X', start_at: '2031-03-10T10:00:00+01:00' })).toBe('2031-03-10T09:00:00.000Z#X');
    const [from, to] = startRange('2031-03-10T00:00:00Z', '2031-03-10T23:59:59Z');
    const key = appointmentOrderKey({ id: testId(9), start_at: '2031-03-10T23:59:59Z' });
    expect(key >= from && key <= to).toBe(true);
    expect(appointmentOrderKey({ id: testId(9), start_at: '2031-03-11T00:00:00Z' }) > to).toBe(true);
    expect(startRange()).toEqual(['0', '~']);
    expect(fieldsOf(() => startRange('2031-03-10T00:00:00Z', '2031-03-09T00:00:00Z'))).toEqual(['query.start_to']);
    expect(fieldsOf(() => startRange('2031-01-01T00:00:00Z', '2032-01-03T00:00:00Z'))).toEqual(['query.start_to']);
  });
});
