import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeIcal from 'node-ical';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAppointmentRepository } from '#shared/appointments/dynamodb.ts';
import type { Appointment } from '#shared/appointments/domain.ts';
import { appointmentUid } from '#shared/appointments/domain.ts';
import { taskUid } from '#shared/calendar/domain.ts';
import { DynamoCalendarFeeds, DynamoCalendarSources, DynamoExternalCalendars } from '#shared/calendar/dynamodb.ts';
import { ExternalFetchError, SafeFetcher } from '#shared/calendar/safe-fetch.ts';
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
  type CalendarDeps,
} from '#shared/calendar/use-cases.ts';
import { refreshExternalCalendars } from '#shared/calendar/refresh.ts';
import { ConflictError, NotFoundError } from '#shared/kernel/errors.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, type Clock } from '#shared/kernel/ports.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { userKey } from '#shared/platform/dynamodb/keys.ts';
import type { Table } from '#shared/platform/dynamodb/table.ts';
import type { Task } from '#shared/tasks/domain.ts';
import { DynamoTaskRepository } from '#shared/tasks/dynamodb.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';

// Calendars against DynamoDB Local: the feed (made, read back by a standard iCalendar parser
// as the same events, rotated, turned off), external calendars (own only, refreshed from a feed
// this test serves over https on loopback through the fetcher's test seam), GET /calendar's
// merge, and the production fetch guard refusing private addresses.

let table: Table;
let deps: CalendarDeps;
const ids = { rep1: newId(), rep2: newId(), gone: newId() };
type Who = keyof typeof ids;
const principal = (who: Who): Principal => ({ user_id: ids[who], email: `${who}@example.com`, role: 'user', direct_reports: [] });
const now = new Date('2031-03-01T08:00:00.000Z');
const clock: Clock = { now: () => now };
const call = (who: Who) => callContext(principal(who), 'test', clock, () => newId());

function appointment(over: Partial<Appointment>): Appointment {
  return {
    id: newId(),
    name: 'Demo',
    description: null,
    location: null,
    start_at: '2031-03-04T10:00:00Z',
    end_at: '2031-03-04T11:00:00Z',
    all_day: false,
    start_date: null,
    end_date: null,
    time_zone: 'UTC',
    owner_id: ids.rep1,
    creator_id: ids.rep1,
    attendees: [],
    resource_type: null,
    resource_id: null,
    reminder: null,
    remind_at: null,
    sequence: 0,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    version: 1,
    ...over,
  };
}

function task(over: Partial<Task>): Task {
  return {
    id: newId(),
    content: 'Call Ada\nabout the offer',
    due_date: '2031-03-05T09:00:00Z',
    owner_id: ids.rep1,
    creator_id: ids.rep1,
    resource_type: null,
    resource_id: null,
    completed: false,
    completed_at: null,
    remind_at: null,
    reminder: null,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    version: 3,
    ...over,
  };
}

const appointments = () => new DynamoAppointmentRepository(table);

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  deps = {
    feeds: new DynamoCalendarFeeds(table),
    sources: new DynamoCalendarSources(table),
    externals: new DynamoExternalCalendars(table),
  };
  await table.write(
    Object.entries(ids).map(([who, id]) => ({
      type: 'put' as const,
      item: { ...userKey(id), kind: 'user', id, status: who === 'gone' ? 'inactive' : 'active' },
    })),
  );
});

/** The VEVENTs of an ICS text, by UID, as node-ical reads them. */
function parsed(ics: string) {
  const events = Object.values(nodeIcal.sync.parseICS(ics)).filter((c) => c?.type === 'VEVENT');
  return new Map(events.map((e) => [e.uid, e]));
}
const fileOf = (token: string) => `${token}.ics`;

describe('the calendar feed', () => {
  const timed = appointment({ name: 'Kick-off, with Ada; and Bob', location: 'Room 2', sequence: 2 });
  const offsite = appointment({
    name: 'Offsite',
    all_day: true,
    start_date: '2031-03-10',
    end_date: '2031-03-11',
    start_at: '2031-03-10T00:00:00.000Z',
    end_at: '2031-03-12T00:00:00.000Z',
    owner_id: ids.rep2,
    attendees: [{ type: 'user', id: ids.rep1, email: null, name: null, status: 'accepted' }],
  });
  const notMine = appointment({ name: 'Not mine', owner_id: ids.rep2 });
  const due = task({});
  const done = task({ content: 'Sent', due_date: '2031-03-02T15:30:00Z', completed: true, version: 5 });
  const undated = task({ content: 'Someday', due_date: null });

  beforeAll(async () => {
    for (const a of [timed, offsite, notMine]) await appointments().create(a, null, []);
    for (const t of [due, done, undated]) await new DynamoTaskRepository(table).create(t, null, []);
  });

  it('reads back, with a standard parser, as the same events: stable UIDs, SEQUENCE, times, all-day dates', async () => {
    expect(await getCalendarFeed(deps, call('rep1'))).toEqual({ enabled: false, token_hint: null, created_at: null });
    const { token, view } = await rotateCalendarFeed(deps, call('rep1'));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(view).toEqual({ enabled: true, token_hint: token.slice(0, 6), created_at: now.toISOString() });
    expect(await getCalendarFeed(deps, call('rep1'))).toEqual(view);

    const events = parsed(await calendarFeedIcs(deps, clock, fileOf(token)));
    expect([...events.keys()].sort()).toEqual(
      [appointmentUid(timed.id), appointmentUid(offsite.id), taskUid(due.id), taskUid(done.id)].sort(),
    );
    const kickOff = events.get(appointmentUid(timed.id))!;
    expect(kickOff).toMatchObject({ summary: 'Kick-off, with Ada; and Bob', location: 'Room 2', sequence: 2 });
    expect(kickOff.start.toISOString()).toBe('2031-03-04T10:00:00.000Z');
    expect(kickOff.end?.toISOString()).toBe('2031-03-04T11:00:00.000Z');
    const away = events.get(appointmentUid(offsite.id))!;
    expect(away.datetype).toBe('date');
    expect(away.start.toISOString().slice(0, 10)).toBe('2031-03-10');
    expect(away.end?.toISOString().slice(0, 10)).toBe('2031-03-12');
    expect(events.get(taskUid(due.id))).toMatchObject({ summary: 'Task: Call Ada', sequence: 3 });
    expect(events.get(taskUid(due.id))!.start.toISOString()).toBe('2031-03-05T09:00:00.000Z');
    expect(events.get(taskUid(done.id))).toMatchObject({ summary: '✓ Task: Sent', sequence: 5 });
  });

  it('follows changes under the same UID with a higher SEQUENCE', async () => {
    const { token } = await rotateCalendarFeed(deps, call('rep1'));
    const moved = { ...timed, start_at: '2031-03-04T14:00:00Z', end_at: '2031-03-04T15:00:00Z', sequence: 3, version: 2 };
    await appointments().update(timed, moved, null, []);
    const kickOff = parsed(await calendarFeedIcs(deps, clock, fileOf(token))).get(appointmentUid(timed.id))!;
    expect(kickOff.sequence).toBe(3);
    expect(kickOff.start.toISOString()).toBe('2031-03-04T14:00:00.000Z');
  });

  it('rotating makes the former URL answer 404 at once; turning it off too; a deactivated user has none', async () => {
    const first = await rotateCalendarFeed(deps, call('rep2'));
    const second = await rotateCalendarFeed(deps, call('rep2'));
    await expect(calendarFeedIcs(deps, clock, fileOf(first.token))).rejects.toThrow(NotFoundError);
    expect(parsed(await calendarFeedIcs(deps, clock, fileOf(second.token))).has(appointmentUid(notMine.id))).toBe(true);
    await deleteCalendarFeed(deps, call('rep2'));
    await expect(calendarFeedIcs(deps, clock, fileOf(second.token))).rejects.toThrow(NotFoundError);
    expect((await getCalendarFeed(deps, call('rep2'))).enabled).toBe(false);

    const gone = await rotateCalendarFeed(deps, call('gone'));
    await expect(calendarFeedIcs(deps, clock, fileOf(gone.token))).rejects.toThrow(NotFoundError);
    for (const file of ['nothing.ics', `${'A'.repeat(43)}.ics`, second.token]) {
      await expect(calendarFeedIcs(deps, clock, file)).rejects.toThrow(NotFoundError);
    }
  });

  it('stores only the token’s hash', async () => {
    const { token } = await rotateCalendarFeed(deps, call('rep1'));
    const stored = JSON.stringify(await deps.feeds.get(ids.rep1));
    expect(stored).not.toContain(token);
  });
});

// --- external calendars -------------------------------------------------------------------------

let server: Server;
let ca: string;
let base: string;
/** What the loopback server answers, by path. */
const routes = new Map<string, (res: ServerResponse) => void>();

const EXTERNAL_ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//external//EN',
  'BEGIN:VEVENT',
  'UID:ext-1@example.com',
  'DTSTAMP:20310101T000000Z',
  'DTSTART:20310304T120000Z',
  'DTEND:20310304T130000Z',
  'SUMMARY:Dentist',
  'LOCATION:Main street 1',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:ext-2@example.com',
  'DTSTAMP:20310101T000000Z',
  'DTSTART;VALUE=DATE:20310306',
  'DTEND;VALUE=DATE:20310307',
  'SUMMARY:Holiday',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:ext-3@example.com',
  'DTSTAMP:20310101T000000Z',
  'DTSTART:20310302T070000Z',
  'DTEND:20310302T073000Z',
  'RRULE:FREQ=WEEKLY;COUNT=3',
  'SUMMARY:Standup',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-cal-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (req, res) => {
    const answer = routes.get(req.url ?? '');
    if (answer) answer(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  routes.set('/feed.ics', (res) => res.writeHead(200, { 'content-type': 'text/calendar' }).end(EXTERNAL_ICS));
  routes.set('/to-metadata', (res) => res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/' }).end());
  routes.set('/to-feed', (res) => res.writeHead(301, { location: '/feed.ics' }).end());
  routes.set('/huge.ics', (res) => {
    res.writeHead(200, { 'content-type': 'text/calendar' });
    res.end('BEGIN:VCALENDAR\r\n' + 'X'.repeat(3_000) + '\r\nEND:VCALENDAR\r\n');
  });
  routes.set('/slow.ics', (res) => setTimeout(() => res.writeHead(200).end(EXTERNAL_ICS), 1_500));
  routes.set('/not-ics', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

/** The fetcher through its test seam: loopback allowed, the test's CA trusted. */
const loopbackFetcher = (over: { maxBytes?: number; timeoutMs?: number } = {}) =>
  new SafeFetcher({ ...over, testSeam: { policy: (ip) => ip === '127.0.0.1', ca } });

describe('external calendars', () => {
  it('are the caller’s own: listed, read, changed and deleted by them only; at most 10', async () => {
    const mine = await createExternalCalendar(deps, call('rep2'), { name: 'Private', url: 'https://cal.example.com/a.ics' });
    expect((await listExternalCalendars(deps, call('rep2'))).items.map((c) => c.id)).toEqual([mine.id]);
    expect((await listExternalCalendars(deps, call('rep1'))).items.map((c) => c.id)).not.toContain(mine.id);
    await expect(getExternalCalendar(deps, call('rep1'), mine.id)).rejects.toThrow(NotFoundError);
    await expect(updateExternalCalendar(deps, call('rep1'), mine.id, { name: 'Mine now' })).rejects.toThrow(NotFoundError);
    await expect(deleteExternalCalendar(deps, call('rep1'), mine.id)).rejects.toThrow(NotFoundError);
    expect((await updateExternalCalendar(deps, call('rep2'), mine.id, { name: 'Renamed' })).name).toBe('Renamed');
    for (let i = 1; i < 10; i++) {
      await createExternalCalendar(deps, call('rep2'), { name: `C${i}`, url: `https://cal.example.com/${i}.ics` });
    }
    await expect(
      createExternalCalendar(deps, call('rep2'), { name: 'Eleventh', url: 'https://cal.example.com/11.ics' }),
    ).rejects.toThrow(ConflictError);
    for (const c of (await listExternalCalendars(deps, call('rep2'))).items)
      await deleteExternalCalendar(deps, call('rep2'), c.id);
    expect((await listExternalCalendars(deps, call('rep2'))).items).toEqual([]);
  });

  it('are refreshed from a feed served on loopback and shown read-only in GET /calendar beside appointments and tasks', async () => {
    const feed = await createExternalCalendar(deps, call('rep1'), { name: 'Personal', url: `${base}/to-feed` });
    const bad = await createExternalCalendar(deps, call('rep1'), { name: 'Metadata', url: `${base}/to-metadata` });
    const outcomes = await refreshExternalCalendars({ externals: deps.externals, reader: loopbackFetcher(), clock });
    expect(outcomes.find((o) => o.id === feed.id)).toEqual({ id: feed.id, outcome: 'refreshed', events: 5 });
    expect(outcomes.find((o) => o.id === bad.id)).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('address_not_public'),
    });
    expect(await getExternalCalendar(deps, call('rep1'), feed.id)).toMatchObject({
      refreshed_at: now.toISOString(),
      last_error: null,
      event_count: 5,
    });
    expect((await getExternalCalendar(deps, call('rep1'), bad.id)).last_error).toContain('169.254.169.254');

    const { items } = await calendarEntries(deps, call('rep1'), { from: '2031-03-04T00:00:00Z', to: '2031-03-07T00:00:00Z' });
    const titles = items.map((e) => e.title);
    expect(titles).toEqual(['Dentist', 'Kick-off, with Ada; and Bob', 'Task: Call Ada', 'Holiday']);
    expect(items.filter((e) => e.source === 'external').every((e) => e.read_only && e.calendar_id === feed.id)).toBe(true);
    expect(items.filter((e) => e.source !== 'external').every((e) => !e.read_only)).toBe(true);
    // rep2 sees none of rep1's external events.
    const theirs = await calendarEntries(deps, call('rep2'), { from: '2031-03-04T00:00:00Z', to: '2031-03-07T00:00:00Z' });
    expect(theirs.items.some((e) => e.source === 'external')).toBe(false);

    // A new URL drops the former events until the next refresh.
    await updateExternalCalendar(deps, call('rep1'), feed.id, { url: `${base}/not-ics` });
    expect(await deps.externals.events(feed.id)).toEqual([]);
    const again = await refreshExternalCalendars({ externals: deps.externals, reader: loopbackFetcher(), clock });
    expect(again.find((o) => o.id === feed.id)).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('not an iCalendar'),
    });
    await deleteExternalCalendar(deps, call('rep1'), feed.id);
    await deleteExternalCalendar(deps, call('rep1'), bad.id);
  });
});

describe('the fetch guard', () => {
  const refused = async (fetcher: SafeFetcher, url: string) => {
    const error = await fetcher.text(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, url).toBeInstanceOf(ExternalFetchError);
    return (error as ExternalFetchError).reason;
  };

  it('in production refuses loopback, private, link-local (instance metadata) and IPv6 loopback addresses, and plain http', async () => {
    const production = new SafeFetcher({ timeoutMs: 2_000 });
    const port = (server.address() as AddressInfo).port;
    expect(await refused(production, `https://127.0.0.1:${port}/feed.ics`)).toBe('address_not_public');
    expect(await refused(production, `https://localhost:${port}/feed.ics`)).toBe('address_not_public');
    expect(await refused(production, 'https://10.0.0.1/feed.ics')).toBe('address_not_public');
    expect(await refused(production, 'https://169.254.169.254/latest/meta-data/')).toBe('address_not_public');
    expect(await refused(production, `https://[::1]:${port}/feed.ics`)).toBe('address_not_public');
    expect(await refused(production, 'https://[::ffff:127.0.0.1]/feed.ics')).toBe('address_not_public');
    expect(await refused(production, 'https://192.168.1.10/feed.ics')).toBe('address_not_public');
    expect(await refused(production, `http://127.0.0.1:${port}/feed.ics`)).toBe('not_https');
  });

  it('refuses a redirect to a private address, and answers over the size and time limits', async () => {
    expect(await refused(loopbackFetcher(), `${base}/to-metadata`)).toBe('address_not_public');
    expect(await refused(loopbackFetcher({ maxBytes: 1_000 }), `${base}/huge.ics`)).toBe('too_large');
    expect(await refused(loopbackFetcher({ timeoutMs: 300 }), `${base}/slow.ics`)).toBe('timed_out');
    expect(await loopbackFetcher().text(`${base}/to-feed`)).toBe(EXTERNAL_ICS);
  });

  it('opens its test seam only under vitest', () => {
    const saved = process.env.VITEST;
    process.env.VITEST = '';
    try {
      expect(() => loopbackFetcher()).toThrow(/tests only/);
    } finally {
      process.env.VITEST = saved;
    }
  });
});
