import { appointmentAdapters } from '#shared/appointments/runtime.ts';
import {
  createAppointment,
  deleteAppointment,
  getAppointment,
  listAppointments,
  listRecordAppointments,
  updateAppointment,
} from '#shared/appointments/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/appointments/routes.ts';

// Appointments: parse (done by the contract), call the use case, reply.

const deps = appointmentAdapters();

export const handler = httpHandler([
  implement(routes.listAppointmentsRoute, (req) => listAppointments(deps, req.call, req.query)),
  implement(routes.getAppointmentRoute, (req) => getAppointment(deps, req.call, req.params.id)),
  implement(routes.createAppointmentRoute, (req) => createAppointment(deps, req.call, req.body)),
  implement(routes.updateAppointmentRoute, (req) => updateAppointment(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteAppointmentRoute, async (req) => {
    await deleteAppointment(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(routes.listLeadAppointmentsRoute, (req) =>
    listRecordAppointments(deps, req.call, { resource_type: 'lead', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listContactAppointmentsRoute, (req) =>
    listRecordAppointments(deps, req.call, { resource_type: 'contact', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listDealAppointmentsRoute, (req) =>
    listRecordAppointments(deps, req.call, { resource_type: 'deal', resource_id: req.params.id }, req.query),
  ),
]);
