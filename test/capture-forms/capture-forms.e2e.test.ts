import { describe, expect, it } from 'vitest';
import { listLeadActivitiesRoute } from '#shared/activities/routes.ts';
import { createFormRoute, embedFormRoute, getFormRoute, updateFormRoute } from '#shared/capture-forms/routes.ts';
import { createTeamRoute, updateUserRoute } from '#shared/identity/routes.ts';
import { listLeadsRoute } from '#shared/leads/routes.ts';
import { listNotificationsRoute } from '#shared/notifications/routes.ts';
import { bodyOf, useTestCloud } from '#test/helpers/local-cloud.ts';

// Lead capture forms over the local cloud: the public loads a form's embed and submits it with
// no login; a good submission makes a lead owned per the form and tells the owner
// (capture_form_lead); an instant one, a honeypot-filled one, a forged token and a flood from
// one address make nothing and are counted per reason.

const session = useTestCloud();
const { call, id, api } = session;

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const fields = [
  { name: 'name', label: 'Name', type: 'text', required: true, maps_to: { lead_field: 'last_name' } },
  { name: 'company', label: 'Company', type: 'text', required: false, maps_to: { lead_field: 'organization_name' } },
] as const;

async function newForm(overrides: Record<string, unknown> = {}) {
  const body = {
    name: `Form ${unique()}`,
    fields,
    owner: { type: 'user', user_id: id('rep1') },
    thank_you: { type: 'message', message: 'Thanks, we will call you.' },
    min_fill_seconds: 1,
    ...overrides,
  };
  return bodyOf(await call(createFormRoute, { as: 'admin', body: body as never }), 201);
}

const tokenOf = async (formId: string) => bodyOf(await call(embedFormRoute, { params: { id: formId } }), 200).form_token;
const submit = (formId: string, body: Record<string, unknown>) => api('POST', `/forms/${formId}/submissions`, { body });
const leadsNamed = async (who: string, name: string) =>
  bodyOf(await call(listLeadsRoute, { as: who, query: { limit: '100' } }), 200).items.filter((l) => l.last_name === name);
const leadsAnywhere = async (name: string) => leadsNamed('admin', name);

describe('lead capture forms on the local cloud', () => {
  it('a submission makes a lead owned per the form and tells the owner; instant and honeypot ones make nothing', async () => {
    const form = await newForm();
    const token = await tokenOf(form.id);

    // At once: refused (the form wants a second), nothing stored.
    const instant = `Instant ${unique()}`;
    const early = await submit(form.id, { form_token: token, values: { name: instant } });
    expect(early.status).toBe(403);
    expect(early.body).toMatchObject({ code: 'capture_form.submission_rejected' });

    await sleep(1100);
    // The honeypot filled: answered as a success, nothing stored.
    const bot = `Bot ${unique()}`;
    const trapped = await submit(form.id, { form_token: token, values: { name: bot }, fax_number_confirm: '555-0100' });
    expect(trapped.status).toBe(201);
    expect(trapped.body).toEqual({ message: 'Thanks, we will call you.', redirect_url: null });

    const human = `Human ${unique()}`;
    const sent = await submit(form.id, { form_token: token, values: { name: human, company: 'Acme' } });
    expect(sent.status).toBe(201);
    expect(sent.body).toEqual({ message: 'Thanks, we will call you.', redirect_url: null });

    const [lead] = await leadsNamed('rep1', human);
    expect(lead).toMatchObject({
      owner_id: id('rep1'),
      organization_name: 'Acme',
      status: 'new',
      creator_id: `capture_form:${form.id}`,
    });
    expect(await leadsAnywhere(instant)).toEqual([]);
    expect(await leadsAnywhere(bot)).toEqual([]);

    const item = await until('the capture_form_lead notification of rep1', async () => {
      const inbox = bodyOf(await call(listNotificationsRoute, { as: 'rep1', query: { limit: '100' } }), 200);
      return inbox.items.find((n) => n.kind === 'capture_form_lead' && n.records.some((r) => r.id === lead!.id));
    });
    expect(item).toMatchObject({ actor_id: `capture_form:${form.id}`, records: [{ type: 'lead', id: lead!.id, name: human }] });

    // The lead's timeline: created, by the form.
    const entry = await until('the lead created entry in its timeline', async () => {
      const entries = bodyOf(await call(listLeadActivitiesRoute, { as: 'rep1', params: { id: lead!.id }, query: {} }), 200).items;
      return entries.find((e) => e.verb === 'created' && e.record.type === 'lead');
    });
    expect(entry).toMatchObject({ actor_id: `capture_form:${form.id}`, record: { id: lead!.id } });

    const stats = bodyOf(await call(getFormRoute, { as: 'admin', params: { id: form.id } }), 200).stats;
    expect(stats).toEqual({
      accepted: 1,
      rejected: { token_missing: 0, token_invalid: 0, token_expired: 0, too_fast: 1, honeypot: 1, throttled: 0 },
    });
  });

  it('refuses a forged or missing token, and an inactive form', async () => {
    const form = await newForm({ min_fill_seconds: 0 });
    const token = await tokenOf(form.id);
    const [formId, issued, nonce] = token.split('.');
    const forged = `${formId}.${issued}.${nonce}.${Buffer.alloc(32).toString('base64url')}`;
    expect((await submit(form.id, { form_token: forged, values: { name: 'Forged' } })).status).toBe(403);
    expect((await submit(form.id, { values: { name: 'Tokenless' } })).status).toBe(403);
    // A required field left empty is the visitor's mistake: 422, not counted as spam.
    expect((await submit(form.id, { form_token: token, values: {} })).status).toBe(422);
    const stats = bodyOf(await call(getFormRoute, { as: 'admin', params: { id: form.id } }), 200).stats;
    expect(stats.rejected).toMatchObject({ token_invalid: 1, token_missing: 1 });
    expect(stats.accepted).toBe(0);

    bodyOf(await call(updateFormRoute, { as: 'admin', params: { id: form.id }, body: { active: false } }), 200);
    expect((await submit(form.id, { form_token: token, values: { name: 'Late' } })).status).toBe(404);
    expect((await api('GET', `/forms/${form.id}/embed`)).status).toBe(404);
  });

  it('throttles one address per form: past the limit, submissions are refused and counted', async () => {
    const form = await newForm({ min_fill_seconds: 0 });
    const token = await tokenOf(form.id);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await submit(form.id, { form_token: token, values: { name: `Flood ${i}` } })).status);
    expect(statuses).toEqual([...Array(10).fill(201), 403, 403]);
    const stats = bodyOf(await call(getFormRoute, { as: 'admin', params: { id: form.id } }), 200).stats;
    expect(stats).toMatchObject({ accepted: 10, rejected: { throttled: 2 } });
  });

  it("gives a team form's leads to its active members in turn (an atomic counter)", async () => {
    const team = bodyOf(await call(createTeamRoute, { as: 'admin', body: { name: `Inbound ${unique()}` } }), 201);
    for (const who of ['rep1', 'rep2'])
      bodyOf(await call(updateUserRoute, { as: 'admin', params: { id: id(who) }, body: { team_id: team.id } }), 200);
    const form = await newForm({ owner: { type: 'team', team_id: team.id }, min_fill_seconds: 0 });
    const token = await tokenOf(form.id);
    const names = [0, 1, 2, 3].map((i) => `Turn ${i} ${unique()}`);
    for (const name of names) expect((await submit(form.id, { form_token: token, values: { name } })).status).toBe(201);
    const owners = await Promise.all(names.map(async (name) => (await leadsAnywhere(name))[0]?.owner_id));
    const members = [id('rep1'), id('rep2')].sort();
    expect(owners).toEqual([members[0], members[1], members[0], members[1]]);
  });

  it('serves the embeddable script with the form and a fresh token', async () => {
    const form = await newForm({ thank_you: { type: 'redirect', url: 'https://example.com/thanks' } });
    const res = await api('GET', `/forms/${form.id}/embed.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(String(res.body)).toContain(`/forms/${form.id}/submissions`);
    expect(String(res.body)).toMatch(new RegExp(`"token":"${form.id}\\.\\d{13}\\.`));
    // The redirect is the form's answer to a good submission.
    const token = await tokenOf(form.id);
    await sleep(1100);
    const sent = await submit(form.id, { form_token: token, values: { name: `R ${unique()}` } });
    expect(sent.body).toEqual({ message: null, redirect_url: 'https://example.com/thanks' });
  });
});
