/**
 * Browser tier for the Approvals inbox: the built portal, served by the built gateway in embedded
 * mode, in Debian's Chromium via playwright-core. Nothing is stubbed: agents' requests go through the
 * real proxy to a local upstream, approvals arrive in the open page over the live stream, and the
 * reviewer decides with the keyboard.
 *
 *   npx nx run-many -t build -p gateway portal
 *   npx jest -c e2e/jest.config.cts e2e/portal/approvals
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { MockUpstream } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';
import { animationsDone, expectNoSeriousA11yViolations, launchChromium } from '../support/browser';

const ARTIFACTS = resolve(__dirname, 'artifacts');

let gateway: GatewayProcess | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
const upstream = new MockUpstream();
const pageErrors: string[] = [];
const state: { asyncSecret?: string; waitSecret?: string; idempotencyKey: string } = { idempotencyKey: `portal-${randomUUID()}` };

beforeAll(async () => {
  await upstream.start();
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

/** An agent's chat request through the proxy. */
async function agent(secret: string, content: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url('/v1/chat/completions'), {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'x-ailink-agent-name': 'refund-bot', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function tokenRequiring(mode: 'wait' | 'async'): Promise<string> {
  const policy = await api<{ id: string }>('POST', '/policies', {
    name: `portal-hitl-${mode}`,
    rules: [{ then: { action: 'require_approval', mode, timeout: mode === 'wait' ? '5m' : '1h' } }],
  });
  expect(policy.status).toBe(201);
  const token = await api<{ token_id: string }>('POST', '/tokens', {
    name: `portal-${mode}-agent`,
    upstream_url: `${upstream.url}/v1`,
    policy_ids: [policy.body.id],
  });
  expect(token.status).toBe(201);
  return token.body.token_id;
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

const rows = () => page.locator('tr[mat-row]');

describe('Approvals inbox in Chromium against the built gateway', () => {
  it('signs in and reaches the inbox from the navigation', async () => {
    state.asyncSecret = await tokenRequiring('async');
    state.waitSecret = await tokenRequiring('wait');
    await page.goto(url('/'));
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Admin key').fill(gw().adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByRole('navigation', { name: 'Product areas' }).getByRole('link', { name: 'Approvals', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/approvals');
    expect(await page.locator('h1').textContent()).toBe('Approvals');
    expect(await page.title()).toBe('Approvals · AIlink');
    await page.getByTestId('approvals-empty').waitFor();
    expect(await page.getByTestId('approvals-empty').textContent()).toContain('Nothing is waiting for a decision.');
    await expectNoSeriousA11yViolations(page);
  });

  it('shows an agent’s request live, as it is held for approval', async () => {
    const held = await agent(state.asyncSecret as string, 'Refund order 42 to ann@example.com', {
      'x-ailink-idempotency-key': state.idempotencyKey,
    });
    expect(held.status).toBe(202);
    expect(held.body.status).toBe('pending');
    // No reload: the row arrives over the live stream.
    await rows().first().waitFor();
    expect(await rows().count()).toBe(1);
    const cells = (await rows().first().locator('td').allInnerTexts()).map((c) => c.replace(/\s+/g, ' ').trim());
    expect(cells[1]).toBe('POST /v1/chat/completions refund-bot');
    expect(cells[3]).toBe('gpt-4o-mini');
    expect(cells[5]).toBe('Pending');
    expect(await page.getByTestId('announcement').textContent()).toContain(
      'New approval request: POST /v1/chat/completions by refund-bot.',
    );
    await expectNoSeriousA11yViolations(page);
    await screenshot('approvals-inbox');
  });

  it('reviews the request with the keyboard (summary and scrubbed body) and approves it; the retry is forwarded once', async () => {
    await tabTo('Review POST /v1/chat/completions by refund-bot');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await animationsDone(page);
    expect((await dialog.locator('h2').textContent())?.replace(/\s+/g, ' ').trim()).toBe('POST /v1/chat/completions');
    const preview = (await dialog.getByTestId('review-preview').textContent()) ?? '';
    expect(preview).toContain('Refund order 42 to [REDACTED_EMAIL]');
    expect(preview).not.toContain('ann@example.com');
    const facts = await dialog.locator('[data-testid="review-facts"] dd').allTextContents();
    expect(facts.map((f) => f.trim())).toContain('refund-bot');
    // Close has the focus first; the comment and the decision are reached from the keyboard.
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Close');
    await expectNoSeriousA11yViolations(page);
    await screenshot('approvals-review');
    await dialog.getByLabel('Comment (optional)').focus();
    await page.keyboard.type('Refund under the limit');
    await tabTo('Approve');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('approvals-empty').waitFor();
    expect(await page.getByTestId('announcement').textContent()).toContain('Approved: POST /v1/chat/completions by refund-bot.');

    const before = upstream.requests.length;
    const retried = await agent(state.asyncSecret as string, 'Refund order 42 to ann@example.com', {
      'x-ailink-idempotency-key': state.idempotencyKey,
    });
    expect(retried.status).toBe(200);
    expect(upstream.requests.length - before).toBe(1);
    const [decided] = (await api<any[]>('GET', '/approvals?status=approved')).body;
    expect(decided).toMatchObject({ status: 'approved', decision_comment: 'Refund under the limit', decision_channel: 'api' });
    expect(decided.consumed_at).not.toBeNull();
  });

  it('rejects a held (wait-mode) request from the inbox; the agent gets 403 approval_rejected', async () => {
    const held = agent(state.waitSecret as string, 'Delete every customer record');
    await rows().first().waitFor();
    await tabTo('Review POST /v1/chat/completions by refund-bot');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('review-preview').textContent()).toContain('Delete every customer record');
    await tabTo('Reject');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    const answer = await held;
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('approval_rejected');

    // Every decided approval is still listed under "All", with its outcome.
    await page.getByLabel('Status').click();
    await page.getByRole('option', { name: 'All' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tr[mat-row]').length === 2);
    const statuses = await page.locator('tr[mat-row] td:nth-child(6)').allTextContents();
    expect(statuses.map((s) => s.trim())).toEqual(['Rejected', 'Approved']);
    await expectNoSeriousA11yViolations(page);
  });
});
