/**
 * Browser tier: the built portal, served by the built gateway, in Debian's Chromium via playwright-core.
 * Nothing is stubbed: every API answer comes from the real gateway process.
 *
 *   npx nx run-many -t build -p gateway portal
 *   npx jest -c e2e/jest.config.cts e2e/portal
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startGateway, type GatewayProcess } from '../support/gateway';
import { expectNoSeriousA11yViolations, launchChromium } from '../support/browser';

const ARTIFACTS = resolve(__dirname, 'artifacts');
const OVERVIEW_SCREENSHOT = join(ARTIFACTS, 'overview.png');

let gateway: GatewayProcess | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  // Embedded mode (PGlite + in-process stores): the portal test needs no external PostgreSQL or Redis.
  gateway = await startGateway({ mode: 'embedded' });
  profileDir = mkdtempSync(join(tmpdir(), 'ailink-chromium-'));
  context = await launchChromium(profileDir);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 180000);

afterAll(async () => {
  await context?.close();
  const code = await gateway?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  if (gateway?.dataDir) rmSync(gateway.dataDir, { recursive: true, force: true });
  if (code !== undefined && code !== 0 && code !== null) {
    // A crash during the run explains failures above; show the gateway's own words.
    console.error(`gateway exited with ${code}:\n${gateway?.logs()}`);
  }
}, 60000);

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

function gw(): GatewayProcess {
  if (!gateway) throw new Error('gateway not started');
  return gateway;
}

function url(path: string): string {
  return gw().baseUrl + path;
}

/** The path + query of the page's current URL. */
function current(): string {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

async function h1(): Promise<string> {
  const heading = page.locator('h1');
  await heading.first().waitFor();
  expect(await heading.count()).toBe(1);
  return (await heading.textContent())?.trim() ?? '';
}

async function text(testId: string): Promise<string> {
  const locator = page.getByTestId(testId);
  await locator.waitFor();
  return (await locator.textContent())?.trim() ?? '';
}

/** Fails on serious and critical violations, listing each rule and the offending elements. */
/** Presses Tab (or Shift+Tab) until the focused element's text is `label`; fails after `max` presses. */
async function tabTo(label: string, { backwards = false, max = 40 } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    if (focused === label) return;
  }
  throw new Error(`"${label}" was not reached with ${max} ${backwards ? 'Shift+Tab' : 'Tab'} presses`);
}

/**
 * Whether the focused element shows a focus indicator: its own outline, or Material's strong focus
 * ring (a `::before` border on the element or on its `.mat-focus-indicator` child).
 */
async function focusIsVisible(): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const own = getComputedStyle(el);
    if (own.outlineStyle !== 'none' && parseFloat(own.outlineWidth) > 0) return true;
    const ringOf = (host: Element): boolean => {
      const ring = getComputedStyle(host, '::before');
      return ring.content !== 'none' && ring.display !== 'none' && ring.borderTopStyle !== 'none' && parseFloat(ring.borderTopWidth) > 0;
    };
    const child = el.querySelector(':scope > .mat-focus-indicator');
    return ringOf(el) || (child !== null && ringOf(child));
  });
}

async function signIn(key: string): Promise<void> {
  await page.getByLabel('Admin key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('portal in Chromium against the built gateway', () => {
  it('redirects / to the login page, keeping the requested path', async () => {
    await page.goto(url('/'));
    await page.waitForURL((u) => u.pathname === '/login');
    expect(current()).toBe('/login?returnUrl=%2F');
    expect(await h1()).toBe('Sign in to AIlink');
    expect(await page.title()).toContain('AIlink');
  });

  it('login page has no serious or critical accessibility violations', async () => {
    await expectNoSeriousA11yViolations(page);
  });

  it("a wrong key shows the API's error message and stays on the login page", async () => {
    const wrong = await fetch(url('/api/v1/auth/whoami'), { headers: { 'X-Admin-Key': 'definitely-not-the-key' } });
    expect(wrong.status).toBe(401);
    const expected = ((await wrong.json()) as { error: { message: string } }).error.message;
    expect(expected.length).toBeGreaterThan(0);

    await signIn('definitely-not-the-key');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.trim()).toBe(expected);
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('the right key lands on the overview with status ok, the version and the mode', async () => {
    const readyz = await fetch(url('/readyz'));
    expect(readyz.status).toBe(200);
    const ready = (await readyz.json()) as { status: string; version: string; mode: string };
    const projects = (await (await fetch(url('/api/v1/projects'), { headers: { 'X-Admin-Key': gw().adminKey } })).json()) as unknown[];

    await page.getByLabel('Admin key').fill(gw().adminKey);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/');
    expect(await h1()).toBe('Overview');

    expect(await text('gateway-status')).toBe('ok');
    expect(await text('gateway-version')).toBe(ready.version);
    expect(await text('gateway-mode')).toBe(ready.mode);
    expect(ready.mode).toBe('embedded');
    expect(await text('access-role')).toBe('SuperAdmin');
    expect(await text('access-method')).toBe('Admin key');
    expect(await text('projects-count')).toBe(String(projects.length));
    expect(projects.length).toBeGreaterThanOrEqual(1); // the seeded default project
    expect((await text('signed-in-role')).replace(/\s+/g, ' ')).toBe('Signed in as SuperAdmin (Admin key)');

    // The key lives in memory only.
    const stored = await page.evaluate(() => ({
      local: localStorage.length,
      session: sessionStorage.length,
      cookie: document.cookie,
    }));
    expect(stored).toEqual({ local: 0, session: 0, cookie: '' });
    expect((await context?.cookies())?.some((c) => c.value.includes(gw().adminKey))).toBe(false);
  });

  it('overview page has no serious or critical accessibility violations', async () => {
    await expectNoSeriousA11yViolations(page);
  });

  it('saves a full-page screenshot of the overview', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    rmSync(OVERVIEW_SCREENSHOT, { force: true });
    await page.screenshot({ path: OVERVIEW_SCREENSHOT, fullPage: true });
    expect(existsSync(OVERVIEW_SCREENSHOT)).toBe(true);
    expect(statSync(OVERVIEW_SCREENSHOT).size).toBeGreaterThan(0);
    expect(readFileSync(OVERVIEW_SCREENSHOT).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('is usable with the keyboard alone: skip link, then another area and back', async () => {
    // Start sequential focus navigation from the top of the document.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.getSelection()?.removeAllRanges();
    });
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Skip to main content');
    expect(await focusIsVisible()).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main-content');
    expect(new URL(page.url()).pathname).toBe('/');

    // From the main region, walk back into the navigation and open Tokens.
    await tabTo('Tokens', { backwards: true });
    expect(await focusIsVisible()).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/tokens');
    expect(await h1()).toBe('Tokens');
    expect(await page.getByRole('button', { name: 'New token' }).count()).toBe(1);
    expect(await page.title()).toBe('Tokens · AIlink');

    // And back to the overview.
    await tabTo('Overview', { backwards: true });
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/');
    expect(await h1()).toBe('Overview');
    expect(await text('gateway-status')).toBe('ok');
  });

  it('a deep link survives the sign-in (a fresh page load forgets the in-memory key)', async () => {
    await page.goto(url('/identity/api-keys'));
    await page.waitForURL((u) => u.pathname === '/login');
    expect(current()).toBe('/login?returnUrl=%2Fidentity%2Fapi-keys');

    await signIn(gw().adminKey);
    await page.waitForURL((u) => u.pathname === '/identity/api-keys');
    expect(await h1()).toBe('API keys');
    expect(await page.getByRole('button', { name: 'New API key' }).count()).toBe(1);
  });

  it('Sign out returns to the login page and protects the pages again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.goto(url('/tokens'));
    await page.waitForURL((u) => u.pathname === '/login');
    expect(current()).toBe('/login?returnUrl=%2Ftokens');
  });
});
