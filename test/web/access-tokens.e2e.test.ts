import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import type { LocalCloud } from '#infra/local/cloud.ts';
import type { DevUser } from '#infra/local/seed.ts';
import { MAX_TOKENS_PER_USER } from '#shared/access-tokens/domain.ts';
import { audit, newPage as newBrowserPage, signInAs, startWebSession } from './browser.ts';

// Personal access tokens from Settings in a real browser (Debian's chromium through
// playwright-core) against the whole local cloud: a rep creates one, reads its secret once,
// calls the API with it as a bearer token (answered as the rep), finds it gone from the page
// after closing the box and reloading, sees it listed with its last use, revokes it (the API
// then refuses it), and meets the API's refusal at the per-user limit. Pages pass axe-core
// (serious, critical) and are screenshotted into test-output/web/.

const REP = 'rep1@example.com';

let cloud: LocalCloud;
let users: DevUser[] = [];
let browser: Browser;

const rep = () => users.find((u) => u.email === REP)!;

/** GET /users/self with `secret` as the bearer token, straight at the local API. */
async function selfWith(secret: string): Promise<{ status: number; body: { id?: string; email?: string } }> {
  const response = await fetch(`${cloud.url}/users/self`, { headers: { authorization: `Bearer ${secret}` } });
  return { status: response.status, body: (await response.json()) as { id?: string; email?: string } };
}

/** Everything the page keeps where it could outlive the box: its HTML and both web storages. */
const pageState = (on: Page) =>
  on.evaluate(() => {
    // Runs in the page: its globals, not Node's.
    const page = globalThis as unknown as {
      document: { documentElement: { outerHTML: string } };
      localStorage: object;
      sessionStorage: object;
    };
    return page.document.documentElement.outerHTML + JSON.stringify({ ...page.localStorage, ...page.sessionStorage });
  });

beforeAll(async () => {
  ({ cloud, users, browser } = await startWebSession([REP]));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

describe('personal access tokens in Settings', () => {
  it('lets a rep create a token shown once, use it as the rep, see its last use, and revoke it', async () => {
    const page = await newBrowserPage(browser);
    await signInAs(page, cloud.webUrl!, REP);
    await page.goto(`${cloud.webUrl}/settings`);
    await page.getByRole('tab', { name: 'Personal access tokens' }).click();
    await page.getByText('You have no personal access tokens.').waitFor();

    await page.getByRole('textbox', { name: /^Token name/ }).fill('Zapier');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('access-token-secret');
    await shown.waitFor();
    const secret = ((await shown.textContent()) ?? '').trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    await page.getByRole('button', { name: 'Copy token' }).waitFor();
    await audit('settings-access-token-shown', page);

    // The secret is a bearer token that acts as the rep.
    const self = await selfWith(secret);
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ id: rep().user_id, email: REP });

    // Closed, then reloaded: the secret is nowhere on the page nor in its storage.
    await page.getByRole('button', { name: 'I have copied it, hide it' }).click();
    await shown.waitFor({ state: 'detached' });
    expect(await pageState(page)).not.toContain(secret);
    await page.reload();
    await page.getByRole('tab', { name: 'Personal access tokens' }).click();
    const row = page.locator('tr[data-token="Zapier"]');
    await row.waitFor();
    expect(await pageState(page)).not.toContain(secret);
    expect(await row.textContent()).toContain(secret.slice(0, 6));
    // The call above was recorded (locally the authorizer writes it before answering).
    expect(await row.locator('[data-column="last-used"]').getAttribute('data-used')).toBe('true');
    await audit('settings-access-tokens', page);

    // Revoked after a confirmation: gone from the list, and the API refuses the secret.
    await row.getByRole('button', { name: 'Revoke Zapier' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByText('You have no personal access tokens.').waitFor();
    expect((await selfWith(secret)).status).toBe(401);
    await page.context().close();
  }, 120_000);

  it('shows the API’s refusal once the rep holds the most tokens allowed', async () => {
    // Made through the API with the rep's session (a dev token), up to the limit (whatever the
    // test before left).
    const held = await fetch(`${cloud.url}/access_tokens`, { headers: { authorization: `Bearer ${rep().token}` } });
    const { items } = (await held.json()) as { items: unknown[] };
    for (let i = items.length; i < MAX_TOKENS_PER_USER; i++) {
      const made = await fetch(`${cloud.url}/access_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rep().token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `script ${i + 1}` }),
      });
      expect(made.status).toBe(201);
    }
    const page = await newBrowserPage(browser);
    await signInAs(page, cloud.webUrl!, REP);
    await page.goto(`${cloud.webUrl}/settings?tab=tokens`);
    await page
      .locator('tr[data-token]')
      .nth(MAX_TOKENS_PER_USER - 1)
      .waitFor();
    await page.getByRole('textbox', { name: /^Token name/ }).fill('One too many');
    await page.getByRole('button', { name: 'Create token' }).click();
    const alert = page.locator('[role=alert][data-code]');
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('access_token.too_many');
    expect(await alert.textContent()).toContain('revoke one first');
    expect(await page.getByTestId('access-token-secret').count()).toBe(0);
    await audit('settings-access-tokens-limit', page);
    await page.context().close();
  }, 120_000);
});
