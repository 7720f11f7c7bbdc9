import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { loadConfig } from '#infra/config/load.ts';
import type { LocalCloud } from '#infra/local/cloud.ts';
import { audit, newPage as newBrowserPage, signInAs, startWebSession } from './browser.ts';
import { sellAccount, startSellStandIn, type SellAccount, type SellStandIn } from '../sell-import/sell-stand-in.ts';

// The admin-started import from Zendesk Sell in a real browser (Debian's chromium through
// playwright-core) against the whole local cloud, its config pointing sell_import.base_url at
// the loopback stand-in of Sell's API: the admin starts it from Settings with a token, lands on
// the job's page and sees it finish with a report row for leads (its notification links
// there); a rep opening the page sees
// the API's refusal. Pages pass axe-core (serious, critical) and are screenshotted into
// test-output/web/.

const TOKEN = 'f'.repeat(64);

let cloud: LocalCloud;
let browser: Browser;
let account: SellAccount;
let standIn: SellStandIn;

const signIn = (on: Page, email: string) => signInAs(on, cloud.webUrl!, email);
const newPage = () => newBrowserPage(browser);

beforeAll(async () => {
  // The seeded admin and rep1 are Sell users the import matches by e-mail.
  account = sellAccount(15, { known: ['admin@example.com', 'rep1@example.com'], unknown: 'left-the-company@example.com' });
  standIn = await startSellStandIn(account, TOKEN);
  const config = loadConfig();
  ({ cloud, browser } = await startWebSession(['admin@example.com', 'rep1@example.com'], {
    config: { ...config, sell_import: { base_url: standIn.baseUrl } },
  }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  await standIn?.close();
});

describe('the Zendesk Sell import in the web app', () => {
  let jobPath = '';

  it('lets an admin start an import from Settings and watch it finish on its page, with a report row for leads', async () => {
    const page = await newPage();
    await signIn(page, 'admin@example.com');
    await page.goto(`${cloud.webUrl}/settings?tab=sell`);
    await page.getByRole('heading', { name: 'Import from Zendesk Sell' }).waitFor();
    await audit('settings-sell-import', page);

    // A token the API refuses (too short): its validation error names the field.
    await page.getByLabel('Sell access token').fill('short');
    await page.getByRole('button', { name: 'Start the import' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    await expect.poll(() => refusal.textContent()).toContain('token');

    await page.getByLabel('Sell access token').fill(TOKEN);
    await page.getByRole('button', { name: 'Start the import' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/sell_imports/'));
    jobPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: 'Zendesk Sell import' }).waitFor();

    // The page refreshes itself every 5 s until the job ends.
    const status = page.getByTestId('sell-import-status');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 240_000, interval: 1_000 }).toBe('finished');
    const leads = page.locator('tr[data-resource="leads"]');
    await leads.waitFor();
    expect(await leads.locator('[data-column="imported"]').textContent()).toBe(String(account.leads.length));
    await expect.poll(() => page.getByRole('button', { name: 'Cancel the import' }).count()).toBe(0);
    await audit('sell-import-finished', page);

    // Its notification in the inbox links back to the page.
    await page.goto(`${cloud.webUrl}/notifications`);
    await expect.poll(() => page.locator(`a[href="${jobPath}"]`).count(), { timeout: 30_000 }).toBeGreaterThan(0);

    // Settings lists it (GET /sell_imports), so a running import is found again after leaving its page.
    await page.goto(`${cloud.webUrl}/settings?tab=sell`);
    const listed = page.getByTestId('sell-import-list').locator(`a[href="${jobPath}"]`);
    await listed.waitFor();
    await listed.click();
    await page.waitForURL((url) => url.pathname === jobPath);
    await page.context().close();
  }, 300_000);

  it('shows a rep who opens the page the API’s refusal', async () => {
    expect(jobPath).toMatch(/^\/sell_imports\/.+/);
    const page = await newPage();
    await signIn(page, 'rep1@example.com');
    await page.goto(`${cloud.webUrl}${jobPath}`);
    const alert = page.locator('[role=alert][data-code]');
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('forbidden');
    await audit('sell-import-forbidden', page);
    await page.context().close();
  }, 60_000);
});
