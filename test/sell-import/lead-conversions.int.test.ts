import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { recordIdOf, sellIdsOf, sellNumberKey, sellOfKey, withAssignedSellIds } from '#shared/platform/dynamodb/sell-ids.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import { convertLead } from '#shared/lead-conversion/use-cases.ts';
import { conversionAdapters } from '#shared/lead-conversion/runtime.ts';
import { createLead } from '#shared/leads/use-cases.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { conversionSellIdStep, DynamoSellIds } from '#shared/sell-facade/dynamodb.ts';
import type { Json, NativeApi } from '#shared/sell-facade/ports.ts';
import { serveSell } from '#shared/sell-facade/use-cases.ts';
import type { Item, Table } from '#shared/platform/dynamodb/table.ts';
import { runSellImport } from '#shared/sell-import/use-cases.ts';
import { sellImportAdapters } from '#shared/sell-import/runtime.ts';
import { SellClient } from '#shared/sell-import/sell-client.ts';
import { makeUser, principalOf } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { sellAccount, startSellStandIn, type SellAccount, type SellStandIn } from './sell-stand-in.ts';

// Issue 17: Sell's lead conversions arrive as conversions: the lead converted into the imported
// contact, organisation and deal Sell names (a lead.converted event, marked as the import's),
// the conversion numbered by its own Sell id; a second import changes nothing.

const TOKEN = 'c'.repeat(64);
const admin = makeUser(newId(), { role: 'admin', email: 'ada@sell-conv.test' });
const rep = makeUser(newId(), { email: 'rita@sell-conv.test' });

let table: Table;
let account: SellAccount;
let standIn: SellStandIn;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  const users = new DynamoUserRepository(table);
  await users.create(admin, []);
  await users.create(rep, []);
  account = sellAccount(12, { known: [admin.email, rep.email], unknown: 'gone@sell-conv.test' });
  standIn = await startSellStandIn(account, TOKEN);
}, 60_000);
afterAll(() => standIn?.close());

const run = (id: string) =>
  runSellImport(sellImportAdapters(new SellClient({ baseUrl: standIn.baseUrl, token: TOKEN, requestsPerHour: 3_600_000 })), {
    id,
    actorId: admin.id,
  });

async function scan(kind: string): Promise<Item[]> {
  const out = await table.client.send(
    new ScanCommand({
      TableName: table.name,
      FilterExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: { ':kind': kind },
      ConsistentRead: true,
    }),
  );
  expect(out.LastEvaluatedKey).toBeUndefined();
  return (out.Items ?? []) as Item[];
}

const events = async (): Promise<DomainEvent[]> => (await scan('event')).map((i) => JSON.parse(String(i.event)) as DomainEvent);
const idOf = async (type: 'lead' | 'contact' | 'deal' | 'lead_conversion', n: number) => (await recordIdOf(table, type, n))!;

describe("Sell's lead conversions", () => {
  it('convert the imported lead into the imported records and keep their Sell ids; a second import changes nothing', async () => {
    const finished = await run('conv-1');
    expect(finished.status).toBe('finished');
    expect(finished.report.lead_conversions).toMatchObject({ imported: 2, unchanged: 0, skipped: 1 });
    expect(Object.keys(finished.report.lead_conversions!.reasons)[0]).toMatch(/lead 5599999, which was not imported/);

    const [full, orgOnly] = account.lead_conversions as Record<string, number | null>[];
    const leads = new Map((await scan('lead')).map((l) => [l.id as string, l]));
    const converted = leads.get(await idOf('lead', full!.lead_id!))!;
    expect(converted).toMatchObject({
      status: 'converted',
      converted_contact_id: await idOf('contact', full!.individual_id!),
      converted_organization_id: await idOf('contact', full!.organization_id!),
      converted_deal_id: await idOf('deal', full!.deal_id!),
    });
    // An organisation-only conversion: the organisation is the contact the lead became.
    const org = await idOf('contact', orgOnly!.organization_id!);
    expect(leads.get(await idOf('lead', orgOnly!.lead_id!))).toMatchObject({
      status: 'converted',
      converted_contact_id: org,
      converted_organization_id: org,
      converted_deal_id: null,
    });
    expect([...leads.values()].filter((l) => l.status === 'converted')).toHaveLength(2);

    // The conversion's own Sell id names it (the converted lead), both ways.
    expect(await idOf('lead_conversion', full!.id!)).toBe(converted.id);
    expect((await sellIdsOf(table, 'lead_conversion', [converted.id as string])).get(converted.id as string)).toBe(full!.id);

    // The same event as a conversion here, marked as the import's (no automated action).
    const conversions = (await events()).filter((e) => e.metadata.event_type === 'lead.converted');
    expect(conversions).toHaveLength(2);
    expect(conversions.every((e) => e.metadata.origin?.type === 'import' && e.metadata.origin.automations === false)).toBe(true);

    const before = (await events()).length;
    const again = await run('conv-2');
    expect(again.report.lead_conversions).toMatchObject({ imported: 0, unchanged: 2, skipped: 1 });
    expect((await events()).length).toBe(before);
    expect((await scan('lead')).find((l) => l.id === converted.id)!.version).toBe(converted.version);
  }, 120_000);
});

/** The native lead reads /v2/lead_conversions makes, over the table's lead items (whole lists, no paging). */
const nativeLeads: NativeApi = {
  async call(key, input) {
    const leads = await scan('lead');
    if (key === 'GET /leads') {
      const items = leads.filter((l) => input.query?.status === undefined || l.status === input.query.status);
      return { status: 200, body: { items: items as Json[], next_cursor: null } };
    }
    const found = key === 'GET /leads/{id}' ? leads.find((l) => l.id === input.params?.id) : undefined;
    return found ? { status: 200, body: found as Json } : { status: 404, body: { code: 'lead.not_found' } };
  },
};

const facade = () => ({ native: nativeLeads, ids: new DynamoSellIds(table) });
const sellGet = (path: string) =>
  serveSell(facade(), {
    method: 'GET',
    segments: path.split('/'),
    query: { per_page: '100' },
    body: undefined,
    base: 'https://crm.test/v2',
  });
const listedConversions = async () =>
  ((await sellGet('lead_conversions')).body as { items: { data: Json }[] }).items.map((i) => i.data);

/** A lead made here with Sell id `n` (undefined: the sequence's), converted here. */
async function convertedLead(n: number | undefined, last_name: string) {
  const call = () => callContext(principalOf(admin), 'test', systemClock, () => newId());
  const lead = await withAssignedSellIds(
    (type) => (type === 'lead' ? n : undefined),
    () => createLead(leadAdapters(), call(), { first_name: 'Nat', last_name }),
  );
  await convertLead(conversionAdapters(), call(), lead.id, {});
  return lead;
}

describe('lead conversions made here and imported ones', () => {
  it('never share a Sell id: a native conversion of a lead numbered as an imported conversion takes its own', async () => {
    // Imported by the test above: Sell's conversion N names lead `full.lead_id`.
    const [full] = account.lead_conversions as Record<string, number>[];
    const n = full!.id!;
    const imported = await idOf('lead_conversion', n);
    expect(imported).toBeDefined();
    // A lead made here whose own Sell id is N (as a lead's may be: the kinds' sequences are apart), converted here.
    const lead = await convertedLead(n, 'Native');
    expect(await idOf('lead', n)).toBe(lead.id);
    const own = (await sellIdsOf(table, 'lead_conversion', [lead.id])).get(lead.id)!;
    expect(own).toBeGreaterThan(n);
    expect(await idOf('lead_conversion', own)).toBe(lead.id);

    const listed = await listedConversions();
    const ids = listed.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id === n)).toHaveLength(1);
    expect(ids.filter((id) => id === own)).toHaveLength(1);
    expect(listed.find((c) => c.id === own)!.lead_id).toBe(n);
    expect(listed.find((c) => c.id === n)!.lead_id).toBe(full!.lead_id);

    const byImported = (await sellGet(`lead_conversions/${n}`)).body as { data: Json };
    expect(byImported.data).toMatchObject({ id: n, lead_id: full!.lead_id, individual_id: full!.individual_id });
    const byOwn = (await sellGet(`lead_conversions/${own}`)).body as { data: Json };
    expect(byOwn.data).toMatchObject({ id: own, lead_id: n });
  }, 60_000);
});

describe('conversions made before they had their own Sell ids', () => {
  /** Converted here, then its own number taken away: as a conversion made before this change. */
  async function formerConversion(n: number | undefined, last_name: string) {
    const lead = await convertedLead(n, last_name);
    const own = (await sellIdsOf(table, 'lead_conversion', [lead.id])).get(lead.id)!;
    await table.write([
      { type: 'remove', key: sellNumberKey('lead_conversion', String(own)) },
      { type: 'remove', key: sellOfKey('lead_conversion', lead.id) },
    ]);
    return { id: lead.id, n: (await sellIdsOf(table, 'lead', [lead.id])).get(lead.id)! };
  }

  it("show their lead's number while no conversion owns it, and the migration numbers them once each", async () => {
    const [, orgOnly] = account.lead_conversions as Record<string, number>[];
    // One whose lead's number an imported conversion holds, one whose lead's number is free.
    const clashing = await formerConversion(orgOnly!.id!, 'Clash');
    const free = await formerConversion(undefined, 'Free');
    let listed = await listedConversions();
    expect(listed.find((c) => c.lead_id === free.n)!.id).toBe(free.n);
    expect(listed.find((c) => c.lead_id === clashing.n)!.id).toBeNull();
    expect(((await sellGet(`lead_conversions/${free.n}`)).body as { data: Json }).data.lead_id).toBe(free.n);
    // The number is the imported conversion's.
    expect(((await sellGet(`lead_conversions/${orgOnly!.id}`)).body as { data: Json }).data.lead_id).toBe(orgOnly!.lead_id);

    for (let round = 0; round < 2; round++) {
      let checkpoint: string | null = null;
      do checkpoint = await conversionSellIdStep(table, checkpoint);
      while (checkpoint !== null);
    }
    const numbers = await sellIdsOf(table, 'lead_conversion', [free.id, clashing.id]);
    expect(numbers.get(free.id)).toBe(free.n);
    expect(numbers.get(clashing.id)).toBeGreaterThan(9_400_099);
    listed = await listedConversions();
    const ids = listed.map((c) => c.id);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(listed.find((c) => c.lead_id === clashing.n)!.id).toBe(numbers.get(clashing.id));
  }, 60_000);
});
