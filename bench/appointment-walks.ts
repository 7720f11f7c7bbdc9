import { dynamoDocumentClient } from '#shared/platform/dynamodb/client.ts';
import { PAGE_BUDGET } from '#shared/platform/dynamodb/table.ts';
import { callContext } from '#shared/kernel/ports.ts';
import { appointmentAdapters } from '#shared/appointments/runtime.ts';
import { createAppointment } from '#shared/appointments/use-cases.ts';
import { runtimeClock, runtimeIds } from '#shared/platform/runtime.ts';
import type { User } from '#shared/identity/domain.ts';
import { findRoute, httpEvent, invokeOk, loadHandler } from './events.ts';
import { callerOf, type Fixture } from './local.ts';
import { RequestMeter } from './meter.ts';

// Appointment lists walked to their end: a month of a team's calendars (400 appointments of
// rep1 and rep2, half of them attended by the other rep, among another year of them), read as
// GET /appointments?start_from&start_to by the rep, the manager (three calendars, each shared
// appointment once) and the admin, and one calendar by attendee_id. Runs after the request
// cases: it adds appointments to the fixture's table.

export interface AppointmentWalkResult {
  readonly label: string;
  readonly role: string;
  /** Appointments the walk returned. */
  readonly items: number;
  readonly limit: number;
  readonly calls: number;
  readonly queries: number;
  /** Items DynamoDB evaluated (ScannedCount summed): a manager's reads include the shared entries dropped. */
  readonly itemsRead: number;
  readonly maxQueriesPerCall: number;
  readonly queryBound: number;
  /** Every appointment at most once. */
  readonly distinct: boolean;
}

const SYSTEM = { user_id: 'system', email: '', role: 'admin' as const, direct_reports: [] };
/** The month walked, and the year of appointments around it. */
const MONTH = { start_from: '2031-03-01T00:00:00Z', start_to: '2031-03-31T23:59:59Z' };

export async function measureAppointmentWalks(fixture: Fixture): Promise<AppointmentWalkResult[]> {
  const { admin, manager, rep1, rep2 } = fixture.users;
  const call = callContext(SYSTEM, 'bench-appointments', runtimeClock, runtimeIds);
  const deps = appointmentAdapters();
  const make = async (owner: User, other: User, start: number, i: number) =>
    createAppointment(deps, call, {
      name: `Walk visit ${i}`,
      start_at: new Date(start).toISOString(),
      end_at: new Date(start + 1_800_000).toISOString(),
      owner_id: owner.id,
      attendees: i % 2 === 0 ? [{ type: 'user', id: other.id }] : [],
    });
  // 200 a rep in March 2031, 10 a rep in each other month of 2031.
  for (let i = 0; i < 200; i++) {
    const start = Date.UTC(2031, 2, 1 + (i % 31), 8 + (i % 9), (i * 7) % 60);
    await make(rep1, rep2, start, i);
    await make(rep2, rep1, start + 60_000, i);
  }
  for (let month = 0; month < 12; month++) {
    if (month === 2) continue;
    for (let i = 0; i < 10; i++) await make(i % 2 ? rep1 : rep2, i % 2 ? rep2 : rep1, Date.UTC(2031, month, 1 + i, 9), i);
  }

  const meter = new RequestMeter({ idempotencyPk: 'idempotency' });
  const detach = meter.attach(dynamoDocumentClient());
  const route = findRoute('GET /appointments');
  const handler = await loadHandler(route);
  const results: AppointmentWalkResult[] = [];
  const walk = async (label: string, role: string, as: User, query: Record<string, string>, partitions: number) => {
    const ids: string[] = [];
    let calls = 0;
    let queries = 0;
    let itemsRead = 0;
    let maxQueries = 0;
    let cursor: string | undefined;
    meter.take();
    do {
      const event = httpEvent(route, callerOf(as), { query: { ...query, ...(cursor ? { cursor } : {}) } });
      const result = await invokeOk(handler, event, 'crm-bench-appointments');
      const body = JSON.parse(result.body ?? '{}') as { items: { id: string }[]; next_cursor: string | null };
      const mine = meter.take().filter((r) => r.phase === 'route');
      const q = mine.filter((r) => r.operation === 'Query');
      queries += q.length;
      itemsRead += q.reduce((sum, r) => sum + (r.scanned ?? 0), 0);
      maxQueries = Math.max(maxQueries, q.length);
      calls++;
      ids.push(...body.items.map((a) => a.id));
      cursor = body.next_cursor ?? undefined;
    } while (cursor);
    results.push({
      label,
      role,
      items: ids.length,
      limit: Number(query.limit),
      calls,
      queries,
      itemsRead,
      maxQueriesPerCall: maxQueries,
      queryBound: PAGE_BUDGET.rounds * partitions,
      distinct: new Set(ids).size === ids.length,
    });
  };
  try {
    await walk('a month, own calendar', 'rep', rep1, { ...MONTH, limit: '50' }, 1);
    await walk('a month, the team (3 calendars)', 'manager', manager, { ...MONTH, limit: '50' }, 3);
    await walk('a month, rep2 by attendee_id', 'manager', manager, { ...MONTH, attendee_id: rep2.id, limit: '50' }, 1);
    await walk('a month, everyone', 'admin', admin, { ...MONTH, limit: '100' }, 1);
  } finally {
    detach();
  }
  return results;
}

/** Every walk listed each appointment once, within the per-call Query bound. */
export function appointmentWalksVerdict(results: readonly AppointmentWalkResult[]): 'PASS' | 'FAIL' {
  return results.every((r) => r.distinct && r.maxQueriesPerCall <= r.queryBound) ? 'PASS' : 'FAIL';
}
