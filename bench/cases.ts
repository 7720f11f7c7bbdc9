import type { User } from '#shared/identity/domain.ts';
import type { RequestParts } from './events.ts';
import type { Fixture } from './local.ts';
import type { RequestTarget } from './targets.ts';

// The routes whose DynamoDB requests the bench counts: one line per case. A new resource
// family adds its records to the Fixture (bench/local.ts) and its routes here.

export interface CaseContext {
  readonly fixture: Fixture;
  /** Unique per invocation: fresh e-mails, names. */
  readonly n: number;
  /** A user's stored version (for If-Match); not counted. */
  readonly userVersion: (id: string) => Promise<number>;
  /** Calls a route and answers its JSON body (say, to get a cursor); not counted. */
  readonly call: (route: string, as: User, parts?: RequestParts) => Promise<unknown>;
}

export interface RequestCase {
  /** The route key, as in the contracts: "GET /users/{id}". */
  readonly route: string;
  /** What the table shows; the route key by default. */
  readonly label?: string;
  readonly as: (fixture: Fixture) => User;
  readonly target: RequestTarget;
  readonly request?: (context: CaseContext) => RequestParts | Promise<RequestParts>;
}

const get: RequestTarget = { kind: 'get' };
const list: RequestTarget = { kind: 'list' };
const write: RequestTarget = { kind: 'write' };

const admin = (f: Fixture) => f.users.admin;
const manager = (f: Fixture) => f.users.manager;
const rep = (f: Fixture) => f.users.rep1;

const firstUsersPage = { query: { limit: '2' } };
/** The week the fixture's appointments fall in (bench/local.ts). */
const appointmentWeek = { start_from: '2030-01-07T00:00:00Z', start_to: '2030-01-13T23:59:59Z' };

/** A capture form owned by rep1 that takes a submission at once (no minimum fill time). */
const captureForm = (c: CaseContext) => ({
  name: `Bench form ${c.n}`,
  fields: [{ name: 'name', label: 'Name', type: 'text', required: true, maps_to: { lead_field: 'last_name' } }],
  owner: { type: 'user', user_id: c.fixture.users.rep1.id },
  thank_you: { type: 'message', message: 'Thanks' },
  min_fill_seconds: 0,
});

export const requestCases: readonly RequestCase[] = [
  { route: 'GET /users/self', as: manager, target: get },
  { route: 'GET /users/{id}', as: manager, target: get, request: (c) => ({ params: { id: c.fixture.users.rep1.id } }) },
  { route: 'GET /users', label: 'GET /users (page 1)', as: manager, target: list, request: () => firstUsersPage },
  {
    route: 'GET /users',
    label: 'GET /users (page 2)',
    as: manager,
    target: list,
    request: async (c) => {
      const first = (await c.call('GET /users', c.fixture.users.manager, firstUsersPage)) as { next_cursor: string | null };
      if (!first.next_cursor) throw new Error('GET /users: the fixture holds too few users for a second page');
      return { query: { ...firstUsersPage.query, cursor: first.next_cursor } };
    },
  },
  {
    route: 'GET /users',
    label: 'GET /users?team_id',
    as: rep,
    target: list,
    request: (c) => ({ query: { team_id: c.fixture.teams.east.id } }),
  },
  {
    route: 'POST /users',
    as: admin,
    target: write,
    request: (c) => ({
      body: { name: `New Hire ${c.n}`, email: `new${c.n}@example.com`, role: 'user', team_id: c.fixture.teams.west.id },
    }),
  },
  {
    route: 'POST /users',
    label: 'POST /users + Idempotency-Key',
    as: admin,
    target: write,
    request: (c) => ({
      body: { name: `New Hire ${c.n}`, email: `new${c.n}@example.com`, role: 'user' },
      headers: { 'idempotency-key': `bench-${c.n}` },
    }),
  },
  {
    route: 'PATCH /users/{id}',
    as: admin,
    target: write,
    request: async (c) => {
      const id = c.fixture.users.rep2.id;
      return { params: { id }, body: { name: `Ravi Rep ${c.n}` }, headers: { 'if-match': `"${await c.userVersion(id)}"` } };
    },
  },
  { route: 'GET /teams', as: rep, target: list },
  { route: 'GET /account', as: rep, target: get },

  // Deals: a rep's scope is 1 owner, the manager's 3 (self + 2 reports), an admin's "all".
  { route: 'GET /deals/{id}', as: rep, target: get, request: (c) => ({ params: { id: c.fixture.deals.rep1[0]!.id } }) },
  { route: 'GET /deals', label: 'GET /deals (rep)', as: rep, target: list, request: () => ({ query: { limit: '25' } }) },
  {
    route: 'GET /deals',
    label: 'GET /deals (manager)',
    as: manager,
    target: { kind: 'list', owners: 3 },
    request: () => ({ query: { limit: '25' } }),
  },
  { route: 'GET /deals', label: 'GET /deals (admin)', as: admin, target: list, request: () => ({ query: { limit: '25' } }) },
  {
    route: 'GET /deals',
    label: 'GET /deals?stage_id (manager)',
    as: manager,
    target: { kind: 'list', owners: 3 },
    request: (c) => ({ query: { stage_id: c.fixture.stages[1]!.id } }),
  },
  {
    route: 'POST /deals',
    as: rep,
    target: write,
    request: (c) => ({ body: { name: `Bench deal ${c.n}`, value: '100.00', stage_id: c.fixture.stages[0]!.id } }),
  },
  {
    route: 'PATCH /deals/{id}',
    label: 'PATCH /deals/{id} (stage move)',
    as: rep,
    target: write,
    request: (c) => ({
      params: { id: c.fixture.deals.rep1[c.n % 10]!.id },
      body: { stage_id: c.fixture.stages[(c.n % 3) + 1]!.id },
    }),
  },
  {
    route: 'GET /deals/summary',
    label: 'GET /deals/summary (board)',
    as: manager,
    target: { kind: 'dashboard', max: 3 },
    request: (c) => ({ query: { pipeline_id: c.fixture.pipelineId } }),
  },

  // The dashboard (route's own requests, warm: the container knows the default pipeline): a rep
  // and an admin read one scope of each panel, a manager one outcome scope and one feed
  // partition per owner in scope (4 + 2 per owner); the upcoming appointments are the caller's
  // own calendar (1 Query).
  { route: 'GET /dashboard', label: 'GET /dashboard (rep)', as: rep, target: { kind: 'dashboard', max: 6 } },
  {
    route: 'GET /dashboard',
    label: 'GET /dashboard (manager, 2 reports)',
    as: manager,
    target: { kind: 'dashboard', max: 4 + 2 * 3 },
  },
  { route: 'GET /dashboard', label: 'GET /dashboard (admin)', as: admin, target: { kind: 'dashboard', max: 6 } },
  { route: 'GET /stats/outcomes', label: 'GET /stats/outcomes (rep, 30 days)', as: rep, target: list },
  {
    route: 'GET /stats/outcomes',
    label: 'GET /stats/outcomes (admin, a year)',
    as: admin,
    target: { kind: 'list', owners: 3 },
    request: () => ({ query: { from: '2025-12-02', to: '2026-12-01' } }),
  },

  // Leads, contacts, tasks, search.
  { route: 'GET /leads/{id}', as: rep, target: get, request: (c) => ({ params: { id: c.fixture.leads.rep1[0]!.id } }) },
  { route: 'GET /leads', label: 'GET /leads (rep)', as: rep, target: list },
  { route: 'GET /leads', label: 'GET /leads (manager)', as: manager, target: { kind: 'list', owners: 3 } },
  {
    route: 'GET /leads',
    label: 'GET /leads?status=new (admin)',
    as: admin,
    target: list,
    request: () => ({ query: { status: 'new' } }),
  },
  { route: 'POST /leads', as: rep, target: write, request: (c) => ({ body: { first_name: 'New', last_name: `Lead ${c.n}` } }) },
  {
    route: 'PATCH /leads/{id}',
    as: rep,
    target: write,
    request: (c) => ({ params: { id: c.fixture.leads.rep1[c.n % 10]!.id }, body: { title: `Buyer ${c.n}` } }),
  },
  {
    route: 'POST /leads/{id}/convert',
    label: 'POST /leads/{id}/convert (+deal)',
    as: rep,
    target: write,
    request: async (c) => {
      const lead = (await c.call('POST /leads', c.fixture.users.rep1, {
        body: { first_name: 'To', last_name: `Convert ${c.n}`, organization_name: `Org ${c.n}` },
      })) as { id: string };
      return { params: { id: lead.id }, body: { deal: { name: `Converted ${c.n}`, value: '500' } } };
    },
  },
  { route: 'GET /contacts/{id}', as: rep, target: get, request: (c) => ({ params: { id: c.fixture.contacts.rep1[0]!.id } }) },
  { route: 'GET /contacts', label: 'GET /contacts (manager)', as: manager, target: { kind: 'list', owners: 3 } },
  {
    route: 'POST /contacts',
    as: rep,
    target: write,
    request: (c) => ({ body: { first_name: 'New', last_name: `Contact ${c.n}` } }),
  },
  { route: 'GET /tasks', label: 'GET /tasks (rep)', as: rep, target: list },
  {
    route: 'GET /tasks',
    label: 'GET /tasks?overdue=true (manager)',
    as: manager,
    target: { kind: 'list', owners: 3 },
    request: () => ({ query: { overdue: 'true' } }),
  },
  {
    route: 'POST /tasks',
    as: rep,
    target: write,
    request: (c) => ({ body: { content: `Follow up ${c.n}`, due_date: '2030-01-01T09:00:00Z', reminder: '1h' } }),
  },
  // Appointments: a calendar page is 1 Query per calendar in scope (a manager's lists each
  // appointment once, however many of the team take part); a record's adds its owner's GetItem.
  {
    route: 'GET /appointments',
    label: 'GET /appointments (rep)',
    as: rep,
    target: list,
    request: () => ({ query: appointmentWeek }),
  },
  {
    route: 'GET /appointments',
    label: 'GET /appointments (manager, 3 calendars)',
    as: manager,
    target: { kind: 'list', owners: 3 },
    request: () => ({ query: appointmentWeek }),
  },
  {
    route: 'GET /appointments',
    label: 'GET /appointments (admin)',
    as: admin,
    target: list,
    request: () => ({ query: appointmentWeek }),
  },
  {
    route: 'GET /appointments',
    label: 'GET /appointments?attendee_id (manager)',
    as: manager,
    target: list,
    request: (c) => ({ query: { ...appointmentWeek, attendee_id: c.fixture.users.rep2.id } }),
  },
  {
    route: 'GET /appointments',
    label: 'GET /appointments (rep, page 2)',
    as: rep,
    target: list,
    request: async (c) => {
      const query = { ...appointmentWeek, limit: '3' };
      const first = (await c.call('GET /appointments', c.fixture.users.rep1, { query })) as { next_cursor: string | null };
      if (!first.next_cursor) throw new Error('GET /appointments: the fixture holds too few appointments for a second page');
      return { query: { ...query, cursor: first.next_cursor } };
    },
  },
  {
    route: 'GET /contacts/{id}/appointments',
    label: 'GET /contacts/{id}/appointments (rep)',
    as: rep,
    target: { kind: 'dashboard', max: 2 },
    request: (c) => ({ params: { id: c.fixture.contacts.rep1[0]!.id } }),
  },
  {
    route: 'GET /appointments/{id}',
    as: rep,
    target: get,
    request: (c) => ({ params: { id: c.fixture.appointments.rep1[0]!.id } }),
  },
  {
    route: 'POST /appointments',
    label: 'POST /appointments (user attendee, contact)',
    as: rep,
    target: write,
    request: (c) => ({
      body: {
        name: `Visit ${c.n}`,
        start_at: '2030-01-07T09:00:00Z',
        end_at: '2030-01-07T10:00:00Z',
        attendees: [{ type: 'user', id: c.fixture.users.rep2.id }],
        resource_type: 'contact',
        resource_id: c.fixture.contacts.rep1[0]!.id,
        reminder: '15m',
      },
    }),
  },
  // A record's documents: the record's owner (visibility), then one Query of its partition.
  {
    route: 'GET /contacts/{id}/documents',
    label: 'GET /contacts/{id}/documents (≤ 1 GetItem + 1 Query)',
    as: rep,
    target: { kind: 'dashboard', max: 2 },
    request: (c) => ({ params: { id: c.fixture.contacts.rep1[0]!.id } }),
  },
  {
    route: 'POST /documents',
    as: rep,
    target: write,
    request: (c) => ({
      body: {
        resource_type: 'contact',
        resource_id: c.fixture.contacts.rep1[0]!.id,
        filename: `quote-${c.n}.pdf`,
        content_type: 'application/pdf',
        size: 1024,
      },
    }),
  },
  // Capture forms: a page of forms and their counters (one batch read); a public submission
  // reads the form, counts the address, creates the lead (one transaction) and counts it.
  {
    route: 'GET /capture_forms',
    label: 'GET /capture_forms (1 Query + 1 BatchGetItem)',
    as: admin,
    target: { kind: 'dashboard', max: 2 },
    request: async (c) => {
      await c.call('POST /capture_forms', c.fixture.users.admin, { body: captureForm(c) });
      return { query: { limit: '25' } };
    },
  },
  {
    route: 'POST /forms/{id}/submissions',
    label: 'POST /forms/{id}/submissions (≤ 1 GetItem + 2 UpdateItem + the lead: ≤ 2 reads + 1 TransactWriteItems)',
    as: admin,
    target: { kind: 'dashboard', max: 6 },
    request: async (c) => {
      const form = (await c.call('POST /capture_forms', c.fixture.users.admin, { body: captureForm(c) })) as { id: string };
      const embed = (await c.call('GET /forms/{id}/embed', c.fixture.users.admin, { params: { id: form.id } })) as {
        form_token: string;
      };
      return { params: { id: form.id }, body: { form_token: embed.form_token, values: { name: `Bench lead ${c.n}` } } };
    },
  },
  { route: 'GET /search', label: 'GET /search (rep)', as: rep, target: list, request: () => ({ query: { q: 'carl' } }) },
  {
    route: 'GET /search',
    label: 'GET /search (manager)',
    as: manager,
    target: { kind: 'list', owners: 3 },
    request: () => ({ query: { q: 'carl' } }),
  },
  { route: 'GET /search', label: 'GET /search (admin)', as: admin, target: list, request: () => ({ query: { q: 'carl' } }) },
];
