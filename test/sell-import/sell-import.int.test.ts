import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoUserRepository } from '#shared/identity/dynamodb.ts';
import type { DomainEvent } from '#shared/kernel/events.ts';
import { newId } from '#shared/kernel/ids.ts';
import { callContext, systemClock } from '#shared/kernel/ports.ts';
import { dealAdapters } from '#shared/deals/runtime.ts';
import { listAssociatedContacts } from '#shared/deals/use-cases.ts';
import { leadAdapters } from '#shared/leads/runtime.ts';
import { createLead } from '#shared/leads/use-cases.ts';
import { recordIdOf, sellIdsOf, type SellIdType } from '#shared/platform/dynamodb/sell-ids.ts';
import type { Item, Table } from '#shared/platform/dynamodb/table.ts';
import { runSellImport, type SellImportDeps } from '#shared/sell-import/use-cases.ts';
import { sellImportAdapters } from '#shared/sell-import/runtime.ts';
import { SellClient } from '#shared/sell-import/sell-client.ts';
import type { SellImportCheckpoint } from '#shared/sell-import/domain.ts';
import { makeUser, principalOf } from '#test/helpers/fakes.ts';
import { testTableClient, useTestTable } from '#test/helpers/table.ts';
import { sellAccount, startSellStandIn, type SellAccount, type SellStandIn } from './sell-stand-in.ts';

// The importer from Sell's API against the loopback stand-in and DynamoDB Local, through the
// families' use cases: an import killed midway and resumed (also in Lambda-sized runs of a few
// pages) holds every importable record exactly once, each under its Sell id, references
// translated, events marked as an import's; a second import writes nothing and no event.

const SIZE = 550;
const TOKEN = 'f'.repeat(64);
const admin = makeUser(newId(), { role: 'admin', email: 'ada@sell-import.test' });
const rep = makeUser(newId(), { email: 'rita@sell-import.test' });

let table: Table;
let account: SellAccount;
let standIn: SellStandIn;

beforeAll(async () => {
  const { tableName } = await useTestTable();
  table = testTableClient(tableName);
  const users = new DynamoUserRepository(table);
  await users.create(admin, []);
  await users.create(rep, []);
  account = sellAccount(SIZE, { known: [admin.email, rep.email], unknown: 'gone@sell-import.test' });
  standIn = await startSellStandIn(account, TOKEN);
}, 60_000);
afterAll(() => standIn?.close());

// Sell's pacing on a virtual clock (sell-client.test.ts shows the real spacing): no request
// waits, and Retry-After waits are recorded, not slept, so the file's time is the table's.
function deps(extra: Partial<SellImportDeps> = {}): SellImportDeps {
  let now = Date.now();
  const client = new SellClient({
    baseUrl: standIn.baseUrl,
    token: TOKEN,
    now: () => now,
    sleep: async (ms) => void (now += ms),
  });
  return { ...sellImportAdapters(client), ...extra };
}

async function scan(kind: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.client.send(
      new ScanCommand({
        TableName: table.name,
        FilterExpression: '#kind = :kind',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: { ':kind': kind },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const events = async (): Promise<DomainEvent[]> => (await scan('event')).map((i) => JSON.parse(String(i.event)) as DomainEvent);

/** Sell ids → record ids here, for one kind. */
async function mapped(type: SellIdType, sellIds: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const n of sellIds) {
    const id = await recordIdOf(table, type, n);
    if (id) out.set(n, id);
  }
  return out;
}

const ids = (records: readonly Record<string, unknown>[]) => records.map((r) => r.id as number);

let finished: SellImportCheckpoint;

describe('import from Sell', () => {
  it('killed midway and resumed in runs of a few pages, holds every record once under its Sell id', async () => {
    // The first run dies after the leads' second page: that page's records are written, its checkpoint is not.
    const crash = new Error('killed');
    await expect(
      runSellImport(
        deps({
          afterPage: () => {
            const last = standIn.requests.at(-1) ?? '';
            if (last.startsWith('/v2/leads?') && /[?&]page=2(&|$)/.test(last)) throw crash;
          },
        }),
        { id: 'sell-1', actorId: admin.id },
      ),
    ).rejects.toBe(crash);
    const partial = await scan('lead');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(SIZE);

    // Resumed as the AWS job would run it: a few pages a run, each starting at the checkpoint;
    // Sell throttles once on the way (429 with Retry-After: 1).
    let runs = 0;
    let checkpoint: SellImportCheckpoint;
    const throttleOnce = (pages: number) => {
      if (pages === 25) standIn.throttle(2, 1);
    };
    do {
      checkpoint = await runSellImport(deps({ afterPage: throttleOnce }), { id: 'sell-1', actorId: admin.id, maxPages: 5 });
      runs++;
    } while (checkpoint.status !== 'finished' && runs < 50);
    expect(checkpoint.status).toBe('finished');
    expect(runs).toBeGreaterThan(2);
    expect(standIn.throttled).toBe(2);
    finished = checkpoint;

    // Exactly once: as many records of each kind as Sell had (notes: less the restricted ones).
    const restricted = account.notes.filter((n) => n.type === 'restricted').length;
    expect((await scan('lead')).length).toBe(account.leads.length);
    expect((await scan('contact')).length).toBe(account.contacts.length);
    expect((await scan('deal')).length).toBe(account.deals.length);
    expect((await scan('note')).length).toBe(account.notes.length - restricted);
    expect((await scan('task')).length).toBe(account.tasks.length);

    // Id-faithful: each Sell id names its record, and the record's references name the records
    // the Sell references' ids name.
    const leads = await mapped('lead', ids(account.leads));
    const contacts = await mapped('contact', ids(account.contacts));
    const deals = await mapped('deal', ids(account.deals));
    const stages = await mapped('stage', ids(account.stages));
    expect(leads.size).toBe(account.leads.length);
    expect(contacts.size).toBe(account.contacts.length);
    expect(deals.size).toBe(account.deals.length);
    expect(stages.size).toBe(account.stages.length);
    const users = await mapped('user', ids(account.users));
    expect(users.get(9_100_001)).toBe(admin.id);
    expect(users.get(9_100_002)).toBe(rep.id);
    expect(users.has(9_100_003)).toBe(false);

    const byId = new Map((await scan('deal')).map((d) => [d.id as string, d]));
    for (const sell of account.deals.slice(0, 50)) {
      const deal = byId.get(deals.get(sell.id as number)!)!;
      expect(deal.name).toBe(sell.name);
      expect(deal.stage_id).toBe(stages.get(sell.stage_id as number));
      expect(deal.contact_id).toBe(contacts.get(sell.contact_id as number));
      // The third Sell user has no user here: the importing admin owns their records.
      expect(deal.owner_id).toBe(sell.owner_id === 9_100_002 ? rep.id : admin.id);
    }
    const people = new Map((await scan('contact')).map((c) => [c.id as string, c]));
    const person = account.contacts.find((c) => c.is_organization === false)!;
    expect(people.get(contacts.get(person.id as number)!)!.contact_id).toBe(contacts.get(person.contact_id as number));
    const leadItems = new Map((await scan('lead')).map((l) => [l.id as string, l]));
    const withFields = account.leads[1]!;
    const lead = leadItems.get(leads.get(withFields.id as number)!)!;
    expect(lead.last_name).toBe(withFields.last_name);
    expect(lead.tags).toEqual(['webinar']);
    expect(Object.keys(lead.custom_fields as object)).toHaveLength(2);
    const note = (await scan('note')).find((n) => n.content === account.notes[2]!.content)!;
    expect(note.resource_type).toBe('deal');
    expect(note.resource_id).toBe(deals.get(account.notes[2]!.resource_id as number));
    const expectedLinks = [...account.associated_contacts.values()].reduce((n, l) => n + l.length, 0);
    expect(finished.report.associated_contacts).toMatchObject({ imported: expectedLinks, skipped: 0 });
    const [dealSellId, sellLinks] = [...account.associated_contacts][0]!;
    const call = callContext(principalOf(admin), 'check', systemClock, () => newId());
    const links = await listAssociatedContacts(dealAdapters(), call, deals.get(dealSellId)!);
    expect(links.map((l) => [l.contact_id, l.role])).toEqual(
      sellLinks.map((l) => [contacts.get(l.contact_id as number), l.role]),
    );

    // Sell's lead and deal sources are one list here: "Website" twice is one entry, both ids name it.
    expect(await recordIdOf(table, 'source', 6_600_302)).toBe(await recordIdOf(table, 'source', 6_600_201));

    // The report: skipped records and resources, with the reasons.
    expect(finished.report.users).toMatchObject({ imported: 2, skipped: 1 });
    expect(finished.report.notes!.skipped).toBe(restricted);
    // Calls and texts: each once under its Sell id, on its record, deals and outcome, as made by
    // its Sell user (or the admin when that user has none here); the numberless call and the
    // text on a deal skipped with their reasons.
    expect((await scan('call')).length).toBe(account.calls.length - 1);
    expect((await scan('text_message')).length).toBe(account.text_messages.length - 1);
    expect(finished.report.call_outcomes).toMatchObject({ imported: account.call_outcomes.length, skipped: 0 });
    expect(finished.report.calls).toMatchObject({ imported: account.calls.length - 1, skipped: 1 });
    expect(Object.keys(finished.report.calls!.reasons)[0]).toMatch(/phone_number/);
    expect(finished.report.text_messages).toMatchObject({ imported: account.text_messages.length - 1, skipped: 1 });
    expect(Object.keys(finished.report.text_messages!.reasons)[0]).toMatch(/deal/);
    const callIds = await mapped('call', ids(account.calls));
    const outcomes = await mapped('call_outcome', ids(account.call_outcomes));
    const callItems = new Map((await scan('call')).map((c) => [c.id as string, c]));
    for (const sell of account.calls.slice(0, 12)) {
      const item = callItems.get(callIds.get(sell.id as number)!)!;
      const linked = sell.resource_type === 'lead' ? leads : sell.resource_type === 'contact' ? contacts : undefined;
      expect(item).toMatchObject({
        user_id: sell.user_id === 9_100_002 ? rep.id : admin.id,
        summary: sell.summary,
        duration: sell.duration,
        incoming: sell.incoming,
        missed: sell.missed,
        recording_url: sell.recording_url,
        made_at: new Date(sell.made_at as string).toISOString(),
        outcome_id: sell.outcome_id === null ? null : outcomes.get(sell.outcome_id as number),
        resource_type: sell.resource_type,
        resource_id: linked ? linked.get(sell.resource_id as number) : null,
        associated_deal_ids: (sell.associated_deal_ids as number[]).map((n) => deals.get(n)),
        source: 'manual',
      });
      expect(item.phone_number).toMatch(/^\+4144555\d{4}$/);
    }
    const texts = await mapped('text_message', ids(account.text_messages));
    const textItems = new Map((await scan('text_message')).map((t) => [t.id as string, t]));
    const sellText = account.text_messages[1]!;
    expect(textItems.get(texts.get(sellText.id as number)!)).toMatchObject({
      content: sellText.content,
      resource_type: 'contact',
      resource_id: contacts.get(sellText.resource_id as number),
      resource_phone_number: '+41795550001',
    });
    expect(textItems.get(texts.get(account.text_messages[2]!.id as number)!)).toMatchObject({ resource_type: null });
    expect(finished.report.products!.note).toMatch(/no products/);
    // Conversions (lead-conversions.int.test.ts shows the records): two, and one naming a lead Sell no longer has.
    expect(finished.report.lead_conversions).toMatchObject({ imported: 2, skipped: 1 });
    expect(finished.report.stages).toMatchObject({ imported: account.stages.length, skipped: 0 });
    for (const name of ['leads', 'contacts (organizations)', 'contacts (people)', 'deals', 'tasks']) {
      expect(finished.report[name]!.skipped, name).toBe(0);
    }

    // Imported records fire no automated action: every event is marked as the import's.
    const all = await events();
    expect(all.length).toBeGreaterThan(SIZE);
    expect(all.every((e) => e.metadata.origin?.type === 'import' && e.metadata.origin.automations === false)).toBe(true);
  }, 600_000);

  it('a second import changes nothing and writes no event; a new record takes a number past the imported ones', async () => {
    const before = (await events()).length;
    const again = await runSellImport(deps(), { id: 'sell-2', actorId: admin.id });
    expect(again.status).toBe('finished');
    expect((await events()).length).toBe(before);
    for (const [name, report] of Object.entries(again.report)) {
      expect(report.imported, name).toBe(0);
    }
    expect(again.report.leads).toMatchObject({ unchanged: account.leads.length, skipped: 0 });
    // The finished import itself, run again, reads nothing.
    const requests = standIn.requests.length;
    expect((await runSellImport(deps(), { id: 'sell-1', actorId: admin.id })).status).toBe('finished');
    expect(standIn.requests.length).toBe(requests);

    const call = callContext(principalOf(admin), 'after-import', systemClock, () => newId());
    const fresh = await createLead(leadAdapters(), call, { last_name: 'Made here' });
    const n = (await sellIdsOf(table, 'lead', [fresh.id])).get(fresh.id)!;
    expect(n).toBeGreaterThan(Math.max(...ids(account.leads)));
  }, 300_000);

  it('refuses a user who is not an admin', async () => {
    await expect(runSellImport(deps(), { id: 'sell-3', actorId: rep.id })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
