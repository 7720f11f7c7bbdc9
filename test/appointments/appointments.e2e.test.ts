import { describe, expect, it } from 'vitest';
import { listActivitiesRoute } from '#shared/activities/routes.ts';
import {
  createAppointmentRoute,
  deleteAppointmentRoute,
  getAppointmentRoute,
  listAppointmentsRoute,
  listContactAppointmentsRoute,
  updateAppointmentRoute,
} from '#shared/appointments/routes.ts';
import { createContactRoute, deleteContactRoute } from '#shared/contacts/routes.ts';
import { dashboardRoute } from '#shared/dashboard/routes.ts';
import { convertLeadRoute } from '#shared/lead-conversion/routes.ts';
import { createLeadRoute } from '#shared/leads/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Appointments over the whole local cloud (API, outbox stream, bus, the activity feed): made
// with attendees and a linked contact, listed by range, calendar and record, seen by the
// owner, an attending rep, their manager, the admin and nobody else, moved by a lead's
// conversion, shown on the dashboard's upcoming panel and in the feed.

const { call, id } = useTestCloud();

const DAY = 86_400_000;
/** A slot `days` from now (the server's real clock judges "upcoming"), an hour long. */
const slot = (days: number) => {
  const start = new Date(Math.floor((Date.now() + days * DAY) / 60_000) * 60_000);
  return { start_at: start.toISOString(), end_at: new Date(start.getTime() + 3_600_000).toISOString() };
};

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('appointments', () => {
  it('are made with attendees and a contact, listed by range, calendar and record, and seen by whom they concern', async () => {
    const contact = bodyOf(await call(createContactRoute, { as: 'rep1', body: { last_name: 'Calendar' } }), 201);
    const times = slot(2);
    const made = bodyOf(
      await call(createAppointmentRoute, {
        as: 'rep1',
        body: {
          name: 'Demo with Calendar',
          location: 'Their office',
          ...times,
          time_zone: 'Europe/Berlin',
          attendees: [
            { type: 'user', id: id('rep2') },
            { type: 'contact', id: contact.id },
            { type: 'email', email: 'buyer@outside.example' },
          ],
          resource_type: 'contact',
          resource_id: contact.id,
          reminder: '1h',
        },
      }),
      201,
    );
    expect(made).toMatchObject({ owner_id: id('rep1'), sequence: 0, version: 1 });
    expect(made.remind_at).not.toBeNull();
    expect(made.attendees.map((a) => a.status)).toEqual(['needs_action', 'needs_action', 'needs_action']);

    for (const who of ['rep1', 'rep2', 'manager', 'admin'] as const)
      expect(bodyOf(await call(getAppointmentRoute, { as: who, params: { id: made.id } })).id).toBe(made.id);
    expectStatus(await call(getAppointmentRoute, { as: 'solo', params: { id: made.id } }), 404);
    expectStatus(await call(updateAppointmentRoute, { as: 'rep2', params: { id: made.id }, body: { name: 'Mine' } }), 403);

    const range = { start_from: slot(1).start_at, start_to: slot(3).start_at, limit: '50' };
    const names = async (who: 'rep1' | 'rep2' | 'manager' | 'admin' | 'solo', query: Record<string, string> = {}) =>
      bodyOf(await call(listAppointmentsRoute, { as: who, query: { ...range, ...query } })).items.map((a) => a.id);
    expect(await names('rep1')).toEqual([made.id]);
    expect(await names('rep2', { attendee_id: id('rep2') })).toEqual([made.id]);
    // Owner and attendee both report to the manager: listed once.
    expect(await names('manager')).toEqual([made.id]);
    expect(await names('admin')).toContain(made.id);
    expect(await names('solo')).toEqual([]);
    expect(await names('solo', { attendee_id: id('rep1') })).toEqual([]);
    const ofContact = bodyOf(await call(listContactAppointmentsRoute, { as: 'rep1', params: { id: contact.id }, query: {} }));
    expect(ofContact.items.map((a) => a.id)).toEqual([made.id]);
    expectStatus(await call(listContactAppointmentsRoute, { as: 'solo', params: { id: contact.id }, query: {} }), 404);

    // A change of time raises the sequence; the feed shows the creation.
    const moved = bodyOf(await call(updateAppointmentRoute, { as: 'rep1', params: { id: made.id }, body: slot(2.5) }));
    expect(moved.sequence).toBe(1);
    const feed = await eventually(
      async () => bodyOf(await call(listActivitiesRoute, { as: 'rep1', query: { limit: '100' } })).items,
      (items) => items.some((a) => a.record.type === 'appointment' && a.record.id === made.id),
    );
    expect(feed.find((a) => a.record.id === made.id)).toMatchObject({
      verb: 'created',
      record: { type: 'appointment', name: 'Demo with Calendar' },
      parent: { type: 'contact', id: contact.id },
    });

    // Deleting the contact unlinks the appointment, which stays in its participants' calendars.
    expectStatus(await call(deleteContactRoute, { as: 'rep1', params: { id: contact.id } }), 204);
    const unlinked = bodyOf(await call(getAppointmentRoute, { as: 'rep2', params: { id: made.id } }));
    expect(unlinked).toMatchObject({ resource_type: null, resource_id: null, sequence: 1, version: moved.version + 1 });
    expect(await names('rep2', { attendee_id: id('rep2') })).toEqual([made.id]);
  });

  it('follow a converted lead to its contact and show on the dashboard’s upcoming panel', async () => {
    const lead = bodyOf(await call(createLeadRoute, { as: 'rep1', body: { first_name: 'Lea', last_name: 'Upcoming' } }), 201);
    const first = bodyOf(
      await call(createAppointmentRoute, {
        as: 'rep1',
        body: { name: 'First visit', ...slot(0.5), resource_type: 'lead', resource_id: lead.id },
      }),
      201,
    );
    const past = bodyOf(await call(createAppointmentRoute, { as: 'rep1', body: { name: 'Yesterday', ...slot(-1) } }), 201);
    const converted = bodyOf(await call(convertLeadRoute, { as: 'rep1', params: { id: lead.id }, body: {} }));
    const after = bodyOf(await call(getAppointmentRoute, { as: 'rep1', params: { id: first.id } }));
    expect(after).toMatchObject({ resource_type: 'contact', resource_id: converted.contact.id, version: 2 });
    const ofContact = bodyOf(
      await call(listContactAppointmentsRoute, { as: 'rep1', params: { id: converted.contact.id }, query: {} }),
    );
    expect(ofContact.items.map((a) => a.id)).toEqual([first.id]);

    const upcoming = bodyOf(await call(dashboardRoute, { as: 'rep1', query: {} })).appointments;
    const ids = upcoming.items.map((a) => a.id);
    expect(ids[0]).toBe(first.id);
    expect(ids).not.toContain(past.id);
    // rep2 attends the first test's appointment: it is on their panel; solo's is empty.
    expect(bodyOf(await call(dashboardRoute, { as: 'rep2', query: {} })).appointments.items.map((a) => a.name)).toContain(
      'Demo with Calendar',
    );
    expect(bodyOf(await call(dashboardRoute, { as: 'solo', query: {} })).appointments).toEqual({ items: [], more: false });

    expectStatus(await call(deleteAppointmentRoute, { as: 'rep1', params: { id: first.id } }), 204);
    expectStatus(await call(getAppointmentRoute, { as: 'rep1', params: { id: first.id } }), 404);
  });
});
