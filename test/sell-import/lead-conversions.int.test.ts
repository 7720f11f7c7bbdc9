import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { recordIdOf, sellIdsOf } from '#shared/platform/dynamodb/sell-ids.ts';
import type { Item, Table } from '#shared/platform/dynamodb/table.ts';
import { runSellImport } from '#shared/sell-import/use-cases.ts';
import { sellImportAdapters } from '#shared/sell-import/runtime.ts';
import { SellClient } from '#shared/sell-import/sell-client.ts';
import { makeUser } from '#test/helpers/fakes.ts';
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
