import type { DevUser } from '#infra/local/seed.ts';
import { recordOf, type RecordCollection } from '#test/notes/route-cases.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Appointments are seen and changed through their owner here: the matrix calls these routes on
// an appointment owned by the caller, by a direct report and by someone else, with no attendee
// and no record (seeing one through an attendee or a record is covered by the e2e and int
// tests). Creating one is "owned" through its record (the caller must see the deal it links to).

const START = '2031-05-05T09:00:00Z';
const END = '2031-05-05T10:00:00Z';

/** An appointment owned by `owner`, made by the admin. */
const appointmentOf = (f: Fixtures, owner: DevUser) =>
  f.asAdmin<{ id: string }>('POST', '/appointments', {
    name: `Appointment ${f.unique()}`,
    start_at: START,
    end_at: END,
    owner_id: owner.user_id,
  });

const recordAppointments = (collection: RecordCollection): RouteCase => ({
  kind: 'owned',
  call: async (f, owner) => ({ path: `/${collection}/${(await recordOf(f, collection, owner)).id}/appointments?limit=5` }),
});

export const appointmentCases: Record<string, RouteCase> = {
  listAppointments: { kind: 'unowned', call: async () => ({ path: '/appointments?limit=5' }) },
  getAppointment: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/appointments/${(await appointmentOf(f, owner)).id}` }),
  },
  createAppointment: {
    kind: 'owned',
    call: async (f, owner) => {
      const { resource_type, resource_id } = await recordOf(f, 'deals', owner);
      return {
        path: '/appointments',
        body: { name: 'Matrix appointment', start_at: START, end_at: END, resource_type, resource_id },
      };
    },
  },
  updateAppointment: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/appointments/${(await appointmentOf(f, owner)).id}`, body: { location: 'Room 2' } }),
  },
  deleteAppointment: {
    kind: 'owned',
    call: async (f, owner) => ({ path: `/appointments/${(await appointmentOf(f, owner)).id}` }),
  },
  listLeadAppointments: recordAppointments('leads'),
  listContactAppointments: recordAppointments('contacts'),
  listDealAppointments: recordAppointments('deals'),
};
