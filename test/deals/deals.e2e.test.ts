import { beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '#infra/local/eventbridge/local-bus.ts';
import { useTestCloud } from '#test/helpers/local-cloud.ts';

// Deals over HTTP against the local cloud (DynamoDB Local, outbox, bus), as the seeded users.

const { api, users, as } = useTestCloud({
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

beforeAll(async () => {
  const pipelines = await api('GET', '/pipelines', { token: as('rep1') });
  pipelineId = pipelines.body.items[0].id;
  const stageList = await api('GET', `/stages?pipeline_id=${pipelineId}`, { token: as('rep1') });
  stages = Object.fromEntries(stageList.body.items.map((s: { name: string; id: string; category: string }) => [s.name, s]));
  lossReasonId = (await api('GET', '/loss_reasons', { token: as('rep1') })).body.items[0].id;
  unqualifiedReasonId = (await api('GET', '/deal_unqualified_reasons', { token: as('rep1') })).body.items[0].id;
});

const newDeal = async (who: string, body: Record<string, unknown> = {}) => {
  const res = await api('POST', '/deals', {
    token: as(who),
    body: { name: `Deal ${Math.random().toString(36).slice(2)}`, ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

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
    const { body: team } = await api('GET', '/users/self', { token: as('solo') });
    await newDeal('solo', { value: 0.1, stage_id: stages.Quote!.id });
    await newDeal('solo', { value: '0.2', stage_id: stages.Quote!.id });
    const summary = await api('GET', `/deals/summary?pipeline_id=${pipelineId}&owner_id=${team.id}`, { token: as('solo') });
    expect(summary.status).toBe(200);
    const quote = summary.body.stages.find((s: { stage_id: string }) => s.stage_id === stages.Quote!.id);
    expect(quote).toMatchObject({ count: 2, values: [{ currency: 'USD', value: '0.30' }] });
  });

  it('refuses a bad value, an unknown stage and an unknown field, naming each', async () => {
    const res = await api('POST', '/deals', {
      token: as('rep1'),
      body: { name: 'X', value: '12.345', stage_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
    });
    expect(res.status).toBe(422);
    const bad = await api('POST', '/deals', { token: as('rep1'), body: { name: 'X', valeu: 1 } });
    expect(bad.body.errors).toEqual([{ field: 'body.valeu', message: 'is not a known field', code: 'unknown_field' }]);
    const stage = await api('POST', '/deals', { token: as('rep1'), body: { name: 'X', stage_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } });
    expect(stage.status).toBe(422);
    expect(stage.body.errors[0].field).toBe('body.stage_id');
    const value = await api('POST', '/deals', { token: as('rep1'), body: { name: 'X', value: 'lots' } });
    expect(value.body.errors[0].field).toBe('body.value');
  });

  it('needs a loss reason to move into Lost and an unqualified reason for Unqualified', async () => {
    const deal = await newDeal('rep1');
    const lost = await api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body: { stage_id: stages.Lost!.id } });
    expect(lost.status).toBe(422);
    expect(lost.body.errors).toEqual([
      { field: 'body.loss_reason_id', message: expect.stringContaining('lost stage'), code: 'invalid' },
    ]);
    const unq = await api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body: { stage_id: stages.Unqualified!.id } });
    expect(unq.body.errors[0].field).toBe('body.unqualified_reason_id');
    const unknownReason = await api('PATCH', `/deals/${deal.id}`, {
      token: as('rep1'),
      body: { stage_id: stages.Lost!.id, loss_reason_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
    });
    expect(unknownReason.status).toBe(422);
    expect(unknownReason.body.errors[0].field).toBe('body.loss_reason_id');
    const ok = await api('PATCH', `/deals/${deal.id}`, {
      token: as('rep1'),
      body: { stage_id: stages.Lost!.id, loss_reason_id: lossReasonId },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ stage_id: stages.Lost!.id, loss_reason_id: lossReasonId });
    const back = await api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body: { stage_id: stages.Qualified!.id } });
    expect(back.body.loss_reason_id).toBeNull();
    const unqualified = await api('PATCH', `/deals/${deal.id}`, {
      token: as('rep1'),
      body: { stage_id: stages.Unqualified!.id, unqualified_reason_id: unqualifiedReasonId },
    });
    expect(unqualified.status).toBe(200);
  });

  it('keeps the stage history (entered, left, by whom) and publishes deal.stage_changed with from and to', async () => {
    const deal = await newDeal('rep2');
    await api('PATCH', `/deals/${deal.id}`, { token: as('rep2'), body: { stage_id: stages.Qualified!.id } });
    await api('PATCH', `/deals/${deal.id}`, { token: as('manager'), body: { stage_id: stages.Quote!.id } });
    const history = await api('GET', `/deals/${deal.id}/stage_changes`, { token: as('rep2') });
    expect(history.body.items.map((h: { stage_id: string }) => h.stage_id)).toEqual([
      stages.Incoming!.id,
      stages.Qualified!.id,
      stages.Quote!.id,
    ]);
    expect(history.body.items[0]).toMatchObject({ entered_by_id: users.rep2!.user_id, left_by_id: users.rep2!.user_id });
    expect(history.body.items[1]).toMatchObject({ left_by_id: users.manager!.user_id });
    expect(history.body.items[2]).toMatchObject({ entered_by_id: users.manager!.user_id, left_at: null });
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
    expect((await api('GET', `/deals/${theirs.id}`, { token: as('rep1') })).status).toBe(404);
    expect((await api('PATCH', `/deals/${theirs.id}`, { token: as('rep1'), body: { hot: true } })).status).toBe(404);
    expect((await api('DELETE', `/deals/${theirs.id}`, { token: as('manager') })).status).toBe(404);
    expect((await api('GET', `/deals/${mine.id}`, { token: as('manager') })).status).toBe(200);
    expect((await api('PATCH', `/deals/${mine.id}`, { token: as('manager'), body: { hot: true } })).status).toBe(200);
    expect((await api('GET', `/deals/${theirs.id}`, { token: as('admin') })).status).toBe(200);
  });

  it('lists only what the caller may see: own for a rep, own + reports for a manager', async () => {
    const rep1 = await api('GET', '/deals?limit=100', { token: as('rep1') });
    expect(new Set(rep1.body.items.map((d: { owner_id: string }) => d.owner_id))).toEqual(new Set([users.rep1!.user_id]));
    const manager = await api('GET', '/deals?limit=100', { token: as('manager') });
    const owners = new Set(manager.body.items.map((d: { owner_id: string }) => d.owner_id));
    expect(owners.has(users.solo!.user_id)).toBe(false);
    expect(owners.has(users.rep1!.user_id) && owners.has(users.rep2!.user_id)).toBe(true);
    const outside = await api('GET', `/deals?owner_id=${users.solo!.user_id}`, { token: as('manager') });
    expect(outside.body.items).toEqual([]);
  });

  it('follows the assignment rule on owner changes (F8.4)', async () => {
    const deal = await newDeal('rep1');
    const toPeer = await api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body: { owner_id: users.rep2!.user_id } });
    expect(toPeer.status).toBe(403);
    const create = await api('POST', '/deals', { token: as('rep1'), body: { name: 'Not mine', owner_id: users.solo!.user_id } });
    expect(create.status).toBe(403);
    const byManager = await api('PATCH', `/deals/${deal.id}`, { token: as('manager'), body: { owner_id: users.rep2!.user_id } });
    expect(byManager.status).toBe(200);
    expect(byManager.body.owner_id).toBe(users.rep2!.user_id);
    expect((await api('GET', `/deals/${deal.id}`, { token: as('rep1') })).status).toBe(404);
    const outside = await api('PATCH', `/deals/${deal.id}`, { token: as('manager'), body: { owner_id: users.solo!.user_id } });
    expect(outside.status).toBe(403);
  });

  it('filters by stage, hot, value range and tags, and pages with a cursor', async () => {
    const tag = `t${Date.now()}`;
    for (const value of ['10', '20', '30', '40']) await newDeal('rep2', { value, tags: [tag], hot: value !== '40' });
    const hot = await api('GET', `/deals?tags=${tag}&hot=true&value_from=15&value_to=35`, { token: as('rep2') });
    expect(hot.body.items.map((d: { value: string }) => d.value).sort()).toEqual(['20.00', '30.00']);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api('GET', `/deals?tags=${tag}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
        token: as('rep2'),
      });
      pages.push(...page.body.items.map((d: { value: string }) => d.value));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(pages.sort()).toEqual(['10.00', '20.00', '30.00', '40.00']);
    const sorted = await api('GET', `/deals?tags=${tag}&sort_by=value&sort_order=desc`, { token: as('rep2') });
    expect(sorted.body.items.map((d: { value: string }) => d.value)).toEqual(['40.00', '30.00', '20.00', '10.00']);
    const byStage = await api('GET', `/deals?stage_id=${stages.Incoming!.id}&tags=${tag}`, { token: as('manager') });
    expect(byStage.body.items).toHaveLength(4);
    const typo = await api('GET', '/deals?stage=1', { token: as('rep2') });
    expect(typo.status).toBe(422);
    expect(typo.body.errors[0].field).toBe('query.stage');
  });

  it('gives exactly one success to 50 concurrent PATCHes with the same If-Match, and loses no update', async () => {
    const deal = await newDeal('rep1');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body: { name: `Writer ${i}` }, headers: { 'if-match': '"1"' } }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(49);
    const winner = results.find((r) => r.status === 200)!.body;
    const stored = await api('GET', `/deals/${deal.id}`, { token: as('rep1') });
    expect(stored.body).toMatchObject({ name: winner.name, version: 2 });
    expect(results.find((r) => r.status === 412)!.body.current).toMatchObject({ id: deal.id });
  });

  it('merges concurrent PATCHes without If-Match: every change lands', async () => {
    const deal = await newDeal('rep1');
    const fields = [
      { hot: true },
      { estimated_close_date: '2027-01-31' },
      { customized_win_likelihood: 40 },
      { tags: ['merged'] },
    ];
    const results = await Promise.all(fields.map((body) => api('PATCH', `/deals/${deal.id}`, { token: as('rep1'), body })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const stored = await api('GET', `/deals/${deal.id}`, { token: as('rep1') });
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
    const first = await api('POST', '/deals', { token: as('rep1'), body: { name: 'Once' }, headers: { 'idempotency-key': key } });
    const again = await api('POST', '/deals', { token: as('rep1'), body: { name: 'Once' }, headers: { 'idempotency-key': key } });
    expect(again.body.id).toBe(first.body.id);
    const other = await api('POST', '/deals', {
      token: as('rep1'),
      body: { name: 'Twice' },
      headers: { 'idempotency-key': key },
    });
    expect(other.status).toBe(422);
  });

  it('links associated contacts with a role, once, and only contacts that exist', async () => {
    const primary = (await api('POST', '/contacts', { token: as('rep1'), body: { last_name: 'Primary' } })).body.id;
    const contact = (await api('POST', '/contacts', { token: as('rep1'), body: { last_name: 'Associated' } })).body.id;
    const ghost = await api('POST', '/deals', {
      token: as('rep1'),
      body: { name: 'Ghost', contact_id: '01ARZ3NDEKTSV4RRFFQ69G5FA1' },
    });
    expect(ghost.status).toBe(422);
    expect(ghost.body.errors[0].field).toBe('body.contact_id');
    const notAnOrg = await api('POST', '/deals', { token: as('rep1'), body: { name: 'Org?', organization_id: primary } });
    expect(notAnOrg.body.errors[0].field).toBe('body.organization_id');
    const deal = await newDeal('rep1', { contact_id: primary });
    const missing = await api('POST', `/deals/${deal.id}/associated_contacts`, {
      token: as('rep1'),
      body: { contact_id: '01ARZ3NDEKTSV4RRFFQ69G5FA2' },
    });
    expect(missing.status).toBe(422);
    const linked = await api('POST', `/deals/${deal.id}/associated_contacts`, {
      token: as('rep1'),
      body: { contact_id: contact, role: 'decision maker' },
    });
    expect(linked.status).toBe(201);
    expect(
      (await api('POST', `/deals/${deal.id}/associated_contacts`, { token: as('rep1'), body: { contact_id: contact } })).status,
    ).toBe(409);
    const list = await api('GET', `/deals/${deal.id}/associated_contacts`, { token: as('rep1') });
    expect(list.body.items).toEqual([expect.objectContaining({ contact_id: contact, role: 'decision maker' })]);
    const byContact = await api('GET', `/deals?contact_id=${contact}`, { token: as('rep1') });
    expect(byContact.body.items.map((d: { id: string }) => d.id)).toEqual([deal.id]);
    const byPrimary = await api('GET', `/deals?contact_id=${primary}`, { token: as('rep1') });
    expect(byPrimary.body.items.map((d: { id: string }) => d.id)).toEqual([deal.id]);
    expect((await api('GET', `/deals?contact_id=${contact}`, { token: as('solo') })).body.items).toEqual([]);
    expect((await api('DELETE', `/deals/${deal.id}/associated_contacts/${contact}`, { token: as('rep1') })).status).toBe(204);
    expect((await api('GET', `/deals/${deal.id}/associated_contacts`, { token: as('rep1') })).body.items).toEqual([]);
  });

  it('deletes a deal and takes it off the board', async () => {
    const before = await api('GET', `/deals/summary?pipeline_id=${pipelineId}`, { token: as('admin') });
    const deal = await newDeal('admin', { value: '99', stage_id: stages.Closure!.id });
    expect((await api('DELETE', `/deals/${deal.id}`, { token: as('admin') })).status).toBe(204);
    expect((await api('GET', `/deals/${deal.id}`, { token: as('admin') })).status).toBe(404);
    const after = await api('GET', `/deals/summary?pipeline_id=${pipelineId}`, { token: as('admin') });
    expect(after.body).toEqual(before.body);
  });

  it('needs move_deals_to to delete a stage that holds deals, and moves them with their history', async () => {
    const added = await api('POST', '/stages', {
      token: as('admin'),
      body: { pipeline_id: pipelineId, name: `Temp ${Date.now()}`, likelihood: 30 },
    });
    expect(added.status).toBe(201);
    const deal = await newDeal('rep1', { stage_id: added.body.id });
    const refused = await api('DELETE', `/stages/${added.body.id}`, { token: as('admin') });
    expect(refused.status).toBe(409);
    const moved = await api('DELETE', `/stages/${added.body.id}?move_deals_to=${stages.Qualified!.id}`, { token: as('admin') });
    expect(moved.status).toBe(204);
    const after = await api('GET', `/deals/${deal.id}`, { token: as('rep1') });
    expect(after.body.stage_id).toBe(stages.Qualified!.id);
    const history = await api('GET', `/deals/${deal.id}/stage_changes`, { token: as('rep1') });
    expect(history.body.items.map((h: { stage_id: string }) => h.stage_id)).toEqual([added.body.id, stages.Qualified!.id]);
    expect((await api('GET', `/stages/${added.body.id}`, { token: as('admin') })).status).toBe(404);
  });

  it('validates custom fields on deal writes, names the bad field, filters on them, and follows renames and deletes', async () => {
    const segment = await api('POST', '/custom_fields/deals', {
      token: as('admin'),
      body: { name: `Segment ${Date.now()}`, type: 'list', choices: ['SMB', 'Mid-market', 'Enterprise'], filterable: true },
    });
    expect(segment.status).toBe(201);
    const budget = await api('POST', '/custom_fields/deals', {
      token: as('admin'),
      body: { name: `Budget ${Date.now()}`, type: 'number', filterable: false },
    });
    const bad = await api('POST', '/deals', {
      token: as('rep1'),
      body: { name: 'CF', custom_fields: { [segment.body.name]: 'Huge', [budget.body.name]: 'lots', Nope: 1 } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      [`body.custom_fields.${segment.body.name}`, `body.custom_fields.${budget.body.name}`, 'body.custom_fields.Nope'].sort(),
    );
    const deal = await newDeal('rep1', { custom_fields: { [segment.body.name]: 'SMB', [budget.body.name]: 5000 } });
    expect(deal.custom_fields).toEqual({ [segment.body.name]: 'SMB', [budget.body.name]: 5000 });
    const filtered = await api('GET', `/deals?${encodeURIComponent(`custom_fields[${segment.body.name}]`)}=SMB`, {
      token: as('rep1'),
    });
    expect(filtered.body.items.map((d: { id: string }) => d.id)).toEqual([deal.id]);
    const notFilterable = await api('GET', `/deals?${encodeURIComponent(`custom_fields[${budget.body.name}]`)}=5000`, {
      token: as('rep1'),
    });
    expect(notFilterable.status).toBe(422);
    const typeChange = await api('PATCH', `/custom_fields/deals/${segment.body.id}`, {
      token: as('admin'),
      body: { type: 'string' },
    });
    expect(typeChange.status).toBe(409);
    const renamed = await api('PATCH', `/custom_fields/deals/${segment.body.id}`, {
      token: as('admin'),
      body: { name: `Tier ${Date.now()}` },
    });
    expect(renamed.status).toBe(200);
    expect((await api('GET', `/deals/${deal.id}`, { token: as('rep1') })).body.custom_fields).toEqual({
      [renamed.body.name]: 'SMB',
      [budget.body.name]: 5000,
    });
    expect((await api('DELETE', `/custom_fields/deals/${budget.body.id}`, { token: as('admin') })).status).toBe(204);
    expect((await api('GET', `/deals/${deal.id}`, { token: as('rep1') })).body.custom_fields).toEqual({
      [renamed.body.name]: 'SMB',
    });
  });
});
