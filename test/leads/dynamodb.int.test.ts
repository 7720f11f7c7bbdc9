import { beforeAll, describe, expect, it } from 'vitest';
import { contactCreateOps, DynamoContactRepository, organizationPeopleKey } from '#shared/contacts/dynamodb.ts';
import { customFieldKey, DynamoCustomFieldRepository } from '#shared/custom-fields/dynamodb.ts';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import { recordKey } from '#shared/platform/dynamodb/keys.ts';
import { DynamoLeadRepository, leadConvertOps } from '#shared/leads/dynamodb.ts';
import { DynamoNamedListRepository } from '#shared/pipelines/dynamodb.ts';
import { withoutDuplicateChecks } from '#shared/platform/dynamodb/reference-checks.ts';
import { outboxItem, type Table } from '#shared/platform/dynamodb/table.ts';
import { createCustomField, CustomFieldCatalog } from '#shared/custom-fields/use-cases.ts';
import { createLead, deleteLead, listLeads, updateLead, type LeadsDeps } from '#shared/leads/use-cases.ts';
import { callContext, systemClock, type Call } from '#shared/kernel/ports.ts';
import { ValidationError, VersionMismatchError } from '#shared/kernel/errors.ts';
import { domainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { leadAsConverted, type Lead } from '#shared/leads/domain.ts';
import type { Principal } from '#shared/kernel/principal.ts';
import { makeUser, rejection } from '#test/helpers/fakes.ts';
import { makeContact } from '#test/contacts/fakes.ts';
import { CountingMeter, testTableClient, useTestTable } from '#test/helpers/table.ts';

// The lead adapter against DynamoDB Local: references checked in the write, indexes by owner
// and status, filters, search terms kept with the lead, and the conversion's writes joined
// with a contact's in one transaction.

let table: Table;
const meter = new CountingMeter();
let leads: DynamoLeadRepository;
let deps: LeadsDeps;
let sourceId: string;
let reasonId: string;
let segment: { id: string; name: string };
const admin = makeUser(newId(), { role: 'admin' });
const repA = makeUser(newId());
const repB = makeUser(newId());
const gone = makeUser(newId(), { status: 'inactive' });
const principal = (u: typeof repA, reports: string[] = []): Principal => ({
  user_id: u.id,
  email: u.email,
  role: u.role,
  direct_reports: reports,
});
const as = (u: typeof repA): Call => callContext(principal(u), 'test', systemClock, () => newId());

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName, meter);
  leads = new DynamoLeadRepository(table);
  const users = new DynamoUserRepository(table);
  for (const u of [admin, repA, repB, gone]) await users.create(u, []);
  const lists = new DynamoNamedListRepository(table);
  sourceId = newId();
  reasonId = newId();
  const entry = (id: string) => ({ id, name: `Entry ${id}`, created_at: '', updated_at: '', version: 1 });
  await lists.create('source', [entry(sourceId)], []);
  await lists.create('lead_unqualified_reason', [entry(reasonId)], []);
  const fields = new DynamoCustomFieldRepository(table);
  const catalog = new CustomFieldCatalog(fields);
  segment = await createCustomField({ customFields: fields, catalog }, as(admin), 'lead', {
    name: 'Segment',
    type: 'list',
    choices: ['SMB', 'Enterprise'],
  });
  deps = { leads, customFields: catalog };
});

const fieldOf = async (promise: Promise<unknown>) => {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).problems.map((p) => p.field);
};
const valueCount = async (fieldId: string) => Number((await table.get(customFieldKey(fieldId)))?.value_count ?? 0);
const searchTermsOf = async (pk: string) => (await table.partition(pk, 'search#')).map((i) => String(i.term)).sort();

describe('lead writes', () => {
  it('creates a lead with its search terms and custom field count in one write', async () => {
    const before = await valueCount(segment.id);
    const lead = await createLead(deps, as(repA), {
      first_name: 'Zoë',
      last_name: 'Müller',
      organization_name: 'Acme GmbH',
      email: 'zoe@acme.example',
      source_id: sourceId,
      custom_fields: { Segment: 'SMB' },
    });
    expect(await leads.get(lead.id)).toMatchObject({ id: lead.id, custom_fields: { [segment.id]: 'SMB' }, source_id: sourceId });
    expect(await searchTermsOf(`lead#${lead.id}`)).toEqual(expect.arrayContaining(['zoe muller', 'muller', 'acme gmbh']));
    expect(await valueCount(segment.id)).toBe(before + 1);
  });

  it('checks the owner, the source and the unqualified reason inside the write, naming the field', async () => {
    expect(await fieldOf(createLead(deps, as(admin), { last_name: 'X', owner_id: gone.id }))).toEqual(['body.owner_id']);
    expect(await fieldOf(createLead(deps, as(repA), { last_name: 'X', source_id: newId() }))).toEqual(['body.source_id']);
    expect(
      await fieldOf(createLead(deps, as(repA), { last_name: 'X', status: 'unqualified', unqualified_reason_id: newId() })),
    ).toEqual(['body.unqualified_reason_id']);
    const ok = await createLead(deps, as(repA), { last_name: 'X', status: 'unqualified', unqualified_reason_id: reasonId });
    expect(ok.unqualified_reason_id).toBe(reasonId);
  });

  it('refuses a stale version and keeps the search terms in step with the name', async () => {
    const lead = await createLead(deps, as(repA), { last_name: 'Old' });
    const stored = (await leads.get(lead.id))!;
    await updateLead(deps, as(repA), lead.id, { last_name: 'New Name' });
    expect(await searchTermsOf(`lead#${lead.id}`)).toEqual(['name', 'new name']);
    expect(await rejection(leads.update(stored, { ...stored, title: 'x', version: 2 }, { ...stored }, []))).toBeInstanceOf(
      VersionMismatchError,
    );
  });

  it('deletes the lead, its search terms and its custom field counts', async () => {
    const lead = await createLead(deps, as(repA), { last_name: 'Gone', custom_fields: { Segment: 'Enterprise' } });
    const before = await valueCount(segment.id);
    await deleteLead(deps, as(repA), lead.id);
    expect(await table.partition(`lead#${lead.id}`)).toEqual([]);
    expect(await valueCount(segment.id)).toBe(before - 1);
  });
});

describe('lead lists', () => {
  let tag: string;
  const made: Record<string, Lead> = {};
  beforeAll(async () => {
    tag = `t${Date.now()}`;
    const make = async (key: string, who: typeof repA, body: Parameters<typeof createLead>[2]) => {
      const view = await createLead(deps, as(who), { tags: [tag], ...body });
      made[key] = (await leads.get(view.id))!;
    };
    await make('a1', repA, { last_name: 'Alpha', address: { city: 'Zürich' } });
    await make('a2', repA, { last_name: 'bravo', status: 'working', custom_fields: { Segment: 'Enterprise' } });
    await make('a3', repA, { last_name: 'Charlie', status: 'working', address: { city: 'Lyon' } });
    await make('b1', repB, { last_name: 'Delta', status: 'working' });
  });

  const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id);

  it("reads one owner's status partition in one query; admins read the status partition of everyone", async () => {
    meter.reset();
    const working = await listLeads(deps, as(repA), { limit: 10, status: 'working', tags: tag, raw: {} });
    expect(ids(working)).toEqual([made.a3!.id, made.a2!.id]);
    expect(meter.calls.map((c) => c.operation)).toEqual(['Query']);
    const all = await listLeads(deps, as(admin), { limit: 10, status: 'working', tags: tag, raw: {} });
    expect(ids(all)).toEqual([made.b1!.id, made.a3!.id, made.a2!.id]);
  });

  it("fans out one query per owner for a manager's scope, and pages with a cursor", async () => {
    // repA as a manager of repB: two owners in scope.
    const manager = callContext({ ...principal(repA, [repB.id]), role: 'manager' }, 'test', systemClock, () => newId());
    meter.reset();
    const first = await listLeads(deps, manager, { limit: 3, tags: tag, raw: {} });
    expect(meter.calls.filter((c) => c.operation === 'Query')).toHaveLength(2);
    expect(ids(first)).toEqual([made.b1!.id, made.a3!.id, made.a2!.id]);
    // Filters apply after the read: a page may come short, and a cursor lead to nothing more.
    const rest: string[] = [];
    for (let cursor = first.next_cursor; cursor;) {
      const page = await listLeads(deps, manager, { limit: 3, tags: tag, cursor, raw: {} });
      rest.push(...ids(page));
      cursor = page.next_cursor;
    }
    expect(rest).toEqual([made.a1!.id]);
  });

  it('filters on city (ignoring case and accents), custom fields, and sorts by name in memory', async () => {
    expect(ids(await listLeads(deps, as(repA), { limit: 10, tags: tag, city: 'ZURICH', raw: {} }))).toEqual([made.a1!.id]);
    expect(
      ids(await listLeads(deps, as(repA), { limit: 10, tags: tag, raw: { 'custom_fields[Segment]': 'enterprise' } })),
    ).toEqual([made.a2!.id]);
    const sorted = await listLeads(deps, as(admin), { limit: 10, tags: tag, sort_by: 'last_name', sort_order: 'asc', raw: {} });
    expect(sorted.items.map((l) => l.last_name)).toEqual(['Alpha', 'bravo', 'Charlie', 'Delta']);
  });

  it('lists nothing for an owner outside the scope, without reading', async () => {
    meter.reset();
    expect(await listLeads(deps, as(repA), { limit: 10, owner_id: repB.id, raw: {} })).toEqual({ items: [], next_cursor: null });
    expect(meter.calls.filter((c) => c.operation === 'Query')).toEqual([]);
  });
});

describe('conversion writes', () => {
  it('mark the lead converted and create the person and their organisation in one transaction', async () => {
    const view = await createLead(deps, as(repA), { first_name: 'Ada', last_name: 'Byron', organization_name: 'Engines Ltd' });
    const lead = (await leads.get(view.id))!;
    const org = makeContact(newId(), { is_organization: true, name: 'Engines Ltd', owner_id: repA.id, source_id: sourceId });
    const person = makeContact(newId(), {
      first_name: 'Ada',
      last_name: 'Byron',
      name: 'Ada Byron',
      owner_id: repA.id,
      contact_id: org.id,
      source_id: sourceId,
    });
    const at = new Date().toISOString();
    const converted = leadAsConverted(lead, { contact_id: person.id, organization_id: org.id, deal_id: null, at });
    const ctx = { actor_id: repA.id, correlation_id: 'convert', now: new Date(at), newId: () => newId() };
    const refs = (c: typeof org) => ({ owner_id: c.owner_id, source_id: c.source_id, contact_id: c.contact_id });
    const ops = withoutDuplicateChecks([
      ...leadConvertOps(lead, converted),
      ...contactCreateOps({ contact: org, refs: refs(org) }, { contact: person, refs: refs(person) }),
    ]);
    // The owner and source are checked once each; the organisation created here is not checked.
    expect(ops.filter((op) => op.type === 'check').map((op) => ('key' in op ? op.key.pk : ''))).toEqual([
      `user#${repA.id}`,
      `source#${sourceId}`,
    ]);
    const event = domainEvent(ctx, 'lead.converted', { resource_type: 'lead', resource_id: lead.id }, converted);
    await table.write(ops, [event]);

    expect(await leads.get(lead.id)).toEqual(converted);
    expect(await searchTermsOf(`lead#${lead.id}`)).toEqual([]);
    const contacts = new DynamoContactRepository(table);
    expect(await contacts.get(person.id)).toEqual(person);
    expect(await table.get(organizationPeopleKey(org.id))).toMatchObject({ people: 1 });
    expect(await table.get({ pk: outboxItem(event, 0).pk, sk: 'event' })).toMatchObject({ event_type: 'lead.converted' });

    // A second conversion from the same read fails on the version and writes nothing.
    const again = makeContact(newId(), { owner_id: repA.id });
    const error = await rejection(
      table.write([...leadConvertOps(lead, converted), ...contactCreateOps({ contact: again, refs: refs(again) })]),
    );
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect(await contacts.get(again.id)).toBeUndefined();
    expect(await table.get(recordKey('lead', lead.id))).toMatchObject({ status: 'converted' });
  });
});
