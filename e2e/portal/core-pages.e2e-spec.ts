/**
 * Browser tier for the core pages (credentials, tokens, services, audit log): the built portal,
 * served by the built gateway in embedded mode, in Debian's Chromium via playwright-core.
 * Nothing is stubbed: every API answer comes from the real gateway process.
 *
 *   npx nx run-many -t build -p gateway portal
 *   npx jest -c e2e/jest.config.cts e2e/portal/core-pages
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startGateway, type GatewayProcess } from '../support/gateway';
import { animationsDone, expectNoSeriousA11yViolations, launchChromium } from '../support/browser';

const ARTIFACTS = resolve(__dirname, 'artifacts');

const CREDENTIAL_NAME = 'openai-e2e';
const CREDENTIAL_SECRET = 'sk-e2e-never-shown-0123456789';
const TOKEN_NAME = 'e2e-agent';
const SERVICE_NAME = 'self';

let gateway: GatewayProcess | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
const pageErrors: string[] = [];

/** Values learned along the way (the token secret is kept by the test only, to call the proxy). */
const state: { tokenSecret?: string; tokenId?: string } = {};

beforeAll(async () => {
  // Embedded mode (PGlite + in-process stores); 127.0.0.1 is allowed so a service may point at the gateway itself.
  gateway = await startGateway({ mode: 'embedded', env: { AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' } });
  profileDir = mkdtempSync(join(tmpdir(), 'ailink-chromium-'));
  context = await launchChromium(profileDir, { permissions: ['clipboard-read', 'clipboard-write'] });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180000);

afterAll(async () => {
  await context?.close();
  const code = await gateway?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  if (gateway?.dataDir) rmSync(gateway.dataDir, { recursive: true, force: true });
  if (code !== undefined && code !== 0 && code !== null) {
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

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(url(`/api/v1${path}`), {
    ...init,
    headers: { 'X-Admin-Key': gw().adminKey, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

async function h1(): Promise<string> {
  const heading = page.locator('h1');
  await heading.first().waitFor();
  expect(await heading.count()).toBe(1);
  return (await heading.textContent())?.trim() ?? '';
}

/** Waits until no finite animation or transition runs (dialogs fade in; axe must not measure half-faded colours). */
/** Fails on serious and critical violations, listing each rule and the offending elements. */
async function screenshot(name: string): Promise<void> {
  const file = join(ARTIFACTS, `${name}.png`);
  rmSync(file, { force: true });
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(0);
}

/** The page's text, input values included, and what it keeps in storage: a secret must appear in none of them. */
async function everythingThePageHolds(): Promise<string> {
  return page.evaluate(() => {
    const values = Array.from(document.querySelectorAll('input, textarea')).map((e) => (e as HTMLInputElement).value);
    const storage = [
      ...Object.keys(localStorage).map((k) => `${k}=${localStorage.getItem(k)}`),
      ...Object.keys(sessionStorage).map((k) => `${k}=${sessionStorage.getItem(k)}`),
    ];
    return [document.documentElement.outerHTML, ...values, ...storage, document.cookie].join('\n');
  });
}

async function navigate(label: string, path: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Product areas' }).getByRole('link', { name: label, exact: true }).click();
  await page.waitForURL((u) => u.pathname === path);
}

describe('core pages in Chromium against the built gateway', () => {
  it('signs in', async () => {
    await page.goto(url('/credentials'));
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Admin key').fill(gw().adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/credentials');
    expect(await h1()).toBe('Credentials');
    expect(await page.title()).toBe('Credentials · AIlink');
  });

  describe('Credentials', () => {
    it('has no serious accessibility violations (empty list)', async () => {
      await page.getByText('No credentials yet.').waitFor();
      await expectNoSeriousA11yViolations(page);
    });

    it('creates a credential with the keyboard alone; the secret goes to the API and nowhere else', async () => {
      const newButton = page.getByRole('button', { name: 'New credential' });
      await newButton.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'New credential' });
      await dialog.waitFor();
      await animationsDone(page);
      // Focus starts in the Name field.
      await page.waitForFunction(() => document.activeElement?.getAttribute('formcontrolname') === 'name');
      await page.keyboard.type(CREDENTIAL_NAME);
      await expect(dialog.getByText('Default for “openai”: bearer, header Authorization.').count()).resolves.toBe(1);
      await expectNoSeriousA11yViolations(page);

      const secret = dialog.getByLabel('Secret');
      expect(await secret.getAttribute('type')).toBe('password');
      await secret.focus();
      await page.keyboard.type(CREDENTIAL_SECRET);
      const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/credentials') && r.request().method() === 'POST');
      await page.keyboard.press('Enter'); // implicit form submission
      const response = await created;
      expect(response.status()).toBe(201);
      expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({
        name: CREDENTIAL_NAME,
        provider: 'openai',
        secret: CREDENTIAL_SECRET,
      });
      await dialog.waitFor({ state: 'detached' });

      const row = page.getByTestId(`credential-row-${CREDENTIAL_NAME}`);
      await row.waitFor();
      expect((await row.textContent())?.replace(/\s+/g, ' ')).toContain('openai');
      expect(await page.getByText(`Credential “${CREDENTIAL_NAME}” encrypted and stored.`).count()).toBe(1);
      // Focus went back to the button that opened the dialog.
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('New credential');
      expect(await everythingThePageHolds()).not.toContain(CREDENTIAL_SECRET);

      const listed = await api<Array<{ name: string }>>('/credentials');
      expect(listed.body.map((c) => c.name)).toContain(CREDENTIAL_NAME);
      expect(JSON.stringify(listed.body)).not.toContain(CREDENTIAL_SECRET);
    });

    it('has no serious accessibility violations (with a row) and saves a screenshot', async () => {
      await expectNoSeriousA11yViolations(page);
      await screenshot('credentials');
    });
  });

  describe('Tokens', () => {
    it('opens the tokens page', async () => {
      await navigate('Tokens', '/tokens');
      expect(await h1()).toBe('Tokens');
      await page.getByText('No tokens yet.').waitFor();
      await expectNoSeriousA11yViolations(page);
    });

    it('creates a token and shows its secret once, with a copy button', async () => {
      await page.getByRole('button', { name: 'New token' }).click();
      const dialog = page.getByRole('dialog', { name: 'New token' });
      await dialog.waitFor();
      await animationsDone(page);
      await dialog.getByLabel('Name').fill(TOKEN_NAME);
      await dialog.getByLabel('Upstream URL').fill(gw().baseUrl);
      await dialog.getByRole('combobox', { name: 'Credential' }).click();
      await page.getByRole('option', { name: `${CREDENTIAL_NAME} (openai)` }).click();
      await expectNoSeriousA11yViolations(page);
      const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/tokens') && r.request().method() === 'POST');
      await dialog.getByRole('button', { name: 'Create token' }).click();
      expect((await created).status()).toBe(201);

      const secretDialog = page.getByRole('dialog', { name: `Token “${TOKEN_NAME}” created` });
      await secretDialog.waitFor();
      const secret = await secretDialog.getByTestId('token-secret').inputValue();
      expect(secret).toMatch(/^ailink_v1_[0-9a-f]{8}_tok_[0-9a-f]{32}$/);
      state.tokenSecret = secret;
      expect(await secretDialog.getByTestId('show-once-note').textContent()).toContain("You won't see it again");
      const copy = secretDialog.getByRole('button', { name: 'Copy' });
      expect(await copy.count()).toBe(1);
      await copy.click();
      await secretDialog.getByText('Copied to the clipboard.').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      await expectNoSeriousA11yViolations(page);
      await screenshot('token-secret');

      await secretDialog.getByRole('button', { name: 'I have saved the token' }).click();
      await secretDialog.waitFor({ state: 'detached' });
      await page.evaluate(() => navigator.clipboard.writeText(''));
      // Shown once: nothing on the page or in storage holds it any more.
      expect(await everythingThePageHolds()).not.toContain(secret);

      const listed = await api<Array<{ id: string; name: string; masked: string }>>('/tokens');
      const token = listed.body.find((t) => t.name === TOKEN_NAME);
      expect(token).toBeDefined();
      state.tokenId = token?.id;
      const row = page.getByTestId(`token-row-${token?.id}`);
      await row.waitFor();
      const rowText = (await row.textContent())?.replace(/\s+/g, ' ') ?? '';
      expect(rowText).toContain(token?.masked ?? '?');
      expect(rowText).toContain(CREDENTIAL_NAME);
      expect(rowText).toContain('Active');
      expect(rowText).not.toContain(secret);
      await screenshot('tokens');
    });

    it('opens the token detail page', async () => {
      await page.getByRole('link', { name: TOKEN_NAME }).click();
      await page.waitForURL((u) => u.pathname === `/tokens/${state.tokenId}`);
      await page.getByRole('heading', { level: 1, name: TOKEN_NAME }).waitFor();
      expect(await h1()).toBe(TOKEN_NAME);
      expect(await page.title()).toBe('Token details · AIlink');
      await page.getByTestId('token-facts').waitFor();
      expect(await page.getByTestId('token-state').textContent()).toContain('Active');
      await page.getByLabel('Failure threshold').waitFor();
      expect(await page.getByLabel('Failure threshold').inputValue()).toBe('3');
      await expectNoSeriousA11yViolations(page);
    });

    it('refuses out-of-range circuit-breaker values in the form', async () => {
      await page.getByLabel('Failure threshold').fill('0');
      await page.getByRole('button', { name: 'Save circuit breaker' }).click();
      await page.getByText('Enter a whole number of at least 1.').waitFor();
      await page.getByRole('button', { name: 'Reset' }).click();
      expect(await page.getByLabel('Failure threshold').inputValue()).toBe('3');
    });

    it('changes the circuit-breaker settings', async () => {
      await page.getByLabel('Failure threshold').fill('5');
      await page.getByLabel('Recovery cooldown (seconds)').fill('45');
      await page.getByLabel('Half-open max requests').fill('2');
      const saved = page.waitForResponse((r) => r.url().endsWith('/circuit-breaker') && r.request().method() === 'PATCH');
      await page.getByRole('button', { name: 'Save circuit breaker' }).click();
      expect((await saved).status()).toBe(200);
      await page.getByText('Circuit-breaker settings saved.').waitFor();
      const stored = await api<{
        enabled: boolean;
        failure_threshold: number;
        recovery_cooldown_secs: number;
        half_open_max_requests: number;
      }>(`/tokens/${state.tokenId}/circuit-breaker`);
      expect(stored.body).toMatchObject({ enabled: true, failure_threshold: 5, recovery_cooldown_secs: 45, half_open_max_requests: 2 });
      await expectNoSeriousA11yViolations(page);
      await screenshot('token-detail');
    });
  });

  describe('Services', () => {
    it('opens the services page', async () => {
      await navigate('Services', '/services');
      expect(await h1()).toBe('Services');
      await page.getByText('No services yet.').waitFor();
      await expectNoSeriousA11yViolations(page);
    });

    it('registers a service pointing at a local address allowed by AILINK_ALLOWED_PRIVATE_HOSTS', async () => {
      await page.getByRole('button', { name: 'New service' }).click();
      const dialog = page.getByRole('dialog', { name: 'New service' });
      await dialog.waitFor();
      await animationsDone(page);
      await dialog.getByLabel('Name').fill(SERVICE_NAME);
      await dialog.getByLabel('Base URL').fill(gw().baseUrl);
      await dialog.getByLabel('Description (optional)').fill('The gateway itself');
      await expectNoSeriousA11yViolations(page);
      await dialog.getByRole('button', { name: 'Register service' }).click();
      await dialog.waitFor({ state: 'detached' });
      const row = page.getByTestId(`service-row-${SERVICE_NAME}`);
      await row.waitFor();
      const text = (await row.textContent())?.replace(/\s+/g, ' ') ?? '';
      expect(text).toContain(`/v1/proxy/services/${SERVICE_NAME}/`);
      expect(text).toContain(gw().baseUrl);
      expect(text).toContain('Passthrough');
    });

    it("shows the API's SSRF refusal inline", async () => {
      await page.getByRole('button', { name: 'New service' }).click();
      const dialog = page.getByRole('dialog', { name: 'New service' });
      await dialog.waitFor();
      await animationsDone(page);
      await dialog.getByLabel('Name').fill('metadata');
      await dialog.getByLabel('Base URL').fill('http://169.254.169.254/latest');
      const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/services') && r.request().method() === 'POST');
      await dialog.getByRole('button', { name: 'Register service' }).click();
      const response = await refused;
      expect(response.status()).toBe(422);
      expect(JSON.parse(response.request().postData() ?? '{}')).toMatchObject({
        name: 'metadata',
        base_url: 'http://169.254.169.254/latest',
      });
      // The API's answer to the same body (Chromium may drop a response body once the page moved on).
      const { status, body: envelope } = await api<{ error: { message: string; details?: { errors?: Array<{ message: string }> } } }>(
        '/services',
        { method: 'POST', body: response.request().postData() ?? '{}' },
      );
      expect(status).toBe(422);
      const alert = dialog.getByRole('alert');
      await alert.waitFor();
      const shown = (await alert.textContent())?.replace(/\s+/g, ' ') ?? '';
      expect(shown).toContain(envelope.error.message);
      for (const problem of envelope.error.details?.errors ?? []) expect(shown).toContain(problem.message);
      await expectNoSeriousA11yViolations(page);
      await screenshot('service-ssrf');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      await screenshot('services');
    });
  });

  describe('Audit log', () => {
    it('opens the audit page', async () => {
      await navigate('Audit log', '/audit');
      expect(await h1()).toBe('Audit log');
      expect(await page.title()).toBe('Audit log · AIlink');
      await page.getByRole('table', { name: 'Audit records' }).waitFor();
      await expectNoSeriousA11yViolations(page);
    });

    it('filters are applied with the keyboard and sent to the API', async () => {
      await page.getByLabel('Status').fill('5xx');
      const filtered = page.waitForResponse((r) => r.url().includes('/api/v1/audit?') && r.request().method() === 'GET');
      await page.getByLabel('Status').press('Enter');
      const response = await filtered;
      expect(response.status()).toBe(200);
      expect(new URL(response.url()).searchParams.get('status')).toBe('5xx');
      await page.getByRole('button', { name: 'Clear' }).click();
      expect(await page.getByLabel('Status').inputValue()).toBe('');
    });

    it('lists a proxied request and shows it in the side sheet', async () => {
      // One proxied request through the service registered above (it points at the gateway's own /healthz).
      const proxied = await fetch(url(`/v1/proxy/services/${SERVICE_NAME}/healthz`), {
        headers: { Authorization: `Bearer ${state.tokenSecret}` },
      });
      expect(proxied.status).toBe(200);

      const firstRow = page.locator('tr[mat-row]').first();
      for (let attempt = 0; attempt < 30 && (await page.locator('tr[mat-row]').count()) === 0; attempt++) {
        // Audit records are written in batches: reload the list until the record is there.
        await page.waitForTimeout(500);
        await page.getByRole('button', { name: 'Apply filters' }).click();
      }
      await firstRow.waitFor();
      expect((await firstRow.textContent())?.replace(/\s+/g, ' ')).toContain(`/v1/proxy/services/${SERVICE_NAME}/healthz`);
      await expectNoSeriousA11yViolations(page);
      await screenshot('audit');

      await firstRow.locator('td button').first().click();
      const sheet = page.getByRole('dialog');
      await sheet.getByTestId('audit-facts').waitFor();
      expect(await sheet.getByTestId('audit-facts').textContent()).toContain(state.tokenId ?? '?');
      expect(await everythingThePageHolds()).not.toContain(state.tokenSecret ?? '?');
      await expectNoSeriousA11yViolations(page);
      await screenshot('audit-detail');
      await page.keyboard.press('Escape');
      await sheet.waitFor({ state: 'detached' });
    });

    it('Live prepends new records as they happen', async () => {
      const before = await page.locator('tr[mat-row]').count();
      await page.getByRole('switch', { name: 'Live' }).click();
      await page.getByText('Live: waiting for new requests…').waitFor();
      const proxied = await fetch(url(`/v1/proxy/services/${SERVICE_NAME}/readyz`), {
        headers: { Authorization: `Bearer ${state.tokenSecret}` },
      });
      expect(proxied.status).toBeLessThan(600);
      // The stream polls every 2 s; the status line is a live region announcing what arrived.
      await page.getByTestId('live-status').getByText('Live: 1 new record added.').waitFor({ timeout: 20000 });
      expect(await page.locator('tr[mat-row]').count()).toBe(before + 1);
      expect((await page.locator('tr[mat-row]').first().textContent())?.replace(/\s+/g, ' ')).toContain(
        `/v1/proxy/services/${SERVICE_NAME}/readyz`,
      );
      await page.getByRole('switch', { name: 'Live' }).click();
      await page.getByRole('switch', { name: 'Live', checked: false }).waitFor();
      expect((await page.getByTestId('live-status').textContent())?.trim()).toBe('');
    });
  });
});
