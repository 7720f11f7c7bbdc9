import * as z from 'zod/mini';
import { relatedRecordTypeSchema } from '#shared/kernel/related-records.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { dateTimeSchema } from '#shared/tasks/domain.ts';
import { appointmentSchema, createAppointmentInput, updateAppointmentInput } from './domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';

// Appointments (F7.1): lists in start order, by start range, by calendar (attendee_id) or by
// record. A record's appointments are also served under the record's path, by this family.

const family = 'appointments';
const tags = ['appointments'];

const rangeFields = {
  ...pageQueryFields,
  start_from: z.optional(dateTimeSchema.check(z.describe('Appointments starting at or after this instant.'))),
  start_to: z.optional(
    dateTimeSchema.check(z.describe('Appointments starting at or before this instant (at most 366 days after start_from).')),
  ),
};

export const listAppointmentsRoute = route({
  id: 'listAppointments',
  method: 'GET',
  path: '/appointments',
  family,
  summary: 'List appointments in start order: the calendars in your scope, one calendar (attendee_id) or a record',
  access: ALL_ROLES,
  query: z.strictObject({
    ...rangeFields,
    attendee_id: z.optional(idSchema.check(z.describe("A user's calendar: the appointments they own or attend."))),
    resource_type: z.optional(relatedRecordTypeSchema),
    resource_id: z.optional(idSchema),
  }),
  response: pageOf(appointmentSchema),
  status: 200,
  tags,
});

export const getAppointmentRoute = route({
  id: 'getAppointment',
  method: 'GET',
  path: '/appointments/{id}',
  family,
  summary: 'Read an appointment',
  access: ALL_ROLES,
  params: idParams,
  response: appointmentSchema,
  status: 200,
  tags,
});

export const createAppointmentRoute = route({
  id: 'createAppointment',
  method: 'POST',
  path: '/appointments',
  family,
  summary: 'Create an appointment',
  access: ALL_ROLES,
  body: createAppointmentInput,
  response: appointmentSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const updateAppointmentRoute = route({
  id: 'updateAppointment',
  method: 'PATCH',
  path: '/appointments/{id}',
  family,
  summary: 'Change, move or reassign an appointment (attendees replace the list)',
  access: ALL_ROLES,
  params: idParams,
  body: updateAppointmentInput,
  response: appointmentSchema,
  status: 200,
  conditional: true,
  tags,
});

export const deleteAppointmentRoute = route({
  id: 'deleteAppointment',
  method: 'DELETE',
  path: '/appointments/{id}',
  family,
  summary: 'Delete an appointment',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  conditional: true,
  tags,
});

const recordAppointmentsRoute = (id: string, collection: 'leads' | 'contacts' | 'deals', noun: string) =>
  route({
    id,
    method: 'GET',
    path: `/${collection}/{id}/appointments`,
    family,
    summary: `List a ${noun}'s appointments in start order`,
    access: ALL_ROLES,
    params: idParams,
    query: z.strictObject(rangeFields),
    response: pageOf(appointmentSchema),
    status: 200,
    tags,
  });

export const listLeadAppointmentsRoute = recordAppointmentsRoute('listLeadAppointments', 'leads', 'lead');
export const listContactAppointmentsRoute = recordAppointmentsRoute('listContactAppointments', 'contacts', 'contact');
export const listDealAppointmentsRoute = recordAppointmentsRoute('listDealAppointments', 'deals', 'deal');

export const appointmentRoutes = [
  listAppointmentsRoute,
  getAppointmentRoute,
  createAppointmentRoute,
  updateAppointmentRoute,
  deleteAppointmentRoute,
  listLeadAppointmentsRoute,
  listContactAppointmentsRoute,
  listDealAppointmentsRoute,
] as const;
