import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SellImportCheckpoint } from '#shared/sell-import/domain.ts';
import { useTestCloud } from '#test/helpers/local-cloud.ts';
import { sellAccount, startSellStandIn, type SellAccount, type SellStandIn } from './sell-stand-in.ts';

// `npm run import:sell` against the local cloud, reading the loopback stand-in of Sell's API:
// the imported records answer on /v2 under their Sell ids with a rep's personal access token
// (the rep owns what their Sell user owned), and a second import changes nothing.

const dataDir = mkdtempSync(join(tmpdir(), 'crm-sell-import-'));
const session = useTestCloud({ dataDir, fresh: true });
const TOKEN = 'e'.repeat(64);
let account: SellAccount;
let standIn: SellStandIn;
let pat: string;

beforeAll(async () => {
  account = sellAccount(15, {
    known: [session.users.admin!.email, session.users.rep1!.email],
    unknown: 'left-the-company@example.com',
  });
  standIn = await startSellStandIn(account, TOKEN);
  pat = (await session.api('POST', '/access_tokens', { token: session.as('rep1'), body: { name: 'sell' } })).body.token;
});
afterAll(async () => {
  await standIn?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function importSell(...extra: string[]): Promise<SellImportCheckpoint> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
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
    ],
    { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as SellImportCheckpoint;
}

async function v2(path: string) {
  const res = await fetch(`${session.cloud.url}${path}`, {
    headers: { authorization: `Bearer ${pat}`, accept: 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as { data: Record<string, unknown> } };
}

describe('npm run import:sell', () => {
  it('imports into the local cloud; records answer on /v2 under their Sell ids', async () => {
    const report = await importSell();
    expect(report.status).toBe('finished');
    expect(report.report.leads).toMatchObject({ imported: account.leads.length, skipped: 0 });
    expect(report.report.deals).toMatchObject({ imported: account.deals.length, skipped: 0 });

    const repsLead = account.leads.find((l) => l.owner_id === 9_100_002)!;
    const lead = await v2(`/v2/leads/${repsLead.id}`);
    expect(lead.status, JSON.stringify(lead.body)).toBe(200);
    expect(lead.body.data).toMatchObject({ id: repsLead.id, last_name: repsLead.last_name });

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
