import { describe, expect, it } from 'vitest';
import { dashboardRoute } from '#shared/dashboard/routes.ts';
import type { Dashboard } from '#shared/dashboard/domain.ts';
import { updateDealRoute } from '#shared/deals/routes.ts';
import { convertLeadRoute } from '#shared/lead-conversion/routes.ts';
import { createLeadRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import { outcomeWindowRoute } from '#shared/outcomes/routes.ts';
import { listStagesRoute, namedListRouteSets } from '#shared/pipelines/routes.ts';
import { createTaskRoute, updateTaskRoute } from '#shared/tasks/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// The dashboard over the whole local cloud (API, outbox stream, bus, the deal-outcomes
// consumer): a rep's walk from a lead to a won deal shows on their dashboard and their
// manager's, step by step, on the admin's too, and never on another rep's. The bus is
// asynchronous: each step is awaited with a generous timeout, not timed.

const { call } = useTestCloud();
const WHO = ['rep1', 'manager', 'rep2', 'admin'] as const;
type Who = (typeof WHO)[number];

async function dashboardOf(who: Who): Promise<Dashboard> {
  return bodyOf(await call(dashboardRoute, { as: who, query: {} })) as Dashboard;
}

async function eventually(who: Who, ok: (d: Dashboard) => boolean, ms = 15_000): Promise<Dashboard> {
  const deadline = Date.now() + ms;
  for (;;) {
    const dashboard = await dashboardOf(who);
    if (ok(dashboard) || Date.now() > deadline) return dashboard;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the walk moves: deals in the first and the won stage, won count and value, unqualified leads, open tasks. */
interface Snapshot {
  first: number;
  won: number;
  wonCount: number;
  wonEur: string;
  leadsUnqualified: number;
  tasks: string[];
}
const snapshot = (d: Dashboard): Snapshot => ({
  first: d.pipeline?.stages[0]?.count ?? 0,
  won: d.pipeline?.stages.find((s) => s.category === 'won')?.count ?? 0,
  wonCount: d.outcomes.won.count,
  wonEur: d.outcomes.won.values.find((v) => v.currency === 'EUR')?.value ?? '0.00',
  leadsUnqualified: d.outcomes.leads_unqualified.count,
  tasks: d.tasks.items.map((t) => t.content),
});
const plus = (a: string, b: string) => (Number(a) + Number(b)).toFixed(2);

describe('GET /dashboard', () => {
  it('shows a rep’s walk from lead to won deal to them, their manager and the admin, and not to another rep', async () => {
    const before = Object.fromEntries(
      await Promise.all(WHO.map(async (w) => [w, snapshot(await dashboardOf(w))] as const)),
    ) as Record<Who, Snapshot>;
    const empty = await dashboardOf('rep1');
    expect(empty.appointments).toEqual({ items: [], more: false });
    // A rep's panel holds only entries of records they own.
    const rep1Id = bodyOf(await call(createLeadRoute, { as: 'rep1', body: { last_name: 'Owner probe' } }), 201).owner_id;
    expect(empty.activities.items.every((a) => a.owner_id === rep1Id)).toBe(true);
    expect(empty.outcomes.time_zone).toBeTruthy();

    // A lead, converted with a deal: the deal shows in the first stage (its board counters).
    const lead = bodyOf(await call(createLeadRoute, { as: 'rep1', body: { first_name: 'Dana', last_name: 'Board' } }), 201);
    const converted = bodyOf(
      await call(convertLeadRoute, {
        as: 'rep1',
        params: { id: lead.id },
        body: { deal: { name: 'Dashboard deal', value: '2500.00', currency: 'EUR' } },
      }),
    );
    const deal = converted.deal!;
    for (const who of ['rep1', 'manager', 'admin'] as const) {
      expect(snapshot(await dashboardOf(who)).first, who).toBe(before[who].first + 1);
    }

    // A task on the deal: open in the rep's panel (overdue first, flagged), then completed.
    const overdue = bodyOf(
      await call(createTaskRoute, {
        as: 'rep1',
        body: {
          content: 'Dashboard: send the offer',
          due_date: '2020-01-01T09:00:00Z',
          resource_type: 'deal',
          resource_id: deal.id,
        },
      }),
      201,
    );
    const rep1Tasks = (await dashboardOf('rep1')).tasks.items;
    expect(rep1Tasks[0]).toMatchObject({ id: overdue.id, overdue: true });
    expect((await call(updateTaskRoute, { as: 'rep1', params: { id: overdue.id }, body: { completed: true } })).status).toBe(200);
    expect(snapshot(await dashboardOf('rep1')).tasks).toEqual(before.rep1.tasks);

    // Another lead, unqualified: counted in the window once the consumer has it.
    const reasons = bodyOf(
      await call(namedListRouteSets.find((s) => s.kind === 'lead_unqualified_reason')!.list, { as: 'rep1' }),
    );
    const cold = bodyOf(await call(createLeadRoute, { as: 'rep1', body: { organization_name: 'Cold Ltd' } }), 201);
    expectStatus(
      await call(updateLeadRoute, {
        as: 'rep1',
        params: { id: cold.id },
        body: { status: 'unqualified', unqualified_reason_id: reasons.items[0]!.id },
      }),
      200,
    );

    // Won: the board's won column at once, the outcome window through the bus.
    const stages = bodyOf(await call(listStagesRoute, { as: 'rep1', query: { pipeline_id: deal.pipeline_id } }));
    const won = stages.items.find((s) => s.category === 'won')!;
    expectStatus(await call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body: { stage_id: won.id } }), 200);
    for (const who of ['rep1', 'manager', 'admin'] as const) {
      const was = before[who];
      const now = snapshot(
        await eventually(
          who,
          (d) => d.outcomes.won.count > was.wonCount && d.outcomes.leads_unqualified.count > was.leadsUnqualified,
        ),
      );
      expect(now, who).toMatchObject({
        first: was.first,
        won: was.won + 1,
        wonCount: was.wonCount + 1,
        wonEur: plus(was.wonEur, '2500.00'),
        leadsUnqualified: was.leadsUnqualified + 1,
      });
    }
    // The activity panel (the feed, through the bus): every step, for the rep, their manager
    // and the admin; none of it for another rep.
    const steps = [
      [lead.id, 'created'],
      [deal.id, 'created'],
      [overdue.id, 'created'],
      [overdue.id, 'completed'],
      [cold.id, 'created'],
      [cold.id, 'status_changed'],
      [deal.id, 'stage_changed'],
    ];
    const walk = new Set(steps.map(([id]) => id));
    const seen = (d: Dashboard) => d.activities.items.filter((a) => walk.has(a.record.id)).map((a) => [a.record.id, a.verb]);
    for (const who of ['rep1', 'manager', 'admin'] as const) {
      const dashboard = await eventually(who, (d) => seen(d).length >= steps.length);
      expect(seen(dashboard), who).toEqual(expect.arrayContaining(steps));
    }
    expect(seen(await dashboardOf('rep2'))).toEqual([]);

    // The rep's own window says the same as the dashboard, and another rep sees none of it.
    const window = bodyOf(await call(outcomeWindowRoute, { as: 'rep1', query: {} }));
    expect(window.won.count).toBe(before.rep1.wonCount + 1);
    expect(snapshot(await dashboardOf('rep2'))).toEqual(before.rep2);
    // A rep cannot widen their window to someone else's.
    const peek = bodyOf(await call(outcomeWindowRoute, { as: 'rep2', query: { user_id: converted.deal!.owner_id } }));
    expect(peek.won.count).toBe(0);
  });

  it('refuses a window over a year or backwards, naming the field', async () => {
    const long = await call(outcomeWindowRoute, { as: 'rep1', query: { from: '2024-01-01', to: '2026-01-01' } });
    expectStatus(long, 422);
    expect(long.body.errors?.[0]?.field).toBe('query.from');
    const backwards = await call(dashboardRoute, { as: 'rep1', query: { from: '2026-02-01', to: '2026-01-01' } });
    expectStatus(backwards, 422);
    expect(backwards.body.errors?.[0]?.field).toBe('query.from');
  });
});
