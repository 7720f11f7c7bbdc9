import type { DevUser } from '#infra/local/seed.ts';
import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Calendars: the feed routes and GET /calendar act on the caller's own (every role 200); an
// external calendar is personal (another user's answers 404 to every role, admins included);
// the feed file is public: its URL is the credential.

/** One of `holder`'s external calendars (made by them: only they can). */
async function calendarOf(f: Fixtures, holder: DevUser): Promise<string> {
  const res = await f.api('POST', '/external_calendars', {
    token: holder.token,
    body: { name: `Matrix ${f.unique()}`, url: 'https://calendar.example.com/matrix.ics' },
  });
  if (res.status !== 201) throw new Error(`POST /external_calendars: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** The path of a feed file: the admin makes (or rotates) their feed and reads its URL. */
export async function feedPath(f: Fixtures): Promise<string> {
  const { url } = await f.asAdmin<{ url: string }>('POST', '/calendar_feed');
  return new URL(url).pathname;
}

export const calendarCases: Record<string, RouteCase> = {
  getCalendarFeed: { kind: 'unowned', call: async () => ({ path: '/calendar_feed' }) },
  rotateCalendarFeed: { kind: 'unowned', call: async () => ({ path: '/calendar_feed' }) },
  deleteCalendarFeed: { kind: 'unowned', call: async () => ({ path: '/calendar_feed' }) },
  getCalendarFeedFile: { kind: 'public', call: async (f) => ({ path: await feedPath(f) }) },
  listExternalCalendars: { kind: 'unowned', call: async () => ({ path: '/external_calendars' }) },
  createExternalCalendar: {
    kind: 'unowned',
    call: async (f) => ({
      path: '/external_calendars',
      body: { name: `Matrix ${f.unique()}`, url: 'https://calendar.example.com/new.ics' },
    }),
  },
  getExternalCalendar: {
    kind: 'personal',
    call: async (f, holder) => ({ path: `/external_calendars/${await calendarOf(f, holder)}` }),
  },
  updateExternalCalendar: {
    kind: 'personal',
    call: async (f, holder) => ({ path: `/external_calendars/${await calendarOf(f, holder)}`, body: { name: 'Renamed' } }),
  },
  deleteExternalCalendar: {
    kind: 'personal',
    call: async (f, holder) => ({ path: `/external_calendars/${await calendarOf(f, holder)}` }),
  },
  getCalendar: {
    kind: 'unowned',
    call: async () => ({ path: '/calendar?from=2031-03-01T00:00:00Z&to=2031-03-31T00:00:00Z' }),
  },
};
