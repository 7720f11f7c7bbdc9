import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDealRoute, deleteDealRoute, updateDealRoute } from '#shared/deals/routes.ts';
import { convertLeadRoute } from '#shared/lead-conversion/routes.ts';
import { createLeadRoute, deleteLeadRoute, updateLeadRoute } from '#shared/leads/routes.ts';
import { createNoteRoute } from '#shared/notes/routes.ts';
import { OUTCOME_BUCKET_KIND, OUTCOME_HEAD_KIND } from '#shared/outcomes/dynamodb.ts';
import { listPipelinesRoute, listStagesRoute, namedListRouteSets } from '#shared/pipelines/routes.ts';
import { tableSpec } from '#shared/platform/dynamodb/table-spec.ts';
import { createTaskRoute, updateTaskRoute } from '#shared/tasks/routes.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// The read models are projections of the event stream (issue 11, X7): the activity feed and the
// outcome counters, deleted, are rebuilt by replaying the bus archive in shuffled order (AWS
// replays are unordered) to exactly the same items, compared as full dumps. And a replay has
// no side effects: every other item of the table is byte-identical afterwards (contact-status,
// the directory sync and the migrations ignore replayed events).

const session = useTestCloud({ functionSettings: { logLevel: 'ERROR' } });
const { call, table } = session;

/** Every item kind the read-model consumers write (the feed's entries and heads, the buckets and the records' heads). */
const READ_MODEL_KINDS = new Set(['activity', 'activity_head', OUTCOME_BUCKET_KIND, OUTCOME_HEAD_KIND]);

type Item = Record<string, unknown>;
const keyOf = (item: Item) => `${String(item[tableSpec.partitionKey])}|${String(item[tableSpec.sortKey])}`;

async function dump(): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table().send(new ScanCommand({ TableName: session.cloud.names.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

const isReadModel = (item: Item) => READ_MODEL_KINDS.has(String(item[tableSpec.kindAttribute]));

/**
 * The whole table once the stream, the bus and the mail queue have delivered everything (two
 * equal dumps in a row). The mail queue delays each request by 5 s to group a burst, so two
 * equal dumps alone can catch an alert e-mail still pending (it failed CI that way).
 */
async function settled(): Promise<Item[]> {
  const deadline = Date.now() + 30_000;
  let last = JSON.stringify(await dump());
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    await session.cloud.bus.idle();
    await session.cloud.mailDrained();
    const now = await dump();
    const text = JSON.stringify(now);
    if (text === last) return now;
    if (Date.now() > deadline) throw new Error('the table did not settle within 30 s');
    last = text;
  }
}

async function wipe(items: readonly Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25).map((item) => ({
      DeleteRequest: {
        Key: { [tableSpec.partitionKey]: item[tableSpec.partitionKey], [tableSpec.sortKey]: item[tableSpec.sortKey] },
      },
    }));
    await table().send(new BatchWriteCommand({ RequestItems: { [session.cloud.names.tableName]: batch } }));
  }
}

/** A sales week: leads, a conversion, tasks, notes, wins, a loss taken back, owner changes, deletes. */
async function salesWeek(): Promise<void> {
  const pipeline = bodyOf(await call(listPipelinesRoute, { as: 'admin' })).items[0]!;
  const stages = bodyOf(await call(listStagesRoute, { as: 'admin', query: { pipeline_id: pipeline.id } })).items;
  const first = stages.find((s) => s.category === 'active')!;
  const won = stages.find((s) => s.category === 'won')!;
  const lost = stages.find((s) => s.category === 'lost')!;
  const lossReasons = bodyOf(await call(namedListRouteSets.find((s) => s.kind === 'loss_reason')!.list, { as: 'rep2' }));
  const reasons = bodyOf(await call(namedListRouteSets.find((s) => s.kind === 'lead_unqualified_reason')!.list, { as: 'rep1' }));

  const lead = bodyOf(await call(createLeadRoute, { as: 'rep1', body: { first_name: 'Ria', last_name: 'Replay' } }), 201);
  const converted = bodyOf(
    await call(convertLeadRoute, {
      as: 'rep1',
      params: { id: lead.id },
      body: { deal: { name: 'Replay deal', value: '2500.00', currency: 'EUR' } },
    }),
  );
  const deal = converted.deal!;
  const task = bodyOf(
    await call(createTaskRoute, {
      as: 'rep1',
      body: { content: 'Call Ria', due_date: '2026-12-02T09:00:00Z', resource_type: 'deal', resource_id: deal.id },
    }),
    201,
  );
  expectStatus(await call(updateTaskRoute, { as: 'rep1', params: { id: task.id }, body: { completed: true } }), 200);
  expectStatus(
    await call(createNoteRoute, {
      as: 'rep1',
      body: { content: 'Met at the fair', resource_type: 'contact', resource_id: converted.contact!.id },
    }),
    201,
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
  expectStatus(await call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body: { stage_id: won.id } }), 200);

  // rep2: a deal lost, then taken back to the first stage (out of the lost bucket), another won
  // and then deleted (out of the won bucket), one reassigned by the manager to rep1.
  const lostDeal = bodyOf(await call(createDealRoute, { as: 'rep2', body: { name: 'Lost then not', value: '100.00' } }), 201);
  expectStatus(
    await call(updateDealRoute, {
      as: 'rep2',
      params: { id: lostDeal.id },
      body: { stage_id: lost.id, loss_reason_id: lossReasons.items[0]!.id },
    }),
    200,
  );
  expectStatus(await call(updateDealRoute, { as: 'rep2', params: { id: lostDeal.id }, body: { stage_id: first.id } }), 200);
  const gone = bodyOf(await call(createDealRoute, { as: 'rep2', body: { name: 'Won then deleted', value: '40.00' } }), 201);
  expectStatus(await call(updateDealRoute, { as: 'rep2', params: { id: gone.id }, body: { stage_id: won.id } }), 200);
  expectStatus(await call(deleteDealRoute, { as: 'rep2', params: { id: gone.id } }), 204);
  const moved = bodyOf(await call(createDealRoute, { as: 'rep2', body: { name: 'Moves to rep1', value: '70.00' } }), 201);
  expectStatus(await call(updateDealRoute, { as: 'rep2', params: { id: moved.id }, body: { stage_id: won.id } }), 200);
  expectStatus(
    await call(updateDealRoute, { as: 'manager', params: { id: moved.id }, body: { owner_id: session.id('rep1') } }),
    200,
  );
  const brief = bodyOf(await call(createLeadRoute, { as: 'rep2', body: { last_name: 'Brief' } }), 201);
  expectStatus(await call(deleteLeadRoute, { as: 'rep2', params: { id: brief.id } }), 204);
}

describe('rebuilding the read models by replaying the archive', () => {
  it('gives exactly the same feed and counters, in any order, and changes nothing else', async () => {
    const from = new Date(Date.now() - 1_000);
    await salesWeek();
    const original = await settled();
    const to = new Date(Date.now() + 1_000);
    const models = original.filter(isReadModel);
    // What the week wrote: entries and heads of the feed, buckets and their markers.
    for (const kind of READ_MODEL_KINDS) {
      expect(
        models.some((i) => i[tableSpec.kindAttribute] === kind),
        kind,
      ).toBe(true);
    }
    const rest = original.filter((i) => !isReadModel(i));

    for (const round of [1, 2]) {
      await wipe(models);
      expect((await dump()).filter(isReadModel), `round ${round}: wiped`).toEqual([]);
      const report = await session.cloud.replay({ from, to, shuffle: true });
      expect(report.events).toBeGreaterThan(20);
      const rebuilt = await settled();
      expect(rebuilt.filter(isReadModel), `round ${round}: the read models`).toEqual(models);
      expect(
        rebuilt.filter((i) => !isReadModel(i)),
        `round ${round}: everything else`,
      ).toEqual(rest);
    }

    // Replayed again over the rebuilt models (duplicates of every event): still the same.
    await session.cloud.replay({ from, to, shuffle: true });
    expect(await settled()).toEqual(original);
  });
});
