import { beforeAll, describe, expect, it } from 'vitest';
import { useTestCloud, type ApiAnswer } from '#test/helpers/local-cloud.ts';

// References a write accepts, against the caller's visibility (issue 10, item 1): naming a
// record the caller cannot see answers exactly as naming one that does not exist (status, code,
// message with the id in its place), so ids leak nothing. rep1 and rep2 are peers: neither sees
// the other's records.

const { api, as, id } = useTestCloud();

const MISSING = '01ZZZZZZZZZZZZZZZZZZZZZZZZ';

/** The answer with the named id in a placeholder's place: what must not differ. */
const shapeOf = (answer: ApiAnswer, named: string) => ({
  status: answer.status,
  body: JSON.parse(JSON.stringify(answer.body).replaceAll(named, '<id>')) as unknown,
});

async function created(who: string, path: string, body: unknown): Promise<{ id: string }> {
  const answer = await api<{ id: string }>('POST', path, { token: as(who), body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body;
}

const suffix = () => Math.random().toString(36).slice(2, 8);

let rep2Person: string;
let rep2Org: string;
let rep2Lead: string;
let rep2Deal: string;
let rep1Deal: string;
let rep1Person: string;
let rep1Task: string;
let rep1Lead: string;

beforeAll(async () => {
  rep2Person = (await created('rep2', '/contacts', { last_name: `Hidden ${suffix()}` })).id;
  rep2Org = (await created('rep2', '/contacts', { is_organization: true, name: `Hidden Org ${suffix()}` })).id;
  rep2Lead = (await created('rep2', '/leads', { last_name: `Hidden lead ${suffix()}` })).id;
  rep2Deal = (await created('rep2', '/deals', { name: `Hidden deal ${suffix()}` })).id;
  rep1Deal = (await created('rep1', '/deals', { name: `Mine ${suffix()}` })).id;
  rep1Person = (await created('rep1', '/contacts', { last_name: `Mine ${suffix()}` })).id;
  rep1Task = (await created('rep1', '/tasks', { content: 'Call back', due_date: '2030-01-01T09:00:00Z' })).id;
  rep1Lead = (await created('rep1', '/leads', { last_name: `Mine lead ${suffix()}` })).id;
});

interface ReferenceCase {
  name: string;
  /** The request as rep1, naming `ref` in the reference under test. */
  send: (ref: string) => Promise<ApiAnswer>;
  /** An id rep1 cannot see (rep2's record of the referenced kind). */
  hidden: () => string;
}

const post = (path: string, body: unknown) => api('POST', path, { token: as('rep1'), body });
const patch = (path: string, body: unknown) => api('PATCH', path, { token: as('rep1'), body });

/** Every reference to a lead, contact or deal that a write accepts. */
const cases: ReferenceCase[] = [
  {
    name: 'POST /deals contact_id',
    send: (ref) => post('/deals', { name: `Ref ${suffix()}`, contact_id: ref }),
    hidden: () => rep2Person,
  },
  {
    name: 'POST /deals organization_id',
    send: (ref) => post('/deals', { name: `Ref ${suffix()}`, organization_id: ref }),
    hidden: () => rep2Org,
  },
  {
    name: 'POST /deals organization_id naming a hidden person',
    send: (ref) => post('/deals', { name: `Ref ${suffix()}`, organization_id: ref }),
    hidden: () => rep2Person,
  },
  {
    name: 'PATCH /deals/{id} contact_id',
    send: (ref) => patch(`/deals/${rep1Deal}`, { contact_id: ref }),
    hidden: () => rep2Person,
  },
  {
    name: 'PATCH /deals/{id} organization_id',
    send: (ref) => patch(`/deals/${rep1Deal}`, { organization_id: ref }),
    hidden: () => rep2Org,
  },
  {
    name: 'POST /deals/{id}/associated_contacts contact_id',
    send: (ref) => post(`/deals/${rep1Deal}/associated_contacts`, { contact_id: ref }),
    hidden: () => rep2Person,
  },
  {
    name: "POST /contacts contact_id (a person's organisation)",
    send: (ref) => post('/contacts', { last_name: `Ref ${suffix()}`, contact_id: ref }),
    hidden: () => rep2Org,
  },
  {
    name: 'POST /contacts contact_id naming a hidden person',
    send: (ref) => post('/contacts', { last_name: `Ref ${suffix()}`, contact_id: ref }),
    hidden: () => rep2Person,
  },
  {
    name: 'PATCH /contacts/{id} contact_id',
    send: (ref) => patch(`/contacts/${rep1Person}`, { contact_id: ref }),
    hidden: () => rep2Org,
  },
  {
    name: 'POST /notes resource_id (contact)',
    send: (ref) => post('/notes', { resource_type: 'contact', resource_id: ref, content: 'x' }),
    hidden: () => rep2Person,
  },
  {
    name: 'POST /notes resource_id (deal)',
    send: (ref) => post('/notes', { resource_type: 'deal', resource_id: ref, content: 'x' }),
    hidden: () => rep2Deal,
  },
  {
    name: 'POST /notes resource_id (lead)',
    send: (ref) => post('/notes', { resource_type: 'lead', resource_id: ref, content: 'x' }),
    hidden: () => rep2Lead,
  },
  {
    name: 'POST /tasks resource_id',
    send: (ref) => post('/tasks', { content: 'x', due_date: '2030-01-01T09:00:00Z', resource_type: 'deal', resource_id: ref }),
    hidden: () => rep2Deal,
  },
  {
    name: 'PATCH /tasks/{id} resource_id',
    send: (ref) => patch(`/tasks/${rep1Task}`, { resource_type: 'contact', resource_id: ref }),
    hidden: () => rep2Person,
  },
  {
    name: 'POST /leads/{id}/convert organization_id',
    send: (ref) => post(`/leads/${rep1Lead}/convert`, { organization_id: ref }),
    hidden: () => rep2Org,
  },
  {
    name: "POST /deals owner_id (a user outside the caller's reach)",
    send: (ref) => post('/deals', { name: `Ref ${suffix()}`, owner_id: ref }),
    hidden: () => id('rep2'),
  },
  {
    name: 'POST /tasks owner_id (assignee)',
    send: (ref) => post('/tasks', { content: 'x', due_date: '2030-01-01T09:00:00Z', owner_id: ref }),
    hidden: () => id('rep2'),
  },
];

describe('a reference to a record the caller cannot see answers as a missing one', () => {
  it("the instance: rep1 cannot link a deal to rep2's contact, and learns nothing of it", async () => {
    const contact = (await created('rep2', '/contacts', { last_name: `Fjord ${suffix()}` })).id;
    expect((await api('GET', `/contacts/${contact}`, { token: as('rep1') })).status).toBe(404);
    const note = await post('/notes', { resource_type: 'contact', resource_id: contact, content: 'hi' });
    expect(note.status).toBe(404);
    const hidden = await post('/deals', { name: 'Fjord kayaks', value: '900.00', contact_id: contact });
    const missing = await post('/deals', { name: 'Fjord kayaks', value: '900.00', contact_id: MISSING });
    expect(missing.status).toBe(422);
    expect(shapeOf(hidden, contact)).toEqual(shapeOf(missing, MISSING));
  });

  it.each(cases)('$name', async ({ send, hidden }) => {
    const ref = hidden();
    const answerHidden = await send(ref);
    const answerMissing = await send(MISSING);
    expect(answerMissing.status).toBeGreaterThanOrEqual(400);
    expect(shapeOf(answerHidden, ref)).toEqual(shapeOf(answerMissing, MISSING));
  });

  it('a visible reference is still accepted, and a visible person named as an organisation is named so', async () => {
    const mine = (await created('rep1', '/contacts', { is_organization: true, name: `Mine Org ${suffix()}` })).id;
    await created('rep1', '/deals', { name: `Ok ${suffix()}`, contact_id: rep1Person, organization_id: mine });
    const person = await post('/deals', { name: `Ok ${suffix()}`, organization_id: rep1Person });
    expect(person.status).toBe(422);
    expect(JSON.stringify(person.body)).toContain('is a person, not an organisation');
  });

  it('a lead converts into a visible existing organisation, with a deal naming it too', async () => {
    const org = (await created('rep1', '/contacts', { is_organization: true, name: `Existing ${suffix()}` })).id;
    const lead = (await created('rep1', '/leads', { last_name: `Into org ${suffix()}` })).id;
    const converted = await post(`/leads/${lead}/convert`, { organization_id: org, deal: { name: `With org ${suffix()}` } });
    expect(converted.status, JSON.stringify(converted.body)).toBe(200);
    expect(converted.body).toMatchObject({ contact: { contact_id: org }, deal: { organization_id: org } });
  });

  it("a manager links their reports' records, an admin anyone's", async () => {
    await created('manager', '/deals', { name: `Mgr ${suffix()}`, contact_id: rep2Person, organization_id: rep2Org });
    await created('admin', '/deals', { name: `Adm ${suffix()}`, contact_id: rep2Person, organization_id: rep2Org });
    const solo = (await created('solo', '/contacts', { last_name: `Solo ${suffix()}` })).id;
    const manager = await api('POST', '/deals', { token: as('manager'), body: { name: 'x', contact_id: solo } });
    expect(manager.status).toBe(422);
  });
});

// What deleting a record does to what points at it (issue 10, item 4; README table "What
// deleting a record does to what points at it"): no read answers an id its owner gets 404 for.

const get = (who: string, path: string) => api('GET', path, { token: as(who) });
const del = (who: string, path: string) => api('DELETE', path, { token: as(who) });

async function deleted(who: string, path: string): Promise<void> {
  const answer = await del(who, path);
  expect(answer.status, JSON.stringify(answer.body)).toBe(204);
}

describe('deleting a record', () => {
  it("the instance: deleting a deal's contact keeps the deal, unlinked, and lists it no more under the contact", async () => {
    const p = (await created('rep1', '/contacts', { last_name: `P ${suffix()}` })).id;
    const deal = (await created('rep1', '/deals', { name: `Linked ${suffix()}`, contact_id: p })).id;
    await deleted('rep1', `/contacts/${p}`);
    const after = await get('rep1', `/deals/${deal}`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ contact_id: null, version: 2 });
    expect((await get('rep1', `/deals?contact_id=${p}`)).body).toMatchObject({ items: [] });
  });

  it("clears a deal's organisation, and removes the deal's association with a deleted contact", async () => {
    const org = (await created('rep1', '/contacts', { is_organization: true, name: `Org ${suffix()}` })).id;
    const other = (await created('rep1', '/contacts', { last_name: `Assoc ${suffix()}` })).id;
    const deal = (await created('rep1', '/deals', { name: `Org deal ${suffix()}`, organization_id: org })).id;
    expect((await post(`/deals/${deal}/associated_contacts`, { contact_id: other })).status).toBe(201);
    await deleted('rep1', `/contacts/${org}`);
    await deleted('rep1', `/contacts/${other}`);
    expect((await get('rep1', `/deals/${deal}`)).body).toMatchObject({ organization_id: null });
    expect((await get('rep1', `/deals?organization_id=${org}`)).body).toMatchObject({ items: [] });
    expect((await get('rep1', `/deals/${deal}/associated_contacts`)).body).toMatchObject({ items: [] });
    expect((await get('rep1', `/deals?contact_id=${other}`)).body).toMatchObject({ items: [] });
  });

  it("detaches an organisation's people", async () => {
    const org = (await created('rep1', '/contacts', { is_organization: true, name: `Org ${suffix()}` })).id;
    const person = (await created('rep1', '/contacts', { last_name: `Member ${suffix()}`, contact_id: org })).id;
    await deleted('rep1', `/contacts/${org}`);
    expect((await get('rep1', `/contacts/${person}`)).body).toMatchObject({ contact_id: null });
  });

  it.each([
    ['lead', '/leads', { last_name: 'Gone' }],
    ['contact', '/contacts', { last_name: 'Gone' }],
    ['deal', '/deals', { name: 'Gone' }],
  ] as const)('deletes the notes and tasks of a deleted %s', async (type, path, body) => {
    const record = (await created('rep1', path, body)).id;
    const note = (await created('rep1', '/notes', { resource_type: type, resource_id: record, content: 'x' })).id;
    const task = (await created('rep1', '/tasks', { content: 'x', resource_type: type, resource_id: record })).id;
    await deleted('rep1', `${path}/${record}`);
    expect((await get('rep1', `/notes/${note}`)).status).toBe(404);
    expect((await get('rep1', `/tasks/${task}`)).status).toBe(404);
    expect((await get('rep1', '/notes')).body.items.map((n: { id: string }) => n.id)).not.toContain(note);
  });

  it('clears the ids a converted lead keeps of the contact, organisation and deal it became', async () => {
    const lead = (await created('rep1', '/leads', { last_name: `Conv ${suffix()}`, organization_name: `Conv Org ${suffix()}` }))
      .id;
    const converted = await post(`/leads/${lead}/convert`, { deal: { name: `Conv deal ${suffix()}` } });
    expect(converted.status, JSON.stringify(converted.body)).toBe(200);
    const { contact, organization, deal } = converted.body as Record<string, { id: string }>;
    await deleted('rep1', `/deals/${deal!.id}`);
    expect((await get('rep1', `/leads/${lead}`)).body).toMatchObject({
      converted_deal_id: null,
      converted_contact_id: contact!.id,
    });
    await deleted('rep1', `/contacts/${contact!.id}`);
    await deleted('rep1', `/contacts/${organization!.id}`);
    expect((await get('rep1', `/leads/${lead}`)).body).toMatchObject({
      converted_contact_id: null,
      converted_organization_id: null,
      converted_deal_id: null,
    });
  });

  it('unlinks more deals than one transaction holds', async () => {
    const p = (await created('rep1', '/contacts', { last_name: `Popular ${suffix()}` })).id;
    const deals = await Promise.all(
      Array.from({ length: 60 }, (_, i) => created('rep1', '/deals', { name: `Many ${i} ${suffix()}`, contact_id: p })),
    );
    await deleted('rep1', `/contacts/${p}`);
    expect((await get('rep1', `/deals?contact_id=${p}`)).body).toMatchObject({ items: [] });
    for (const { id: deal } of deals) expect((await get('rep1', `/deals/${deal}`)).body).toMatchObject({ contact_id: null });
  });

  it('refuses to delete a stage or pipeline that holds deals, with 409 and a stable code', async () => {
    const pipeline = (await created('admin', '/pipelines', { name: `Held ${suffix()}` })).id;
    const deal = (await created('rep1', '/deals', { name: `Held ${suffix()}`, pipeline_id: pipeline })) as unknown as {
      stage_id: string;
    };
    const stage = await del('admin', `/stages/${deal.stage_id}`);
    expect([stage.status, (stage.body as { code: string }).code]).toEqual([409, 'stage.has_deals']);
    const whole = await del('admin', `/pipelines/${pipeline}`);
    expect([whole.status, (whole.body as { code: string }).code]).toEqual([409, 'pipeline.has_deals']);
  });
});

describe('deleting a reason or source', () => {
  it('keeps it as a tombstone that records naming it still read, and that no write may choose again', async () => {
    const source = (await created('admin', '/sources', { name: `Fair ${suffix()}` })).id;
    const deal = (await created('rep1', '/deals', { name: `Sourced ${suffix()}`, source_id: source })).id;
    await deleted('admin', `/sources/${source}`);
    expect((await get('rep1', `/deals/${deal}`)).body).toMatchObject({ source_id: source });
    expect((await get('rep1', `/sources/${source}`)).body).toMatchObject({ id: source, deleted_at: expect.any(String) });
    const listed = (await get('rep1', '/sources?limit=100')).body as { items: { id: string }[] };
    expect(listed.items.map((s) => s.id)).not.toContain(source);
    const again = await post('/deals', { name: `Again ${suffix()}`, source_id: source });
    expect(shapeOf(again, source)).toEqual(shapeOf(await post('/deals', { name: 'x', source_id: MISSING }), MISSING));
    expect(again.status).toBe(422);
  });
});
