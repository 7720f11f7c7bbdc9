import * as z from 'zod/mini';
import { dateTimeSchema } from '#shared/tasks/domain.ts';
import {
  calendarEntrySchema,
  calendarFeedCreatedSchema,
  calendarFeedSchema,
  createExternalCalendarInput,
  externalCalendarSchema,
  updateExternalCalendarInput,
} from './domain.ts';
import { ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, itemsOf } from '#shared/platform/http/schemas.ts';

// Calendars (F7.3): the caller's feed URL (made, rotated, turned off), the public feed itself,
// the caller's external calendars, and GET /calendar, which merges the caller's appointments,
// task due times and external events for a range. Every route acts on the caller's own.

const family = 'calendar';
const tags = ['calendar'];

export const getCalendarFeedRoute = route({
  id: 'getCalendarFeed',
  method: 'GET',
  path: '/calendar_feed',
  family,
  summary: 'Read whether you have a calendar feed (its URL is shown only when made)',
  access: ALL_ROLES,
  response: calendarFeedSchema,
  status: 200,
  tags,
});

export const rotateCalendarFeedRoute = route({
  id: 'rotateCalendarFeed',
  method: 'POST',
  path: '/calendar_feed',
  family,
  summary: 'Make your calendar feed URL, or a new one (rotate: the former URL stops working at once)',
  access: ALL_ROLES,
  response: calendarFeedCreatedSchema,
  status: 201,
  tags,
});

export const deleteCalendarFeedRoute = route({
  id: 'deleteCalendarFeed',
  method: 'DELETE',
  path: '/calendar_feed',
  family,
  summary: 'Turn your calendar feed off (its URL stops working)',
  access: ALL_ROLES,
  status: 204,
  tags,
});

export const calendarFeedFileRoute = route({
  id: 'getCalendarFeedFile',
  method: 'GET',
  path: '/calendar_feeds/{file}',
  family,
  summary: 'Read a calendar feed (iCalendar): the URL is the credential, for calendar apps that cannot log in',
  access: 'public',
  params: z.strictObject({
    file: z.string().check(z.maxLength(64), z.describe('"<token>.ics", as the feed URL names it')),
  }),
  response: z.string(),
  mediaType: 'text/calendar',
  status: 200,
  tags,
});

export const listExternalCalendarsRoute = route({
  id: 'listExternalCalendars',
  method: 'GET',
  path: '/external_calendars',
  family,
  summary: 'List your external calendars',
  access: ALL_ROLES,
  response: itemsOf(externalCalendarSchema),
  status: 200,
  tags,
});

export const getExternalCalendarRoute = route({
  id: 'getExternalCalendar',
  method: 'GET',
  path: '/external_calendars/{id}',
  family,
  summary: 'Read one of your external calendars',
  access: ALL_ROLES,
  params: idParams,
  response: externalCalendarSchema,
  status: 200,
  tags,
});

export const createExternalCalendarRoute = route({
  id: 'createExternalCalendar',
  method: 'POST',
  path: '/external_calendars',
  family,
  summary: 'Add an external calendar by its https ICS URL (read-only; refreshed every hour)',
  access: ALL_ROLES,
  body: createExternalCalendarInput,
  response: externalCalendarSchema,
  status: 201,
  idempotent: true,
  tags,
});

export const updateExternalCalendarRoute = route({
  id: 'updateExternalCalendar',
  method: 'PATCH',
  path: '/external_calendars/{id}',
  family,
  summary: "Rename an external calendar or change its URL (a new URL's events come with the next refresh)",
  access: ALL_ROLES,
  params: idParams,
  body: updateExternalCalendarInput,
  response: externalCalendarSchema,
  status: 200,
  tags,
});

export const deleteExternalCalendarRoute = route({
  id: 'deleteExternalCalendar',
  method: 'DELETE',
  path: '/external_calendars/{id}',
  family,
  summary: 'Remove an external calendar and its events',
  access: ALL_ROLES,
  params: idParams,
  status: 204,
  tags,
});

export const calendarRoute = route({
  id: 'getCalendar',
  method: 'GET',
  path: '/calendar',
  family,
  summary:
    'Read your calendar for a range (at most 62 days): your appointments, task due times and external events (read-only), in start order',
  access: ALL_ROLES,
  query: z.strictObject({ from: dateTimeSchema, to: dateTimeSchema }),
  response: itemsOf(calendarEntrySchema),
  status: 200,
  tags,
});

export const calendarRoutes = [
  getCalendarFeedRoute,
  rotateCalendarFeedRoute,
  deleteCalendarFeedRoute,
  calendarFeedFileRoute,
  listExternalCalendarsRoute,
  getExternalCalendarRoute,
  createExternalCalendarRoute,
  updateExternalCalendarRoute,
  deleteExternalCalendarRoute,
  calendarRoute,
] as const;
