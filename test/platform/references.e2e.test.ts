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

  it("a manager links their reports' records, an admin anyone's", async () => {
    await created('manager', '/deals', { name: `Mgr ${suffix()}`, contact_id: rep2Person, organization_id: rep2Org });
    await created('admin', '/deals', { name: `Adm ${suffix()}`, contact_id: rep2Person, organization_id: rep2Org });
    const solo = (await created('solo', '/contacts', { last_name: `Solo ${suffix()}` })).id;
    const manager = await api('POST', '/deals', { token: as('manager'), body: { name: 'x', contact_id: solo } });
    expect(manager.status).toBe(422);
  });
});
