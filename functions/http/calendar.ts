import { calendarAdapters } from '#shared/calendar/runtime.ts';
import {
  calendarEntries,
  calendarFeedIcs,
  createExternalCalendar,
  deleteCalendarFeed,
  deleteExternalCalendar,
  getCalendarFeed,
  getExternalCalendar,
  listExternalCalendars,
  rotateCalendarFeed,
  updateExternalCalendar,
} from '#shared/calendar/use-cases.ts';
import { httpHandler, implement, reply } from '#shared/app.ts';
import * as routes from '#shared/calendar/routes.ts';
import type { HttpEvent } from '#shared/platform/http/request.ts';

// Calendars: parse (done by the contract), call the use case, reply. The feed URL is made from
// the host the caller reached (API Gateway's domain, or a custom one).

const deps = calendarAdapters();

/** "https://<host>" of the request (http for a laptop's local cloud, which has no TLS). */
function origin(event: HttpEvent): string {
  const headers = event.headers ?? {};
  const host = headers.host ?? event.requestContext?.domainName ?? 'localhost';
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
  const proto = headers['x-forwarded-proto'] ?? (local ? 'http' : 'https');
  return `${proto}://${host}`;
}

export const handler = httpHandler([
  implement(routes.getCalendarFeedRoute, (req) => getCalendarFeed(deps, req.call)),
  implement(routes.rotateCalendarFeedRoute, async (req) => {
    const { token, view } = await rotateCalendarFeed(deps, req.call);
    return { ...view, url: `${origin(req.event)}/calendar_feeds/${token}.ics` };
  }),
  implement(routes.deleteCalendarFeedRoute, async (req) => {
    await deleteCalendarFeed(deps, req.call);
  }),
  implement(routes.calendarFeedFileRoute, async (req) => {
    const ics = await calendarFeedIcs(deps, { now: () => req.call.events.now }, req.params.file);
    // Private to the URL's holder: no shared cache may keep it.
    return reply(ics, { headers: { 'cache-control': 'private, max-age=300' } });
  }),
  implement(routes.listExternalCalendarsRoute, (req) => listExternalCalendars(deps, req.call)),
  implement(routes.getExternalCalendarRoute, (req) => getExternalCalendar(deps, req.call, req.params.id)),
  implement(routes.createExternalCalendarRoute, (req) => createExternalCalendar(deps, req.call, req.body)),
  implement(routes.updateExternalCalendarRoute, (req) => updateExternalCalendar(deps, req.call, req.params.id, req.body)),
  implement(routes.deleteExternalCalendarRoute, async (req) => {
    await deleteExternalCalendar(deps, req.call, req.params.id);
  }),
  implement(routes.calendarRoute, (req) => calendarEntries(deps, req.call, req.query)),
]);
