import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import axe from 'axe-core';
import type { LocalCloud } from '#infra/local/cloud.ts';
import type { DevUser } from '#infra/local/seed.ts';
import { ensureWebBuild, WEB_DIST } from '#infra/local/web-build.ts';
import { startTestCloud } from '#test/helpers/local-cloud.ts';

// What the web app's browser tests share: Debian's chromium through playwright-core, pages that
// track their requests, screenshots taken once the data has arrived, axe-core on each.

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where screenshots go: test-output/web/<name>.png. */
export const OUT = join(process.cwd(), 'test-output', 'web');
/** The local password the test clouds' web gateway takes for every seeded user. */
export const PASSWORD = 'local-test-password';

/** Launches chromium (headless), the screenshot folder made; fails clearly without the binary. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
  mkdirSync(OUT, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A browser test's world: the local cloud serving the built app, its seeded users, chromium. */
export interface WebSession {
  cloud: LocalCloud;
  users: DevUser[];
  browser: Browser;
}

/**
 * Builds the web app if needed, starts the whole local cloud serving it (the web gateway takes
 * PASSWORD for every seeded user; `config` overrides the shipped one), waits until the directory
 * sync (a bus consumer, after seeding) has put each of `signingIn` into the Cognito stand-in
 * with its groups, and launches chromium. Throws when a user never arrives (20 s).
 */
export async function startWebSession(
  signingIn: readonly string[],
  options: Pick<Parameters<typeof startTestCloud>[0] & object, 'config'> = {},
): Promise<WebSession> {
  ensureWebBuild();
  let users: DevUser[] = [];
  const started = await startTestCloud({
    ...options,
    web: { distDir: WEB_DIST, password: PASSWORD, devUsers: () => users.map((u) => ({ email: u.email, role: u.role })) },
  });
  users = started.users;
  const { cloud } = started;
  const deadline = Date.now() + 20_000;
  const arrived = (email: string) => cloud.cognito.users().some((u) => u.username === email && u.groups.length > 0);
  while (!signingIn.every(arrived)) {
    if (Date.now() > deadline) {
      await cloud.stop();
      throw new Error(`never reached the Cognito stand-in: ${signingIn.filter((e) => !arrived(e)).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { cloud, users, browser: await launchChromium() };
}

/** Requests each page has in flight: a screenshot waits for the app's queries to answer. */
const inFlight = new WeakMap<Page, Set<unknown>>();

/** Tracks `on`'s requests (for settled) and logs its uncaught errors in the test's output. */
export function trackRequests(on: Page): void {
  const open = new Set<unknown>();
  inFlight.set(on, open);
  on.on('request', (r) => open.add(r));
  on.on('requestfinished', (r) => open.delete(r));
  on.on('requestfailed', (r) => open.delete(r));
  on.on('pageerror', (error) => console.error(`page error: ${error.message}`));
}

/**
 * Waits until the page has had no request in flight for 300 ms (a WebSocket is no request).
 * Playwright's 'networkidle' load state is no help after the first load: an in-app navigation
 * loads no document, so it resolves at once and the screenshot would show empty panels.
 */
export async function settled(on: Page): Promise<void> {
  const open = inFlight.get(on);
  if (!open) return on.waitForLoadState('networkidle');
  let quietSince = Date.now();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (open.size > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= 300) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Screenshots the settled page (loaders gone) into OUT/<name>.png and runs axe-core on it (serious, critical). */
export async function audit(name: string, on: Page): Promise<void> {
  await settled(on);
  await on.locator('.mantine-Loader-root').first().waitFor({ state: 'detached', timeout: 20_000 });
  await on.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  await on.addScriptTag({ content: axe.source });
  const violations = await on.evaluate(async () => {
    // Runs in the page: its globals, not Node's.
    const page = globalThis as unknown as { axe: typeof axe; document: Parameters<typeof axe.run>[0] };
    const result = await page.axe.run(page.document);
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations, `axe on ${name}`).toEqual([]);
}

/** A page of its own (its own session storage), its requests tracked; `touch` makes it a 390×844 touch phone. */
export async function newPage(browser: Browser, touch = false): Promise<Page> {
  // bypassCSP lets axe-core's script in; the app itself runs under the gateway's CSP.
  const context = await browser.newContext({
    bypassCSP: true,
    viewport: touch ? { width: 390, height: 844 } : { width: 1400, height: 900 },
    ...(touch ? { hasTouch: true, isMobile: true } : {}),
  });
  const fresh = await context.newPage();
  trackRequests(fresh);
  return fresh;
}

/** Signs `on` in at `webUrl` with the local password form as a seeded user; ends away from the sign-in page. */
export async function signInAs(on: Page, webUrl: string, email: string): Promise<void> {
  await on.goto(`${webUrl}/signin`);
  await on.getByRole('textbox', { name: /^Email/ }).fill(email);
  await on.locator('input[type=password]').fill(PASSWORD);
  await on.getByRole('button', { name: 'Sign in' }).click();
  await on.waitForURL((url) => !url.pathname.startsWith('/signin'));
}
