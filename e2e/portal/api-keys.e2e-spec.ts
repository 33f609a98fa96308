/**
 * Browser tier for the API keys page: the built portal, served by the built gateway in embedded
 * mode, in Debian's Chromium via playwright-core. Nothing is stubbed.
 *
 *   npx nx run-many -t build -p gateway portal
 *   npx jest -c e2e/jest.config.cts e2e/portal/api-keys
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startGateway, type GatewayProcess } from '../support/gateway';
import { animationsDone, expectNoSeriousA11yViolations, launchChromium } from '../support/browser';

const KEY = /^ak_live_[0-9a-f]{8}_[0-9a-f]{32}$/;

let gateway: GatewayProcess | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
const pageErrors: string[] = [];
/** The key created through the page (kept by the test only, to call the API with it). */
const state: { key?: string; id?: string } = {};

beforeAll(async () => {
  gateway = await startGateway({ mode: 'embedded' });
  profileDir = mkdtempSync(join(tmpdir(), 'ailink-chromium-'));
  context = await launchChromium(profileDir, { permissions: ['clipboard-read', 'clipboard-write'] });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
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

async function whoamiStatus(key: string): Promise<number> {
  return (await fetch(url('/api/v1/auth/whoami'), { headers: { authorization: `Bearer ${key}` } })).status;
}

/** Presses Tab until the focused element's accessible text is `label` (at most 60 times). */
async function tabTo(label: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return (el?.getAttribute('aria-label') ?? el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    });
    if (focused === label) return;
  }
  throw new Error(`could not reach "${label}" with Tab`);
}

describe('API keys page in Chromium against the built gateway', () => {
  it('signs in and reaches the page from the navigation', async () => {
    await page.goto(url('/'));
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Admin key').fill(gw().adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByRole('navigation', { name: 'Product areas' }).getByRole('link', { name: 'API keys', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/identity/api-keys');
    expect(await page.locator('h1').textContent()).toBe('API keys');
    expect(await page.title()).toBe('API keys · AIlink');
    await page.getByText('No API keys yet.').waitFor();
    await expectNoSeriousA11yViolations(page);
  });

  it('creates a key with the keyboard alone and shows it once with a copy button', async () => {
    await page.getByRole('button', { name: 'New API key' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    await dialog.waitFor();
    await animationsDone(page);
    await page.waitForFunction(() => document.activeElement?.getAttribute('formcontrolname') === 'name');
    await page.keyboard.type('e2e-automation');
    await expectNoSeriousA11yViolations(page);

    // Role: Admin, chosen from the keyboard.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('formcontrolname'))).toBe('role');
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: 'Admin' }).waitFor();
    await animationsDone(page);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.getByRole('listbox').waitFor({ state: 'detached' });
    await dialog.getByText('Everything in this organisation', { exact: false }).waitFor();

    const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/keys') && r.request().method() === 'POST');
    await tabTo('Create key');
    await page.keyboard.press('Enter');
    const response = await created;
    expect(response.status()).toBe(201);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({ name: 'e2e-automation', role: 'admin' });

    const secretDialog = page.getByRole('dialog', { name: 'API key “e2e-automation” created' });
    await secretDialog.waitFor();
    await animationsDone(page);
    const key = await secretDialog.getByTestId('api-key-secret').inputValue();
    expect(key).toMatch(KEY);
    state.key = key;
    // The id from the API, not from the browser's copy of the response (which Chromium may have dropped).
    const listed = await fetch(url('/api/v1/auth/keys'), { headers: { 'x-admin-key': gw().adminKey } });
    const keys = (await listed.json()) as { id: string; name: string }[];
    state.id = keys.find((k) => k.name === 'e2e-automation')?.id;
    expect(state.id).toEqual(expect.any(String));
    await expectNoSeriousA11yViolations(page);

    await secretDialog.getByRole('button', { name: 'Copy' }).focus();
    await page.keyboard.press('Enter');
    await secretDialog.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

    await secretDialog.getByRole('button', { name: 'I have saved the key' }).focus();
    await page.keyboard.press('Enter');
    await secretDialog.waitFor({ state: 'detached' });
    const row = page.getByTestId(`api-key-row-${state.id}`);
    await row.waitFor();
    const text = (await row.textContent())?.replace(/\s+/g, ' ') ?? '';
    expect(text).toContain('e2e-automation');
    expect(text).toContain(`${key.slice(0, 21)}…`);
    expect(await page.content()).not.toContain(key);
    expect(await whoamiStatus(key)).toBe(200);
  });

  it('refuses to revoke the last admin key and says why', async () => {
    await page.getByRole('button', { name: 'Revoke e2e-automation' }).focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('alertdialog', { name: 'Revoke “e2e-automation”?' });
    await confirm.waitFor();
    await animationsDone(page);
    // Cancel has the focus: Tab once to the destructive button.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByTestId('action-error').waitFor();
    expect(await page.getByTestId('action-error').textContent()).toContain('last active admin key');
    expect(await whoamiStatus(state.key as string)).toBe(200);
  });

  it('revokes a key with the keyboard; the gateway refuses it at once', async () => {
    // A second admin key, minted through the API, so that the first one may go.
    const other = await fetch(url('/api/v1/auth/keys'), {
      method: 'POST',
      headers: { 'x-admin-key': gw().adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'spare-admin', role: 'admin' }),
    });
    expect(other.status).toBe(201);
    const spare = ((await other.json()) as { key: string }).key;
    expect(await whoamiStatus(spare)).toBe(200);
    await page.reload();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Admin key').fill(state.key as string); // sign in with the API key itself
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/identity/api-keys');
    expect(await page.getByTestId('signed-in-role').textContent()).toContain('Admin');
    await page.getByTestId(`api-key-row-${state.id}`).waitFor();

    await page.getByRole('button', { name: 'Revoke spare-admin' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('alertdialog').waitFor();
    await animationsDone(page);
    const revoked = page.waitForResponse((r) => r.url().includes('/api/v1/auth/keys/') && r.request().method() === 'DELETE');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect((await revoked).status()).toBe(204);
    expect(await whoamiStatus(spare)).toBe(401);
    await page.getByText('API key “spare-admin” revoked.').waitFor();
    await expectNoSeriousA11yViolations(page);
    expect(await page.getByRole('button', { name: 'Revoke spare-admin' }).count()).toBe(0);
    await page.getByText('Show revoked keys').click();
    expect((await page.getByRole('row', { name: /spare-admin/ }).textContent())?.replace(/\s+/g, ' ')).toContain('Revoked');
  });
});
