/**
 * Browser tier for the spend pages: a token's Spend section (caps and the daily chart), the price
 * table and the session view, in the built portal served by the built gateway (external mode:
 * PostgreSQL + Redis), in Debian's Chromium via playwright-core. Nothing is stubbed; the spend comes
 * from real proxied requests priced with the `X-AILink-Test-Cost` test hook.
 *
 *   npx nx run-many -t build -p gateway portal
 *   TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/ailink_test_spendui_e2e \
 *     npx jest -c e2e/jest.config.cts e2e/portal/spend --runInBand
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { MockUpstream } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';
import { expectNoSeriousA11yViolations as expectAccessible, launchChromium } from '../support/browser';

const ARTIFACTS = resolve(__dirname, 'artifacts');
const TOKEN_NAME = 'spend-ui-e2e';
const SESSION_ID = 'e2e-session-1';
const OVERRIDE_PATTERN = 'e2e-model-*';
/** Three requests at $0.25 each (the test hook sets the cost). */
const COST_USD = '0.25';
const REQUESTS = 3;

const upstream = new MockUpstream();
let gateway: GatewayProcess | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
let token: { id: string; secret: string };
const pageErrors: string[] = [];

interface ApiAnswer {
  status: number;
  json: unknown;
}

async function api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const r = await fetch(`${gw().baseUrl}/api/v1${path}`, {
    method,
    headers: { 'x-admin-key': gw().adminKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

function chat(headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw().baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.secret}`, 'content-type': 'application/json', 'x-ailink-test-cost': COST_USD, ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  await upstream.start();
  gateway = await startGateway({ env: { AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', AILINK_SPEND_FLUSH_MS: '500' } });

  // A token with real spend: three priced requests, one of them in a session.
  const created = await api('POST', '/tokens', { name: TOKEN_NAME, upstream_url: `${upstream.url}/v1` });
  expect(created.status).toBe(201);
  const json = created.json as { id: string; token_id: string };
  token = { id: json.id, secret: json.token_id };
  for (let i = 0; i < REQUESTS; i++) {
    const r = await chat(i === 0 ? { 'x-session-id': SESSION_ID } : {});
    expect(r.status).toBe(200);
    await r.text();
  }
  const history = await waitFor(
    async () => (await api('GET', `/tokens/${token.id}/spend/history?days=30`)).json as Array<{ spend_usd: number; requests: number }>,
    (days) => days.reduce((sum, d) => sum + d.requests, 0) === REQUESTS,
  );
  expect(history.reduce((sum, d) => sum + d.spend_usd, 0)).toBeCloseTo(REQUESTS * Number(COST_USD), 6);

  mkdirSync(ARTIFACTS, { recursive: true });
  profileDir = mkdtempSync(join(tmpdir(), 'ailink-chromium-'));
  context = await launchChromium(profileDir);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 180000);

afterAll(async () => {
  await context?.close();
  await gateway?.stop();
  await upstream.stop();
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

async function h1(): Promise<string> {
  const heading = page.locator('h1');
  await heading.first().waitFor();
  expect(await heading.count()).toBe(1);
  return (await heading.textContent())?.trim() ?? '';
}

/** Fails on serious and critical violations, once animations have settled (a fading snack bar is dismissed first). */
async function expectNoSeriousA11yViolations(): Promise<void> {
  const snackBar = page.locator('mat-snack-bar-container');
  if ((await snackBar.count()) > 0) {
    await snackBar
      .getByRole('button', { name: 'Dismiss' })
      .click({ timeout: 2000 })
      .catch(() => undefined);
    await snackBar.waitFor({ state: 'detached' });
  }
  await expectAccessible(page);
}

async function screenshot(name: string): Promise<void> {
  const file = join(ARTIFACTS, `${name}.png`);
  rmSync(file, { force: true });
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(0);
}

/** Nothing scrolls sideways at 1280 px: neither the page nor a table frame. */
async function expectNoHorizontalOverflow(): Promise<void> {
  const overflowing = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('mat-sidenav-content, .table-frame'))
      .filter((el) => el.scrollWidth > el.clientWidth + 1)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`),
  );
  expect(overflowing).toEqual([]);
}

function spendRow(period: string) {
  return page.getByTestId(`spend-row-${period}`);
}

async function squash(locator: ReturnType<Page['locator']>): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

describe('Spend pages in Chromium against the built gateway', () => {
  it('signs in on a token page and shows its spend with the daily chart', async () => {
    await page.goto(`${gw().baseUrl}/tokens/${token.id}`);
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Admin key').fill(gw().adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === `/tokens/${token.id}`);
    await page.getByRole('heading', { level: 1, name: TOKEN_NAME }).waitFor();
    expect(await h1()).toBe(TOKEN_NAME);

    await page.getByRole('heading', { name: 'Spend', exact: true }).waitFor();
    await spendRow('daily').waitFor();
    expect(await squash(spendRow('daily').getByTestId('spent'))).toBe('$0.75');
    expect(await squash(spendRow('daily').getByTestId('cap'))).toBe('No cap');
    expect(await squash(spendRow('lifetime').getByTestId('spent'))).toBe('$0.75');

    // The chart: an SVG image named by its title and described by a summary, with one bar per day.
    const chart = page.getByRole('img', { name: 'Daily spend, last 30 days (UTC)' });
    await chart.waitFor();
    expect(await chart.locator('rect.bar').count()).toBe(30);
    const heights = await chart.locator('rect.bar').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('height'))));
    expect(heights[29]).toBeGreaterThan(100);
    expect(await chart.locator('desc').textContent()).toMatch(/^\$0\.75 spent over 3 requests from .+; highest \$0\.75 on /);
    // The values are also in a table for screen readers (visually hidden, still in the accessibility tree).
    const table = page.getByRole('table', { name: 'Daily spend, last 30 days (UTC)' });
    expect(await table.locator('tbody tr').count()).toBe(30);
    const today = await table.locator('tbody tr').last().locator('th, td').allTextContents();
    expect(today.map((cell) => cell.trim())).toEqual([new Date().toISOString().slice(0, 10), '$0.75', '3']);
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(600);
    await expectNoSeriousA11yViolations();
    await chart.scrollIntoViewIfNeeded();
    await screenshot('spend-token-chart');
    await expectNoHorizontalOverflow();
  });

  it('edits the daily cap with the keyboard, showing the API’s validation message first', async () => {
    await page.getByRole('button', { name: 'Set daily cap' }).focus();
    await page.keyboard.press('Enter');
    const amount = page.getByLabel('Cap (USD)');
    expect(await amount.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('1000000');
    const refused = page.waitForResponse((r) => r.url().endsWith(`/api/v1/tokens/${token.id}/spend`) && r.request().method() === 'PUT');
    await page.keyboard.press('Enter');
    expect((await refused).status()).toBe(422);
    const alert = page.getByTestId('cap-error');
    await alert.waitFor();
    expect(await squash(alert)).toContain('$.limit_usd: must be at most 999999.999999');
    await expectNoSeriousA11yViolations();

    await amount.fill('2.5');
    const saved = page.waitForResponse((r) => r.url().endsWith(`/api/v1/tokens/${token.id}/spend`) && r.request().method() === 'PUT');
    await page.getByRole('button', { name: 'Save cap' }).focus();
    await page.keyboard.press('Enter');
    const response = await saved;
    expect(response.status()).toBe(204);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({ period: 'daily', limit_usd: '2.5' });
    await page.getByText('Daily cap set to $2.50.').waitFor();
    await spendRow('daily').getByTestId('cap').getByText('$2.50').waitFor();
    expect(await squash(spendRow('daily').locator('.used-text'))).toBe('30%');
    expect(await page.getByTestId('cap-error').count()).toBe(0);
    const status = (await api('GET', `/tokens/${token.id}/spend`)).json as { daily_limit_usd: number | null };
    expect(status.daily_limit_usd).toBe(2.5);
    await spendRow('daily').scrollIntoViewIfNeeded();
    await screenshot('spend-token');
  });

  it('removes the cap after confirming', async () => {
    await page.getByRole('button', { name: 'Remove daily cap' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('Remove the daily cap?').waitFor();
    await expectNoSeriousA11yViolations();
    const removed = page.waitForResponse(
      (r) => r.url().endsWith(`/api/v1/tokens/${token.id}/spend/daily`) && r.request().method() === 'DELETE',
    );
    await dialog.getByRole('button', { name: 'Remove cap' }).click();
    expect((await removed).status()).toBe(204);
    await spendRow('daily').getByTestId('cap').getByText('No cap').waitFor();
    expect(((await api('GET', `/tokens/${token.id}/spend`)).json as { daily_limit_usd: number | null }).daily_limit_usd).toBeNull();
  });

  it('opens Pricing from the navigation and adds an organisation override', async () => {
    await page.getByRole('navigation', { name: 'Product areas' }).getByRole('link', { name: 'Spend', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/spend/pricing');
    expect(await h1()).toBe('Pricing');
    expect(await page.title()).toBe('Pricing · AIlink');
    // Built-in rows are listed and marked (the whole seeded table fits one page at 1280 px).
    const builtin = page.getByTestId('price-row-openai-gpt-4o-mini*');
    await builtin.waitFor();
    expect(await squash(builtin.getByTestId('price-source'))).toBe('Built-in');
    expect(await page.locator('tr[mat-row]').count()).toBeGreaterThan(30);
    // The filter narrows the table to matching providers and patterns (axe runs on the short table: same markup, faster).
    await page.getByLabel('Filter by provider or pattern').fill('gpt-4o-mini');
    await page.waitForFunction(() => document.querySelectorAll('tr[mat-row]').length === 1);
    await expectNoSeriousA11yViolations();

    await page.getByRole('button', { name: 'New override' }).click();
    const dialog = page.getByRole('dialog', { name: 'New price override' });
    await dialog.waitFor();
    await dialog.getByLabel('Model pattern').fill(OVERRIDE_PATTERN);
    await dialog.getByLabel('Input per 1M tokens (USD)').fill('1.5');
    await dialog.getByLabel('Output per 1M tokens (USD)').fill('3');
    await dialog.getByLabel('Cached input per 1M tokens (USD, optional)').fill('0.75');
    await expectNoSeriousA11yViolations();
    const put = page.waitForResponse((r) => r.url().endsWith('/api/v1/pricing') && r.request().method() === 'PUT');
    await dialog.getByRole('button', { name: 'Add override' }).click();
    const response = await put;
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({
      provider: 'openai',
      model_pattern: OVERRIDE_PATTERN,
      input_per_m: '1.5',
      output_per_m: '3',
      cached_input_per_m: '0.75',
      max_output_tokens: null,
    });
    await page.getByLabel('Filter by provider or pattern').fill('');

    const row = page.getByTestId(`price-row-openai-${OVERRIDE_PATTERN}`);
    await row.waitFor();
    await screenshot('spend-pricing');
    await expectNoHorizontalOverflow();
    expect(await squash(row)).toContain('$1.50');
    expect(await squash(row.getByTestId('price-source'))).toBe('Override');
    const stored = (
      (await api('GET', '/pricing')).json as Array<{ org_id: string | null; model_pattern: string; input_per_m: string }>
    ).filter((p) => p.model_pattern === OVERRIDE_PATTERN);
    expect(stored).toEqual([
      expect.objectContaining({ org_id: '00000000-0000-0000-0000-000000000001', input_per_m: '1.500000', cached_input_per_m: '0.750000' }),
    ]);
  });

  it('shows the override under its filter, then deletes it', async () => {
    await page.getByRole('radio', { name: 'Overrides (1)' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tr[mat-row]').length === 1);
    await page.getByRole('button', { name: `Delete override openai ${OVERRIDE_PATTERN}` }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText(`Delete the override for ${OVERRIDE_PATTERN}?`).waitFor();
    const removed = page.waitForResponse((r) => r.url().includes('/api/v1/pricing/') && r.request().method() === 'DELETE');
    await dialog.getByRole('button', { name: 'Delete override' }).click();
    expect((await removed).status()).toBe(200);
    await page.getByText('No overrides yet.', { exact: false }).waitFor();
  });

  it('looks up the session, pauses it (requests are refused) and resumes it', async () => {
    await page.getByRole('tab', { name: 'Sessions' }).click();
    await page.waitForURL((u) => u.pathname === '/spend/sessions');
    expect(await h1()).toBe('Sessions');
    await page.getByLabel('Session id').fill(SESSION_ID);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('id') === SESSION_ID);
    const card = page.getByTestId('session');
    await card.waitFor();
    expect(await squash(page.getByTestId('session-status'))).toBe('Active');
    expect(await squash(card)).toContain(token.id);
    await screenshot('spend-session');
    await expectNoHorizontalOverflow();
    await expectNoSeriousA11yViolations();

    await page.getByRole('button', { name: 'Pause session' }).click();
    await page.getByTestId('session-status').getByText('Paused').waitFor();
    const refused = await waitFor(
      async () => {
        const r = await chat({ 'x-session-id': SESSION_ID });
        return { status: r.status, body: (await r.json()) as { error?: { code: string; details?: { reason?: string } } } };
      },
      (r) => r.status === 403,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'policy_denied', details: { reason: 'session_paused' } });

    await page.getByRole('button', { name: 'Resume session' }).click();
    await page.getByTestId('session-status').getByText('Active').waitFor();
  });
});
