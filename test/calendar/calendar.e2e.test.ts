import nodeIcal from 'node-ical';
import { describe, expect, it } from 'vitest';
import { createAppointmentRoute, updateAppointmentRoute } from '#shared/appointments/routes.ts';
import { appointmentUid } from '#shared/appointments/domain.ts';
import { taskUid } from '#shared/calendar/domain.ts';
import {
  calendarRoute,
  createExternalCalendarRoute,
  getCalendarFeedRoute,
  rotateCalendarFeedRoute,
} from '#shared/calendar/routes.ts';
import { createTaskRoute } from '#shared/tasks/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Calendars over the whole local cloud (API, public route, the calendar function in its own
// worker behind the IAM gates): a feed URL a calendar app subscribes to without logging in,
// read back by a standard iCalendar parser as the appointments and tasks the API made.

const { api, call, id } = useTestCloud();

const DAY = 86_400_000;
const at = (days: number, hour: number) =>
  new Date(Math.floor(Date.now() / DAY) * DAY + days * DAY + hour * 3_600_000).toISOString();

describe('the calendar feed over HTTP', () => {
  it('answers text/calendar at its secret URL without a token, with the same events; rotating retires the URL', async () => {
    const owned = bodyOf(
      await call(createAppointmentRoute, {
        as: 'rep1',
        body: { name: 'Quarterly review', start_at: at(2, 9), end_at: at(2, 10), location: 'HQ' },
      }),
      201,
    );
    const attended = bodyOf(
      await call(createAppointmentRoute, {
        as: 'rep2',
        body: { name: 'Demo for Ada', start_at: at(3, 14), end_at: at(3, 15), attendees: [{ type: 'user', id: id('rep1') }] },
      }),
      201,
    );
    const task = bodyOf(
      await call(createTaskRoute, { as: 'rep1', body: { content: 'Send the offer', due_date: at(4, 11) } }),
      201,
    );
    const made = bodyOf(await call(rotateCalendarFeedRoute, { as: 'rep1' }), 201);
    expect(made.url).toMatch(/\/calendar_feeds\/[A-Za-z0-9_-]{43}\.ics$/);
    expect(bodyOf(await call(getCalendarFeedRoute, { as: 'rep1' }), 200)).toMatchObject({ enabled: true });
    const path = new URL(made.url).pathname;

    const feed = await api('GET', path);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toBe('text/calendar');
    const events = new Map(
      Object.values(nodeIcal.sync.parseICS(feed.body as string))
        .filter((c) => c?.type === 'VEVENT')
        .map((e) => [e.uid, e]),
    );
    expect([...events.keys()].sort()).toEqual([appointmentUid(owned.id), appointmentUid(attended.id), taskUid(task.id)].sort());
    expect(events.get(appointmentUid(owned.id))).toMatchObject({ summary: 'Quarterly review', location: 'HQ', sequence: 0 });
    expect(events.get(appointmentUid(owned.id))!.start.toISOString()).toBe(at(2, 9));

    bodyOf(
      await call(updateAppointmentRoute, {
        as: 'rep1',
        params: { id: owned.id },
        body: { start_at: at(2, 11), end_at: at(2, 12) },
      }),
      200,
    );
    const moved = await api('GET', path);
    const again = Object.values(nodeIcal.sync.parseICS(moved.body as string)).find(
      (c) => c?.type === 'VEVENT' && c.uid === appointmentUid(owned.id),
    );
    expect(again).toMatchObject({ sequence: 1 });

    const rotated = bodyOf(await call(rotateCalendarFeedRoute, { as: 'rep1' }), 201);
    expect((await api('GET', path)).status).toBe(404);
    expect((await api('GET', new URL(rotated.url).pathname)).status).toBe(200);
  });

  it('GET /calendar merges appointments and task due times; external calendars are the caller’s own', async () => {
    const from = at(1, 0);
    const to = at(6, 0);
    const mine = bodyOf(await call(calendarRoute, { as: 'rep1', query: { from, to } }), 200);
    expect(mine.items.map((e) => e.source).sort()).toEqual(['appointment', 'appointment', 'task']);
    const external = bodyOf(
      await call(createExternalCalendarRoute, {
        as: 'rep1',
        body: { name: 'Holidays', url: 'https://calendar.example.com/holidays.ics' },
      }),
      201,
    );
    expect(external).toMatchObject({ owner_id: id('rep1'), refreshed_at: null, event_count: 0 });
    expect((await api('GET', `/external_calendars/${external.id}`, { token: undefined })).status).toBe(401);
  });
});
