import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '#infra/config/load.ts';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { listAutomationsRoute } from '#shared/automations/routes.ts';
import { createDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { listPipelinesRoute, listStagesRoute } from '#shared/pipelines/routes.ts';
import { deleteTaskRoute, listTasksRoute } from '#shared/tasks/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// A config automation on the whole local cloud: "deal moved to Quote → task 'Send the quote'
// for the owner, due in 2 days" creates exactly one task, also when the bus delivers the event
// twice (one after the other, and at once), and an archive replay creates no task again, even
// once the task was deleted. GET /automations shows the runs to admins only.

const QUOTE_AUTOMATION = {
  name: 'quote-follow-up',
  trigger: { event: 'deal.stage_changed', stage: 'quote' },
  actions: [{ type: 'create_task', name: 'send-quote', content: 'Send the quote', assignee: 'owner', due_in: '2d' }],
};
const stageChanges: BusEvent[] = [];
const session = useTestCloud({
  config: parseConfig({ ...loadConfig(), automations: [QUOTE_AUTOMATION] }),
  extraRules: [
    {
      name: 'test-stage-changes',
      pattern: { source: ['crm'], 'detail-type': ['deal.stage_changed'] },
      target: async (e) => void stageChanges.push(e),
    },
  ],
});
const { call } = session;
let quote: string;

beforeAll(async () => {
  const pipelineId = bodyOf(await call(listPipelinesRoute, { as: 'admin' })).items[0]!.id;
  const stages = bodyOf(await call(listStagesRoute, { as: 'admin', query: { pipeline_id: pipelineId } })).items;
  quote = stages.find((s) => s.name === 'Quote')!.id;
});

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tasksOf = async (dealId: string) =>
  bodyOf(await call(listTasksRoute, { as: 'admin', query: { resource_type: 'deal', resource_id: dealId } })).items;

/** A deal of rep1 moved to Quote; resolves with its one task once the automation made it. */
async function dealMovedToQuote() {
  const deal = bodyOf(await call(createDealRoute, { as: 'rep1', body: { name: `Quoted ${Date.now()}` } }), 201);
  bodyOf(await call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body: { stage_id: quote } }));
  const tasks = await until('the automation to create the task', async () => {
    const found = await tasksOf(deal.id);
    return found.length > 0 ? found : undefined;
  });
  const event = await until('the stage change on the bus', async () =>
    stageChanges.find((e) => (e.detail as DomainEvent).metadata.resource_id === deal.id),
  );
  return { deal, tasks, event };
}

/** Puts the same domain event on the bus again, as a redelivery or a redrive does. */
async function deliverAgain(event: BusEvent) {
  session.cloud.bus.put([{ Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail) }]);
}

describe('a config automation on the local cloud', () => {
  it('creates exactly one task for the owner, due in 2 days, also when the event is delivered twice', async () => {
    const { deal, tasks, event } = await dealMovedToQuote();
    expect(tasks).toHaveLength(1);
    const rep1 = bodyOf(await call(listTasksRoute, { as: 'rep1', query: { resource_type: 'deal', resource_id: deal.id } }))
      .items[0]!;
    expect(rep1).toMatchObject({ content: 'Send the quote', owner_id: deal.owner_id, creator_id: 'system' });
    const occurred = Date.parse((event.detail as DomainEvent).metadata.occurred_at);
    expect(Date.parse(rep1.due_date!) - occurred).toBe(2 * 86_400_000);

    await deliverAgain(event);
    await Promise.all([deliverAgain(event), deliverAgain(event)]);
    await session.cloud.bus.idle();
    expect(await tasksOf(deal.id)).toHaveLength(1);

    const listed = bodyOf(await call(listAutomationsRoute, { as: 'admin' }));
    expect(listed.items).toEqual([
      expect.objectContaining({
        name: 'send-quote',
        automation: 'quote-follow-up',
        trigger: 'deal.stage_changed:quote',
        type: 'create_task',
        failures: 0,
      }),
    ]);
    expect(listed.items[0]!.runs).toBeGreaterThanOrEqual(1);
    for (const who of ['manager', 'rep1'] as const) {
      expect((await call(listAutomationsRoute, { as: who })).status).toBe(403);
    }
  });

  it('creates no task again when the bus archive is replayed, even once the task is deleted', async () => {
    const from = new Date(Date.now() - 1000);
    const { deal, event } = await dealMovedToQuote();
    const to = new Date(Date.now() + 1000);
    await session.cloud.bus.idle();
    const eventId = (event.detail as DomainEvent).metadata.event_id;
    // The owner deletes the task: a replay reaching the automation must not make it again.
    const [task] = await tasksOf(deal.id);
    expect((await call(deleteTaskRoute, { as: 'admin', params: { id: task!.id } })).status).toBe(204);
    const runsBefore = bodyOf(await call(listAutomationsRoute, { as: 'admin' })).items[0]!.runs;
    stageChanges.length = 0;
    const report = await session.cloud.replay({ from, to });
    expect(report.events).toBeGreaterThanOrEqual(2);
    // The replay reached rules without side effects...
    expect(stageChanges.some((e) => (e.detail as DomainEvent).metadata.event_id === eventId)).toBe(true);
    await session.cloud.bus.idle();
    // ...and not the automation (its rule refuses replays): no task again, no run.
    expect(await tasksOf(deal.id)).toEqual([]);
    expect(bodyOf(await call(listAutomationsRoute, { as: 'admin' })).items[0]!.runs).toBe(runsBefore);
  });
});
