import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SellImportCheckpoint } from '#shared/sell-import/domain.ts';
import { useTestCloud } from '#test/helpers/local-cloud.ts';
import { sellAccount, startSellStandIn, type SellAccount, type SellStandIn } from './sell-stand-in.ts';

// `npm run import:sell` against the local cloud, reading the loopback stand-in of Sell's API:
// killed (SIGKILL) while it writes the leads and run again, it finishes with every record once;
// the imported records answer on /v2 under their Sell ids with a rep's personal access token
// (the rep owns what their Sell user owned), and a second import changes nothing.

const dataDir = mkdtempSync(join(tmpdir(), 'crm-sell-import-'));
const session = useTestCloud({ dataDir, fresh: true });
const TOKEN = 'e'.repeat(64);
let account: SellAccount;
let standIn: SellStandIn;
let pat: string;
let adminPat: string;

beforeAll(async () => {
  account = sellAccount(15, {
    known: [session.users.admin!.email, session.users.rep1!.email],
    unknown: 'left-the-company@example.com',
  });
  standIn = await startSellStandIn(account, TOKEN);
  pat = (await session.api('POST', '/access_tokens', { token: session.as('rep1'), body: { name: 'sell' } })).body.token;
  adminPat = (await session.api('POST', '/access_tokens', { token: session.as('admin'), body: { name: 'sell' } })).body.token;
});
afterAll(async () => {
  await standIn?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const commandArgs = (...extra: string[]) => [
  'infra/ops/import-sell.ts',
  '--token',
  TOKEN,
  '--base-url',
  standIn.baseUrl,
  '--as',
  session.users.admin!.email,
  '--data-dir',
  dataDir,
  ...extra,
];

async function importSell(...extra: string[]): Promise<SellImportCheckpoint> {
  const { stdout } = await promisify(execFile)(process.execPath, commandArgs(...extra), {
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as SellImportCheckpoint;
}

/**
 * Starts the command and kills it (SIGKILL: no handler runs, as in a crash or a closed laptop)
 * once it has asked Sell for the leads and begun writing them. Answers the signal it died of.
 */
async function importKilledAtLeads(): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, commandArgs(), { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const deadline = Date.now() + 180_000;
  while (!standIn.requests.some((r) => r.startsWith('/v2/leads')) && child.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 150)); // into the page's writes
  child.kill('SIGKILL');
  const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  return signal;
}

async function v2(path: string, token = pat) {
  const res = await fetch(`${session.cloud.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as { data: Record<string, unknown> } };
}

describe('npm run import:sell', () => {
  it('killed while writing the leads and run again, imports every record once; they answer on /v2 under their Sell ids', async () => {
    expect(await importKilledAtLeads()).toBe('SIGKILL');
    const report = await importSell();
    expect(report.status).toBe('finished');
    // A lead written before the kill but after the last saved page is found again by its Sell id.
    const { imported, unchanged, skipped } = report.report.leads!;
    expect(imported + unchanged).toBe(account.leads.length);
    expect(skipped).toBe(0);
    expect(report.report.deals).toMatchObject({ imported: account.deals.length, skipped: 0 });
    // Once each: the admin's token lists every Sell lead's name once, under its Sell id.
    const listed = await v2(`/v2/leads?per_page=100&sort_by=id:asc`, adminPat);
    const items = (listed.body as unknown as { items: { data: { id: number; last_name: string } }[] }).items;
    const names = new Set(account.leads.map((l) => l.last_name as string));
    const ours = items.map((i) => i.data).filter((d) => names.has(d.last_name));
    expect(ours.map((d) => d.id).sort()).toEqual(account.leads.map((l) => l.id as number).sort());

    const repsLead = account.leads.find((l) => l.owner_id === 9_100_002)!;
    const lead = await v2(`/v2/leads/${repsLead.id}`);
    expect(lead.status, JSON.stringify(lead.body)).toBe(200);
    // Its owner is the rep, under their Sell user id (the rep was matched by e-mail).
    expect(lead.body.data).toMatchObject({ id: repsLead.id, last_name: repsLead.last_name, owner_id: 9_100_002 });
    expect((await v2('/v2/users/self')).body.data).toMatchObject({ id: 9_100_002 });

    const repsDeal = account.deals.find((d) => d.owner_id === 9_100_002)!;
    const deal = await v2(`/v2/deals/${repsDeal.id}.json`);
    expect(deal.status, JSON.stringify(deal.body)).toBe(200);
    expect(deal.body.data).toMatchObject({ id: repsDeal.id, stage_id: repsDeal.stage_id, contact_id: repsDeal.contact_id });

    // A record whose Sell owner has no user here belongs to the admin: the rep does not see it.
    const othersLead = account.leads.find((l) => l.owner_id === 9_100_003)!;
    expect((await v2(`/v2/leads/${othersLead.id}`)).status).toBe(404);
  }, 300_000);

  it('a second import changes nothing', async () => {
    const again = await importSell('--again');
    expect(again.status).toBe('finished');
    expect(Object.values(again.report).every((r) => r.imported === 0)).toBe(true);
    expect(again.report.leads).toMatchObject({ unchanged: account.leads.length });
  }, 300_000);
});
