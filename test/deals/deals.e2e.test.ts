import { beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { createContactRoute } from '#shared/contacts/routes.ts';
import { createCustomFieldRoute, deleteCustomFieldRoute, updateCustomFieldRoute } from '#shared/custom-fields/routes.ts';
import type { createDealInput, updateDealInput } from '#shared/deals/domain.ts';
import {
  associateContactRoute,
  createDealRoute,
  dealStageChangesRoute,
  dealSummaryRoute,
  deleteDealRoute,
  dissociateContactRoute,
  getDealRoute,
  listAssociatedContactsRoute,
  listDealsRoute,
  updateDealRoute,
} from '#shared/deals/routes.ts';
import { getSelfRoute } from '#shared/identity/routes.ts';
import {
  createPipelineRoute,
  createStageRoute,
  deletePipelineRoute,
  deleteStageRoute,
  getPipelineRoute,
  getStageRoute,
  listPipelinesRoute,
  listStagesRoute,
  namedListRouteSets,
} from '#shared/pipelines/routes.ts';
import type { ResponseBody } from '#shared/platform/http/client.ts';
import { bodyOf, expectStatus, useTestCloud } from '#test/helpers/local-cloud.ts';

// Deals over HTTP against the local cloud (DynamoDB Local, outbox, bus), as the seeded users.

const { api, call, users, as } = useTestCloud({
  extraRules: [
    {
      name: 'test-deals',
      pattern: { source: ['crm'], 'detail-type': [{ prefix: 'deal.' }] },
      target: async (e) => void busEvents.push(e),
    },
  ],
});
const busEvents: BusEvent[] = [];
let pipelineId: string;
let stages: Record<string, { id: string; category: string }>;
let lossReasonId: string;
let unqualifiedReasonId: string;

const reasonsRoute = (kind: string) => namedListRouteSets.find((set) => set.kind === kind)!.list;

beforeAll(async () => {
  const pipelines = bodyOf(await call(listPipelinesRoute, { as: 'rep1' }));
  pipelineId = pipelines.items[0]!.id;
  const stageList = bodyOf(await call(listStagesRoute, { as: 'rep1', query: { pipeline_id: pipelineId } }));
  stages = Object.fromEntries(stageList.items.map((s) => [s.name, s]));
  lossReasonId = bodyOf(await call(reasonsRoute('loss_reason'), { as: 'rep1' })).items[0]!.id;
  unqualifiedReasonId = bodyOf(await call(reasonsRoute('deal_unqualified_reason'), { as: 'rep1' })).items[0]!.id;
});

const newDeal = async (who: string, body: Partial<z.input<typeof createDealInput>> = {}) =>
  bodyOf(await call(createDealRoute, { as: who, body: { name: `Deal ${Math.random().toString(36).slice(2)}`, ...body } }), 201);

const ids = (page: { items: { id: string }[] }) => page.items.map((d) => d.id);
const values = (page: { items: { value: string }[] }) => page.items.map((d) => d.value);

describe('deals', () => {
  it('creates a deal in the first active stage of the default pipeline, owned by the caller, in the account currency', async () => {
    const deal = await newDeal('rep1', { value: '1250.5', hot: true, tags: ['q4', 'q4', ' enterprise '] });
    expect(deal).toMatchObject({
      owner_id: users.rep1!.user_id,
      creator_id: users.rep1!.user_id,
      pipeline_id: pipelineId,
      stage_id: stages.Incoming!.id,
      value: '1250.50',
      currency: 'USD',
      hot: true,
      tags: ['q4', 'enterprise'],
      version: 1,
    });
    expect(deal.last_stage_change_by_id).toBe(users.rep1!.user_id);
  });

  it('keeps values exact: 0.10 + 0.20 is 0.30 on the board', async () => {
    const team = bodyOf(await call(getSelfRoute, { as: 'solo' }));
    await newDeal('solo', { value: 0.1, stage_id: stages.Quote!.id });
    await newDeal('solo', { value: '0.2', stage_id: stages.Quote!.id });
    const summary = await call(dealSummaryRoute, { as: 'solo', query: { pipeline_id: pipelineId, owner_id: team.id } });
    expectStatus(summary, 200);
    const quote = summary.body.stages.find((s) => s.stage_id === stages.Quote!.id);
    expect(quote).toMatchObject({ count: 2, values: [{ currency: 'USD', value: '0.30' }] });
  });

  it('refuses a bad value, an unknown stage and an unknown field, naming each', async () => {
    const res = await call(createDealRoute, {
      as: 'rep1',
      body: { name: 'X', value: '12.345', stage_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
    });
    expect(res.status).toBe(422);
    // An unknown field is off the contract on purpose: the raw client.
    const bad = await api('POST', '/deals', { token: as('rep1'), body: { name: 'X', valeu: 1 } });
    expect(bad.body.errors).toEqual([{ field: 'body.valeu', message: 'is not a known field', code: 'unknown_field' }]);
    const stage = await call(createDealRoute, { as: 'rep1', body: { name: 'X', stage_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } });
    expectStatus(stage, 422);
    expect(stage.body.errors?.[0]?.field).toBe('body.stage_id');
    const value = await call(createDealRoute, { as: 'rep1', body: { name: 'X', value: 'lots' } });
    expectStatus(value, 422);
    expect(value.body.errors?.[0]?.field).toBe('body.value');
  });

  it('needs a loss reason to move into Lost and an unqualified reason for Unqualified', async () => {
    const deal = await newDeal('rep1');
    const patch = (body: z.input<typeof updateDealInput>) => call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body });
    const lost = await patch({ stage_id: stages.Lost!.id });
    expectStatus(lost, 422);
    expect(lost.body.errors).toEqual([
      { field: 'body.loss_reason_id', message: expect.stringContaining('lost stage'), code: 'invalid' },
    ]);
    const unq = await patch({ stage_id: stages.Unqualified!.id });
    expectStatus(unq, 422);
    expect(unq.body.errors?.[0]?.field).toBe('body.unqualified_reason_id');
    const unknownReason = await patch({ stage_id: stages.Lost!.id, loss_reason_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' });
    expectStatus(unknownReason, 422);
    expect(unknownReason.body.errors?.[0]?.field).toBe('body.loss_reason_id');
    const ok = await patch({ stage_id: stages.Lost!.id, loss_reason_id: lossReasonId });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ stage_id: stages.Lost!.id, loss_reason_id: lossReasonId });
    const back = await patch({ stage_id: stages.Qualified!.id });
    expect(bodyOf(back).loss_reason_id).toBeNull();
    const unqualified = await patch({ stage_id: stages.Unqualified!.id, unqualified_reason_id: unqualifiedReasonId });
    expect(unqualified.status).toBe(200);
  });

  it('keeps the stage history (entered, left, by whom) and publishes deal.stage_changed with from and to', async () => {
    const deal = await newDeal('rep2');
    await call(updateDealRoute, { as: 'rep2', params: { id: deal.id }, body: { stage_id: stages.Qualified!.id } });
    await call(updateDealRoute, { as: 'manager', params: { id: deal.id }, body: { stage_id: stages.Quote!.id } });
    const history = bodyOf(await call(dealStageChangesRoute, { as: 'rep2', params: { id: deal.id } }));
    expect(history.items.map((h) => h.stage_id)).toEqual([stages.Incoming!.id, stages.Qualified!.id, stages.Quote!.id]);
    expect(history.items[0]).toMatchObject({ entered_by_id: users.rep2!.user_id, left_by_id: users.rep2!.user_id });
    expect(history.items[1]).toMatchObject({ left_by_id: users.manager!.user_id });
    expect(history.items[2]).toMatchObject({ entered_by_id: users.manager!.user_id, left_at: null });
    const deadline = Date.now() + 2_000;
    const moved = () =>
      busEvents.filter((e) => e['detail-type'] === 'deal.stage_changed' && (e.detail as any).metadata.resource_id === deal.id);
    while (moved().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const last = moved().find((e) => (e.detail as any).data.stage_id === stages.Quote!.id)!.detail as any;
    expect(last.previous).toMatchObject({ stage_id: stages.Qualified!.id, pipeline_id: pipelineId });
    expect(last.data).toMatchObject({ stage_id: stages.Quote!.id, pipeline_id: pipelineId });
  });

  it("answers 404 for someone else's deal, and lets a manager see and move a report's deal", async () => {
    const mine = await newDeal('rep1');
    const theirs = await newDeal('solo');
    expect((await call(getDealRoute, { as: 'rep1', params: { id: theirs.id } })).status).toBe(404);
    expect((await call(updateDealRoute, { as: 'rep1', params: { id: theirs.id }, body: { hot: true } })).status).toBe(404);
    expect((await call(deleteDealRoute, { as: 'manager', params: { id: theirs.id } })).status).toBe(404);
    expect((await call(getDealRoute, { as: 'manager', params: { id: mine.id } })).status).toBe(200);
    expect((await call(updateDealRoute, { as: 'manager', params: { id: mine.id }, body: { hot: true } })).status).toBe(200);
    expect((await call(getDealRoute, { as: 'admin', params: { id: theirs.id } })).status).toBe(200);
  });

  it('lists only what the caller may see: own for a rep, own + reports for a manager', async () => {
    const rep1 = bodyOf(await call(listDealsRoute, { as: 'rep1', query: { limit: 100 } }));
    expect(new Set(rep1.items.map((d) => d.owner_id))).toEqual(new Set([users.rep1!.user_id]));
    const manager = bodyOf(await call(listDealsRoute, { as: 'manager', query: { limit: 100 } }));
    const owners = new Set(manager.items.map((d) => d.owner_id));
    expect(owners.has(users.solo!.user_id)).toBe(false);
    expect(owners.has(users.rep1!.user_id) && owners.has(users.rep2!.user_id)).toBe(true);
    const outside = bodyOf(await call(listDealsRoute, { as: 'manager', query: { owner_id: users.solo!.user_id } }));
    expect(outside.items).toEqual([]);
  });

  it('follows the assignment rule on owner changes (F8.4)', async () => {
    const deal = await newDeal('rep1');
    const toPeer = await call(updateDealRoute, {
      as: 'rep1',
      params: { id: deal.id },
      body: { owner_id: users.rep2!.user_id },
    });
    expect(toPeer.status).toBe(403);
    const create = await call(createDealRoute, { as: 'rep1', body: { name: 'Not mine', owner_id: users.solo!.user_id } });
    expect(create.status).toBe(403);
    const byManager = await call(updateDealRoute, {
      as: 'manager',
      params: { id: deal.id },
      body: { owner_id: users.rep2!.user_id },
    });
    expectStatus(byManager, 200);
    expect(byManager.body.owner_id).toBe(users.rep2!.user_id);
    expect((await call(getDealRoute, { as: 'rep1', params: { id: deal.id } })).status).toBe(404);
    const outside = await call(updateDealRoute, {
      as: 'manager',
      params: { id: deal.id },
      body: { owner_id: users.solo!.user_id },
    });
    expect(outside.status).toBe(403);
  });

  it('filters by stage, hot, value range and tags, and pages with a cursor', async () => {
    const tag = `t${Date.now()}`;
    for (const value of ['10', '20', '30', '40']) await newDeal('rep2', { value, tags: [tag], hot: value !== '40' });
    const hot = bodyOf(
      await call(listDealsRoute, { as: 'rep2', query: { tags: tag, hot: 'true', value_from: '15', value_to: '35' } }),
    );
    expect(values(hot).sort()).toEqual(['20.00', '30.00']);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ResponseBody<typeof listDealsRoute> = bodyOf(
        await call(listDealsRoute, { as: 'rep2', query: { tags: tag, limit: 1, cursor: cursor ?? undefined } }),
      );
      pages.push(...values(page));
      cursor = page.next_cursor;
    } while (cursor);
    expect(pages.sort()).toEqual(['10.00', '20.00', '30.00', '40.00']);
    const sorted = bodyOf(await call(listDealsRoute, { as: 'rep2', query: { tags: tag, sort_by: 'value', sort_order: 'desc' } }));
    expect(values(sorted)).toEqual(['40.00', '30.00', '20.00', '10.00']);
    const byStage = bodyOf(await call(listDealsRoute, { as: 'manager', query: { stage_id: stages.Incoming!.id, tags: tag } }));
    expect(byStage.items).toHaveLength(4);
    const typo = await call(listDealsRoute, { as: 'rep2', query: { stage: '1' } });
    expectStatus(typo, 422);
    expect(typo.body.errors?.[0]?.field).toBe('query.stage');
  });

  it('gives exactly one success to 50 concurrent PATCHes with the same If-Match, and loses no update', async () => {
    const deal = await newDeal('rep1');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(updateDealRoute, {
          as: 'rep1',
          params: { id: deal.id },
          body: { name: `Writer ${i}` },
          headers: { 'if-match': '"1"' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(49);
    const winner = bodyOf(
      results.find((r) => r.status === 200)!,
      200,
    );
    const stored = await call(getDealRoute, { as: 'rep1', params: { id: deal.id } });
    expect(stored.body).toMatchObject({ name: winner.name, version: 2 });
    const loser = results.find((r) => r.status === 412)!;
    expectStatus(loser, 412);
    expect(loser.body.current).toMatchObject({ id: deal.id });
  });

  it('merges concurrent PATCHes without If-Match: every change lands', async () => {
    const deal = await newDeal('rep1');
    const fields: z.input<typeof updateDealInput>[] = [
      { hot: true },
      { estimated_close_date: '2027-01-31' },
      { customized_win_likelihood: 40 },
      { tags: ['merged'] },
    ];
    const results = await Promise.all(fields.map((body) => call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const stored = await call(getDealRoute, { as: 'rep1', params: { id: deal.id } });
    expect(stored.body).toMatchObject({
      hot: true,
      estimated_close_date: '2027-01-31',
      customized_win_likelihood: 40,
      tags: ['merged'],
      version: 5,
    });
  });

  it('replays a POST with the same Idempotency-Key and refuses the key with another body', async () => {
    const key = `deal-${Date.now()}`;
    const headers = { 'idempotency-key': key };
    const first = await call(createDealRoute, { as: 'rep1', body: { name: 'Once' }, headers });
    const again = await call(createDealRoute, { as: 'rep1', body: { name: 'Once' }, headers });
    expect(bodyOf(again).id).toBe(bodyOf(first).id);
    const other = await call(createDealRoute, { as: 'rep1', body: { name: 'Twice' }, headers });
    expect(other.status).toBe(422);
  });

  it('links associated contacts with a role, once, and only contacts that exist', async () => {
    const primary = bodyOf(await call(createContactRoute, { as: 'rep1', body: { last_name: 'Primary' } })).id;
    const contact = bodyOf(await call(createContactRoute, { as: 'rep1', body: { last_name: 'Associated' } })).id;
    const ghost = await call(createDealRoute, {
      as: 'rep1',
      body: { name: 'Ghost', contact_id: '01ARZ3NDEKTSV4RRFFQ69G5FA1' },
    });
    expectStatus(ghost, 422);
    expect(ghost.body.errors?.[0]?.field).toBe('body.contact_id');
    const notAnOrg = await call(createDealRoute, { as: 'rep1', body: { name: 'Org?', organization_id: primary } });
    expectStatus(notAnOrg, 422);
    expect(notAnOrg.body.errors?.[0]?.field).toBe('body.organization_id');
    const deal = await newDeal('rep1', { contact_id: primary });
    const associate = (body: { contact_id: string; role?: string }) =>
      call(associateContactRoute, { as: 'rep1', params: { id: deal.id }, body });
    const missing = await associate({ contact_id: '01ARZ3NDEKTSV4RRFFQ69G5FA2' });
    expect(missing.status).toBe(422);
    const linked = await associate({ contact_id: contact, role: 'decision maker' });
    expect(linked.status).toBe(201);
    expect((await associate({ contact_id: contact })).status).toBe(409);
    const list = bodyOf(await call(listAssociatedContactsRoute, { as: 'rep1', params: { id: deal.id } }));
    expect(list.items).toEqual([expect.objectContaining({ contact_id: contact, role: 'decision maker' })]);
    const byContact = bodyOf(await call(listDealsRoute, { as: 'rep1', query: { contact_id: contact } }));
    expect(ids(byContact)).toEqual([deal.id]);
    const byPrimary = bodyOf(await call(listDealsRoute, { as: 'rep1', query: { contact_id: primary } }));
    expect(ids(byPrimary)).toEqual([deal.id]);
    expect(bodyOf(await call(listDealsRoute, { as: 'solo', query: { contact_id: contact } })).items).toEqual([]);
    expect((await call(dissociateContactRoute, { as: 'rep1', params: { id: deal.id, contact_id: contact } })).status).toBe(204);
    expect(bodyOf(await call(listAssociatedContactsRoute, { as: 'rep1', params: { id: deal.id } })).items).toEqual([]);
  });

  it('deletes a deal and takes it off the board', async () => {
    const before = await call(dealSummaryRoute, { as: 'admin', query: { pipeline_id: pipelineId } });
    const deal = await newDeal('admin', { value: '99', stage_id: stages.Closure!.id });
    expect((await call(deleteDealRoute, { as: 'admin', params: { id: deal.id } })).status).toBe(204);
    expect((await call(getDealRoute, { as: 'admin', params: { id: deal.id } })).status).toBe(404);
    const after = await call(dealSummaryRoute, { as: 'admin', query: { pipeline_id: pipelineId } });
    expect(after.body).toEqual(before.body);
  });

  it('needs move_deals_to to delete a stage that holds deals, and moves them with their history', async () => {
    const added = await call(createStageRoute, {
      as: 'admin',
      body: { pipeline_id: pipelineId, name: `Temp ${Date.now()}`, likelihood: 30 },
    });
    expectStatus(added, 201);
    const deal = await newDeal('rep1', { stage_id: added.body.id });
    const refused = await call(deleteStageRoute, { as: 'admin', params: { id: added.body.id } });
    expect(refused.status).toBe(409);
    const moved = await call(deleteStageRoute, {
      as: 'admin',
      params: { id: added.body.id },
      query: { move_deals_to: stages.Qualified!.id },
    });
    expect(moved.status).toBe(204);
    const after = bodyOf(await call(getDealRoute, { as: 'rep1', params: { id: deal.id } }));
    expect(after.stage_id).toBe(stages.Qualified!.id);
    const history = bodyOf(await call(dealStageChangesRoute, { as: 'rep1', params: { id: deal.id } }));
    expect(history.items.map((h) => h.stage_id)).toEqual([added.body.id, stages.Qualified!.id]);
    // The history's stage still reads, as deleted.
    expect(bodyOf(await call(getStageRoute, { as: 'rep1', params: { id: added.body.id } }), 200)).toMatchObject({
      id: added.body.id,
      deleted_at: expect.any(String),
    });
  });

  it("keeps the stages and pipelines a deal's history names after they are deleted: read by id (deleted_at), never chosen again", async () => {
    const name = `Tomb ${Math.random().toString(36).slice(2)}`;
    const created = await call(createPipelineRoute, {
      as: 'admin',
      body: {
        name,
        stages: [
          { name: 'S', likelihood: 10 },
          { name: 'T', likelihood: 20 },
        ],
      },
    });
    const pipeline = bodyOf(created, 201);
    const [s, t] = bodyOf(await call(listStagesRoute, { as: 'rep1', query: { pipeline_id: pipeline.id } }), 200).items;
    const deal = await newDeal('rep1', { stage_id: s!.id });
    expectStatus(await call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body: { stage_id: t!.id } }), 200);
    expectStatus(await call(deleteStageRoute, { as: 'admin', params: { id: s!.id } }), 204);

    // The history still names S, and S still reads (deleted); its list and the board omit it.
    const historyOf = async () =>
      bodyOf(await call(dealStageChangesRoute, { as: 'rep1', params: { id: deal.id } }), 200).items.map((h) => [
        h.pipeline_id,
        h.stage_id,
      ]);
    expect(await historyOf()).toEqual([
      [pipeline.id, s!.id],
      [pipeline.id, t!.id],
    ]);
    expect(bodyOf(await call(getStageRoute, { as: 'rep1', params: { id: s!.id } }), 200)).toMatchObject({
      id: s!.id,
      name: 'S',
      deal_count: 0,
      deleted_at: expect.any(String),
    });
    const listed = bodyOf(await call(listStagesRoute, { as: 'rep1', query: { pipeline_id: pipeline.id } }), 200).items;
    expect(listed.map((x) => [x.name, x.position])).toEqual([
      ['T', 1],
      ['Won', 2],
      ['Lost', 3],
      ['Unqualified', 4],
    ]);
    const board = bodyOf(await call(dealSummaryRoute, { as: 'rep1', query: { pipeline_id: pipeline.id } }), 200);
    expect(board.stages.map((x) => x.stage_id)).not.toContain(s!.id);

    // Never chosen again: the same 422 as an id that never existed.
    const UNKNOWN = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const refusal = async (res: { status: number; body: any }, id: string) => {
      expect(res.status).toBe(422);
      return { code: res.body.code, errors: JSON.parse(JSON.stringify(res.body.errors).replaceAll(id, '<id>')) };
    };
    const unknownStage = await refusal(
      await call(createDealRoute, { as: 'rep1', body: { name: 'X', stage_id: UNKNOWN } }),
      UNKNOWN,
    );
    expect(unknownStage.errors).toEqual([{ field: 'body.stage_id', message: 'no stage <id>', code: 'unknown_reference' }]);
    expect(await refusal(await call(createDealRoute, { as: 'rep1', body: { name: 'X', stage_id: s!.id } }), s!.id)).toEqual(
      unknownStage,
    );
    const move = await call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body: { stage_id: s!.id } });
    expect(await refusal(move, s!.id)).toEqual(unknownStage);
    // Its name is free for a new stage.
    expectStatus(
      await call(createStageRoute, { as: 'admin', body: { pipeline_id: pipeline.id, name: 'S', likelihood: 5 } }),
      201,
    );

    // The pipeline, once its deal moved out: deleted, still read by id, out of the lists, its name free.
    const out = await call(updateDealRoute, { as: 'rep1', params: { id: deal.id }, body: { pipeline_id: pipelineId } });
    expectStatus(out, 200);
    expectStatus(await call(deletePipelineRoute, { as: 'admin', params: { id: pipeline.id } }), 204);
    expect((await historyOf()).map(([p]) => p)).toEqual([pipeline.id, pipeline.id, pipelineId]);
    expect(bodyOf(await call(getPipelineRoute, { as: 'rep1', params: { id: pipeline.id } }), 200)).toMatchObject({
      id: pipeline.id,
      name,
      deleted_at: expect.any(String),
    });
    expect(bodyOf(await call(getStageRoute, { as: 'rep1', params: { id: t!.id } }), 200)).toMatchObject({
      deleted_at: expect.any(String),
    });
    const pipelines = bodyOf(await call(listPipelinesRoute, { as: 'rep1', query: { limit: 100 } }), 200).items;
    expect(pipelines.map((p) => p.id)).not.toContain(pipeline.id);
    expect(bodyOf(await call(listStagesRoute, { as: 'rep1', query: { pipeline_id: pipeline.id } }), 200).items).toEqual([]);
    const unknownPipeline = await refusal(
      await call(createDealRoute, { as: 'rep1', body: { name: 'X', pipeline_id: UNKNOWN } }),
      UNKNOWN,
    );
    expect(
      await refusal(await call(createDealRoute, { as: 'rep1', body: { name: 'X', pipeline_id: pipeline.id } }), pipeline.id),
    ).toEqual(unknownPipeline);
    expect(await refusal(await call(createDealRoute, { as: 'rep1', body: { name: 'X', stage_id: t!.id } }), t!.id)).toEqual(
      unknownStage,
    );
    expectStatus(await call(createPipelineRoute, { as: 'admin', body: { name } }), 201);
  });

  it('validates custom fields on deal writes, names the bad field, filters on them, and follows renames and deletes', async () => {
    const deals = { resource_type: 'deals' } as const;
    const segment = await call(createCustomFieldRoute, {
      as: 'admin',
      params: deals,
      body: { name: `Segment ${Date.now()}`, type: 'list', choices: ['SMB', 'Mid-market', 'Enterprise'], filterable: true },
    });
    expectStatus(segment, 201);
    const budget = bodyOf(
      await call(createCustomFieldRoute, {
        as: 'admin',
        params: deals,
        body: { name: `Budget ${Date.now()}`, type: 'number', filterable: false },
      }),
    );
    const bad = await call(createDealRoute, {
      as: 'rep1',
      body: { name: 'CF', custom_fields: { [segment.body.name]: 'Huge', [budget.name]: 'lots', Nope: 1 } },
    });
    expectStatus(bad, 422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(
      [`body.custom_fields.${segment.body.name}`, `body.custom_fields.${budget.name}`, 'body.custom_fields.Nope'].sort(),
    );
    const deal = await newDeal('rep1', { custom_fields: { [segment.body.name]: 'SMB', [budget.name]: 5000 } });
    expect(deal.custom_fields).toEqual({ [segment.body.name]: 'SMB', [budget.name]: 5000 });
    const filtered = bodyOf(await call(listDealsRoute, { as: 'rep1', query: { custom_fields: { [segment.body.name]: 'SMB' } } }));
    expect(ids(filtered)).toEqual([deal.id]);
    const notFilterable = await call(listDealsRoute, { as: 'rep1', query: { custom_fields: { [budget.name]: '5000' } } });
    expect(notFilterable.status).toBe(422);
    const field = (id: string) => ({ ...deals, id });
    const typeChange = await call(updateCustomFieldRoute, {
      as: 'admin',
      params: field(segment.body.id),
      body: { type: 'string' },
    });
    expect(typeChange.status).toBe(409);
    const renamed = await call(updateCustomFieldRoute, {
      as: 'admin',
      params: field(segment.body.id),
      body: { name: `Tier ${Date.now()}` },
    });
    expectStatus(renamed, 200);
    expect(bodyOf(await call(getDealRoute, { as: 'rep1', params: { id: deal.id } })).custom_fields).toEqual({
      [renamed.body.name]: 'SMB',
      [budget.name]: 5000,
    });
    expect((await call(deleteCustomFieldRoute, { as: 'admin', params: field(budget.id) })).status).toBe(204);
    expect(bodyOf(await call(getDealRoute, { as: 'rep1', params: { id: deal.id } })).custom_fields).toEqual({
      [renamed.body.name]: 'SMB',
    });
  });
});
