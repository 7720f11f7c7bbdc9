import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { loadConfig } from '#infra/config/load.ts';
import { startLocalCloud } from '#infra/local/cloud.ts';
import { seedLocalData, type DevUser } from '#infra/local/seed.ts';
import { ensureWebBuild, initialJsGzipBytes, WEB_DIST } from '#infra/local/web-build.ts';
import { lagMain, lagRow, lagTable, measureInChild } from './lag.ts';
import { allPass, atMost, formatKb, formatMs, percentile, type Verdict } from './stats.ts';

// The web app's two budgets (issue 16), in headless Chromium (Debian's, through playwright-core)
// on the whole local cloud: the initial JavaScript (index.html's module script and preloads,
// gzipped) and the dashboard's time to data: from the start of a full navigation to "/" until
// the last 30 days' won count is on screen (index.html, the shell's chunks, /config.json, the
// dashboard's chunk and its API calls through the web gateway). A seeded rep is signed in; the
// first load starts the functions' workers (cold, reported apart), then `samples` warm loads.
//   node bench/web-dashboard.ts [--samples N]   runs this part alone
// `npm run bench` runs it in a child process, on a local cloud of its own.

/** Target: the dashboard shows its data within this long of navigation (ms, p90 of warm loads). */
export const DASHBOARD_TIME_TO_DATA_LIMIT_MS = 1000;
/** Target: the initial JavaScript, gzipped (bytes). */
export const WEB_INITIAL_JS_LIMIT_BYTES = 250 * 1024;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'local-bench-password';

export interface WebBudgetResult {
  initialJsGzipBytes: number;
  initialJsFiles: number;
  /** The first load after sign-in (the dashboard's functions start their workers). */
  coldMs: number;
  samples: number;
  timesMs: number[];
  p50Ms: number;
  p90Ms: number;
  verdicts: { initialJs: Verdict; timeToData: Verdict };
  verdict: Verdict;
}

export async function measureWebBudgets(samples = 10): Promise<WebBudgetResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium`);
  ensureWebBuild();
  const initial = initialJsGzipBytes();
  const config = loadConfig();
  let users: DevUser[] = [];
  const cloud = await startLocalCloud({
    config,
    port: 0,
    sesPort: 0,
    webSocketPort: 0,
    functionSettings: { logLevel: 'ERROR', validateResponses: false },
    web: { distDir: WEB_DIST, password: PASSWORD, devUsers: () => users.map((u) => ({ email: u.email, role: u.role })) },
    onFreshTable: async (c) => {
      users = (await seedLocalData(c, config)).users;
    },
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // The directory sync (a bus consumer) creates the Cognito users after seeding.
    const deadline = Date.now() + 20_000;
    while (!cloud.cognito.users().some((u) => u.username === 'rep1@example.com' && u.groups.length > 0)) {
      if (Date.now() > deadline) throw new Error('rep1 never reached the Cognito stand-in');
      await new Promise((r) => setTimeout(r, 100));
    }
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(`${cloud.webUrl!}/signin`);
    await page.getByRole('textbox', { name: /^Email/ }).fill('rep1@example.com');
    await page.locator('input[type=password]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
    const load = async (): Promise<number> => {
      const at = performance.now();
      await page.goto(`${cloud.webUrl!}/`);
      await page.getByTestId('outcome-won').getByTestId('count').waitFor();
      return performance.now() - at;
    };
    const coldMs = await load();
    const timesMs: number[] = [];
    for (let i = 0; i < samples; i++) timesMs.push(await load());
    const p90Ms = percentile(timesMs, 90);
    const verdicts = {
      initialJs: atMost(initial.bytes, WEB_INITIAL_JS_LIMIT_BYTES),
      timeToData: atMost(p90Ms, DASHBOARD_TIME_TO_DATA_LIMIT_MS),
    };
    return {
      initialJsGzipBytes: initial.bytes,
      initialJsFiles: initial.files.length,
      coldMs,
      samples,
      timesMs,
      p50Ms: percentile(timesMs, 50),
      p90Ms,
      verdicts,
      verdict: allPass(Object.values(verdicts)),
    };
  } finally {
    await browser.close();
    await cloud.stop();
  }
}

export function webBudgetTable(r: WebBudgetResult): string {
  return [
    `== Web app: initial JavaScript ${formatKb(r.initialJsGzipBytes)} gzipped in ${r.initialJsFiles} files (target ≤ ${formatKb(WEB_INITIAL_JS_LIMIT_BYTES)}): ${r.verdicts.initialJs}`,
    lagTable(
      `Dashboard time to data in headless Chromium on the local cloud: navigation to "/" → the won count on screen (${r.samples} warm loads; the first, cold, took ${formatMs(r.coldMs, 0)})`,
      [lagRow('navigation → data', r.timesMs, `p90 ≤ ${formatMs(DASHBOARD_TIME_TO_DATA_LIMIT_MS, 0)}`, r.verdicts.timeToData)],
    ),
  ].join('\n');
}

/** measureWebBudgets in a fresh process (see bench/lag.ts). */
export function measureWebBudgetsInChild(samples: number): Promise<WebBudgetResult> {
  return measureInChild(import.meta.url, samples);
}

if (import.meta.main) await lagMain(10, measureWebBudgets, webBudgetTable);
