/**
 * Browser tier for single sign-on and the identity pages: the built portal, served by the built
 * gateway in embedded mode, in Debian's Chromium via playwright-core, signing in through a local
 * OpenID Provider (node-oidc-provider). Nothing is stubbed.
 *
 *   npx nx run-many -t build -p gateway portal
 *   npx jest -c e2e/jest.config.cts e2e/portal/sso
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { freePort, startTestIdp, type TestIdp } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';
import { animationsDone, expectNoSeriousA11yViolations, launchChromium } from '../support/browser';

const CLIENT_ID = 'ailink-portal-e2e';
const CLIENT_SECRET = 'portal-e2e-client-secret';
const PROVIDER_NAME = 'Local IdP';

type Json = any;

let gateway: GatewayProcess | undefined;
let idp: TestIdp | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
const pageErrors: string[] = [];

function gw(): GatewayProcess {
  if (!gateway) throw new Error('gateway not started');
  return gateway;
}

const url = (path: string) => gw().baseUrl + path;

async function adminApi(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(url(`/api/v1${path}`), {
    method,
    headers: { 'x-admin-key': gw().adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  idp = await startTestIdp({
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${publicUrl}/api/v1/auth/sso/callback`] }],
    accounts: {
      ada: { email: 'ada@example.com', email_verified: true, name: 'Ada Admin', groups: ['admin'] },
      rey: { email: 'rey@example.com', email_verified: true, name: 'Rey Reader', groups: [] },
    },
  });
  gateway = await startGateway({ mode: 'embedded', env: { AILINK_PORT: String(port), AILINK_PUBLIC_URL: publicUrl } });
  const created = await adminApi('POST', '/oidc/providers', {
    name: PROVIDER_NAME,
    issuer_url: idp.issuer,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    scopes: 'openid email profile groups',
    claim_mapping: { role: 'groups', role_values: { admin: 'admin' } },
    default_role: 'readonly',
    default_scopes: ['*'],
  });
  if (created.status !== 201) throw new Error(`creating the provider failed: ${created.status} ${JSON.stringify(created.json)}`);

  profileDir = mkdtempSync(join(tmpdir(), 'ailink-chromium-'));
  context = await launchChromium(profileDir);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 180000);

afterAll(async () => {
  await context?.close();
  await gateway?.stop();
  await idp?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  if (gateway?.dataDir) rmSync(gateway.dataDir, { recursive: true, force: true });
}, 60000);

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

/** Presses Tab until the focused element's accessible text is `label` (at most 40 times). */
async function tabTo(label: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return (el?.getAttribute('aria-label') ?? el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    });
    if (focused === label) return;
  }
  throw new Error(`could not reach "${label}" with Tab`);
}

/** From the portal's sign-in page, through the IdP's form (keyboard only), back to `landing`. */
async function signInThroughIdp(login: string, landing: string): Promise<void> {
  await page.goto(url(landing));
  await page.waitForURL((u) => u.pathname === '/login');
  await tabTo(`Sign in with ${PROVIDER_NAME}`);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.origin === new URL(idp?.issuer ?? '').origin);
  await page.getByLabel('Username').fill(login);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.origin === gw().baseUrl && u.pathname === landing);
}

async function signedInRole(): Promise<string> {
  return (await page.getByTestId('signed-in-role').textContent())?.replace(/\s+/g, ' ').trim() ?? '';
}

describe('portal single sign-on through a local OIDC provider', () => {
  it('offers the provider on the sign-in page', async () => {
    await page.goto(url('/login'));
    const link = page.getByRole('link', { name: `Sign in with ${PROVIDER_NAME}` });
    await link.waitFor();
    expect(await link.getAttribute('href')).toMatch(/^\/api\/v1\/auth\/sso\/[0-9a-f-]{36}\/login\?redirect=%2F$/);
    await expectNoSeriousA11yViolations(page);
  });

  it('signs an admin-group user in with the keyboard, landing on the requested page with the Admin role', async () => {
    await signInThroughIdp('ada', '/tokens');
    expect(await signedInRole()).toBe('Signed in as Admin (SSO session)');
    await page.getByRole('button', { name: 'New token' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Product areas' });
    for (const area of ['Users', 'Teams', 'Model access', 'API keys', 'SSO providers']) {
      await nav.getByRole('link', { name: area, exact: true }).waitFor();
    }
    // The session cookie is HttpOnly: the page's scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('ailink_session');
  });

  it('shows the identity pages to the admin, keyboard-usable and accessible', async () => {
    const nav = page.getByRole('navigation', { name: 'Product areas' });
    for (const [label, path, heading] of [
      ['Users', '/identity/users', 'Users'],
      ['Teams', '/identity/teams', 'Teams'],
      ['Model access', '/identity/model-access', 'Model access'],
      ['SSO providers', '/identity/sso-providers', 'SSO providers'],
    ]) {
      await nav.getByRole('link', { name: label, exact: true }).click();
      await page.waitForURL((u) => u.pathname === path);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await expectNoSeriousA11yViolations(page);
    }
    // Ada herself appears among the users, linked to the provider.
    await nav.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('cell', { name: 'ada@example.com' }).waitFor();

    // Test connection from the providers page, by keyboard.
    await nav.getByRole('link', { name: 'SSO providers', exact: true }).click();
    await page.getByRole('cell', { name: PROVIDER_NAME, exact: true }).waitFor();
    await page.getByRole('button', { name: `Test connection to ${PROVIDER_NAME}` }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('provider-test-result').filter({ hasText: 'Connection OK' }).waitFor();

    // Create a team from the keyboard.
    await nav.getByRole('link', { name: 'Teams', exact: true }).click();
    await page.getByRole('button', { name: 'New team' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New team' });
    await dialog.waitFor();
    await animationsDone(page);
    await page.waitForFunction(() => document.activeElement?.getAttribute('formcontrolname') === 'name');
    await page.keyboard.type('Research');
    await expectNoSeriousA11yViolations(page);
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/teams') && r.request().method() === 'POST');
    await tabTo('Create team');
    await page.keyboard.press('Enter');
    expect((await saved).status()).toBe(200);
    await page.getByRole('cell', { name: 'Research', exact: true }).waitFor();
  });

  it('signs out (ending the session at the gateway)', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    // A reload does not restore the ended session.
    await page.goto(url('/tokens'));
    await page.waitForURL((u) => u.pathname === '/login');
  });

  it('gives an unmapped user ReadOnly: no "New token" in the UI, and the API refuses the write (403)', async () => {
    // Forget Ada's session at the IdP (its cookies; the gateway's session already ended), so it asks who signs in.
    await context?.clearCookies({ name: /^_(session|interaction|resume)/ });
    await signInThroughIdp('rey', '/tokens');
    expect(await signedInRole()).toBe('Signed in as ReadOnly (SSO session)');
    await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
    await page.getByText('No tokens yet.', { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'New token' }).count()).toBe(0);
    const nav = page.getByRole('navigation', { name: 'Product areas' });
    await nav.getByRole('link', { name: 'Teams', exact: true }).waitFor();
    for (const hidden of ['Users', 'API keys', 'SSO providers', 'Settings']) {
      expect(await nav.getByRole('link', { name: hidden, exact: true }).count()).toBe(0);
    }

    // The same browser session, straight at the API (cookie + CSRF token): still refused.
    const answer = await page.evaluate(async () => {
      const session = (await (await fetch('/api/v1/auth/session')).json()) as { csrf_token: string };
      const response = await fetch('/api/v1/tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token },
        body: JSON.stringify({ name: 'sneaky', upstream_url: 'https://api.example.com' }),
      });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    });
    expect({ status: answer.status, code: answer.body.error.code }).toEqual({ status: 403, code: 'forbidden' });
    // Reading is allowed.
    expect(await page.evaluate(async () => (await fetch('/api/v1/tokens')).status)).toBe(200);
    await expectNoSeriousA11yViolations(page);
  });
});
