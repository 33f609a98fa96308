/**
 * Browser tier for the Admin activity page: the built portal, served by the built gateway in
 * embedded mode, in Debian's Chromium via playwright-core. Nothing is stubbed: the writes below go
 * through the real Management API and the page reads the trail the gateway recorded.
 *
 *   npx nx run-many -t build -p gateway portal
 *   npx jest -c e2e/jest.config.cts e2e/portal/admin-activity
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startGateway, type GatewayProcess } from '../support/gateway';
import { animationsDone, expectNoSeriousA11yViolations, launchChromium } from '../support/browser';

const ARTIFACTS = resolve(__dirname, 'artifacts');
const CREDENTIAL_SECRET = 'sk-e2e-activity-never-shown-0123456789';

let gateway: GatewayProcess | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
const pageErrors: string[] = [];
const state: { tokenId?: string; tokenSecret?: string; credentialId?: string } = {};

beforeAll(async () => {
  gateway = await startGateway({ mode: 'embedded' });
  profileDir = mkdtempSync(join(tmpdir(), 'ailink-chromium-'));
  context = await launchChromium(profileDir);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180000);

afterAll(async () => {
  await context?.close();
  await gateway?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  if (gateway?.dataDir) rmSync(gateway.dataDir, { recursive: true, force: true });
}, 60000);

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

function gw(): GatewayProcess {
  if (!gateway) throw new Error('gateway not started');
  return gateway;
}

const url = (path: string) => gw().baseUrl + path;

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(url(`/api/v1${path}`), {
    method,
    headers: { 'X-Admin-Key': gw().adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Presses Tab until the focused element's accessible label starts with `prefix` (at most 80 times). */
async function tabTo(prefix: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return (el?.getAttribute('aria-label') ?? el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    });
    if (focused.startsWith(prefix)) return;
  }
  throw new Error(`could not reach "${prefix}…" with Tab`);
}

async function screenshot(name: string): Promise<void> {
  const file = join(ARTIFACTS, `${name}.png`);
  rmSync(file, { force: true });
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(0);
}

describe('Admin activity page in Chromium against the built gateway', () => {
  it('records writes made through the API', async () => {
    const credential = await api<{ id: string }>('POST', '/credentials', {
      name: 'openai-activity',
      provider: 'openai',
      secret: CREDENTIAL_SECRET,
    });
    expect(credential.status).toBe(201);
    state.credentialId = credential.body.id;
    const token = await api<{ id: string; token_id: string }>('POST', '/tokens', {
      name: 'activity-agent',
      upstream_url: 'https://api.example.com/v1',
      credential_id: state.credentialId,
    });
    expect(token.status).toBe(201);
    state.tokenId = token.body.id;
    state.tokenSecret = token.body.token_id;
    expect((await api('PATCH', `/tokens/${state.tokenId}`, { name: 'activity-agent-v2', log_level: 0 })).status).toBe(200);
    // The trail is written in the background: wait until the API serves all three entries.
    const deadline = Date.now() + 10000;
    for (;;) {
      const listed = await api<unknown[]>('GET', '/audit/admin');
      if (listed.body.length >= 3) break;
      if (Date.now() > deadline) throw new Error('the writes were not recorded within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('signs in and reaches the page from the navigation', async () => {
    await page.goto(url('/'));
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Admin key').fill(gw().adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByRole('navigation', { name: 'Product areas' }).getByRole('link', { name: 'Admin activity', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/admin-activity');
    expect(await page.locator('h1').textContent()).toBe('Admin activity');
    expect(await page.title()).toBe('Admin activity · AIlink');
    const rows = page.locator('tr[mat-row]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    const cells = await rows.first().locator('td').allTextContents();
    expect(cells.map((c) => c.trim()).slice(1, 4)).toEqual(['Admin key', 'PATCH', 'token']);
    await expectNoSeriousA11yViolations(page);
    await screenshot('admin-activity-list');
  });

  it('opens a change with the keyboard and shows before/after as a diff, without any secret', async () => {
    await tabTo('Changes of PATCH token');
    await page.keyboard.press('Enter');
    const sheet = page.getByRole('dialog');
    await sheet.waitFor();
    await animationsDone(page);
    expect(await sheet.locator('h2').textContent()).toContain(`PATCH token ${state.tokenId}`);
    expect((await sheet.getByTestId('diff-summary').textContent())?.trim()).toMatch(/^\d+ fields changed$/);
    const diff = await sheet
      .locator('[data-testid="diff"] tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim())),
      );
    const byField = new Map(diff.map((row) => [row[0], row]));
    expect(byField.get('name')).toEqual(['name', 'activity-agent', 'activity-agent-v2', 'Changed']);
    expect(byField.get('log_level')).toEqual(['log_level', '1', '0', 'Changed']);
    // Unchanged fields (the id, the upstream) stay hidden until asked for.
    expect(byField.has('id')).toBe(false);
    expect(diff.every((row) => row[3] === 'Changed')).toBe(true);
    await expectNoSeriousA11yViolations(page);
    await screenshot('admin-activity-diff');
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).not.toContain(CREDENTIAL_SECRET);
    expect(text).not.toContain(state.tokenSecret ?? 'unset');

    // Escape closes the sheet and gives focus back to the row's button.
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    expect(focused.startsWith('Changes of PATCH token')).toBe(true);
  });

  it('filters by resource kind from the keyboard', async () => {
    await page.getByLabel('Resource kind').focus();
    await page.keyboard.type('credential');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('tr[mat-row]').length === 1);
    const cells = await page.locator('tr[mat-row]').first().locator('td').allTextContents();
    expect(cells.map((c) => c.trim()).slice(1, 4)).toEqual(['Admin key', 'POST', 'credential']);
    await page.locator('tr[mat-row] td button').first().click();
    const sheet = page.getByRole('dialog');
    await sheet.waitFor();
    const fields = await sheet.locator('[data-testid="diff"] tbody th').allTextContents();
    expect(fields.map((f) => f.trim())).toContain('provider');
    expect(fields.map((f) => f.trim())).not.toContain('secret');
    expect(await page.evaluate(() => document.body.innerText)).not.toContain(CREDENTIAL_SECRET);
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
  });
});
