/**
 * Browser tier for the Policies page: the built portal served by the built gateway (embedded mode),
 * in Debian's Chromium via playwright-core. Nothing is stubbed.
 *
 *   npx nx run-many -t build -p gateway portal
 *   npx jest -c e2e/jest.config.cts e2e/portal/policies
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startGateway, type GatewayProcess } from '../support/gateway';
import { expectNoSeriousA11yViolations, launchChromium } from '../support/browser';

const POLICY_NAME = 'e2e-guard';

let gateway: GatewayProcess | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  gateway = await startGateway({ mode: 'embedded' });
  profileDir = mkdtempSync(join(tmpdir(), 'ailink-chromium-'));
  context = await launchChromium(profileDir);
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

async function h1(): Promise<string> {
  const heading = page.locator('h1');
  await heading.first().waitFor();
  expect(await heading.count()).toBe(1);
  return (await heading.textContent())?.trim() ?? '';
}

/** Fails on serious and critical violations, once animations have settled. */
describe('Policies page in Chromium against the built gateway', () => {
  it('signs in and opens Policies from the navigation', async () => {
    await page.goto(`${gw().baseUrl}/policies`);
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Admin key').fill(gw().adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/policies');
    expect(await h1()).toBe('Policies');
    expect(await page.title()).toBe('Policies · AIlink');
    await page.getByText('No policies yet.').waitFor();
    expect(await page.getByRole('navigation', { name: 'Product areas' }).getByRole('link', { name: 'Policies', exact: true }).count()).toBe(
      1,
    );
    await expectNoSeriousA11yViolations(page);
  });

  it('creates a policy with the keyboard, in shadow mode', async () => {
    await page.getByRole('link', { name: 'New policy' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/policies/new');
    expect(await h1()).toBe('New policy');
    await page.getByLabel('Name').focus();
    await page.keyboard.type(POLICY_NAME);
    // The mode switch is a radio group: focus "Enforce", then the arrow key moves to and selects "Shadow".
    await page.getByRole('radio', { name: 'Enforce' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    // Wait for the re-render instead of reading the attribute on the same tick as the key press.
    await page.getByRole('radio', { name: 'Shadow', checked: true }).waitFor();
    expect(await page.getByRole('radio', { name: 'Shadow' }).getAttribute('aria-checked')).toBe('true');
    const rules = page.getByLabel('Rules (JSON array)');
    await rules.fill(JSON.stringify([{ when: { field: 'request.method', op: 'eq', value: 'POST' }, then: { action: 'deny' } }], null, 2));
    await expectNoSeriousA11yViolations(page);
    const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/policies') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Create policy' }).focus();
    await page.keyboard.press('Enter');
    const response = await created;
    expect(response.status()).toBe(201);
    expect(JSON.parse(response.request().postData() ?? '{}')).toMatchObject({ name: POLICY_NAME, mode: 'shadow', phase: 'pre' });
    // The page moves to the new policy at once, and Chromium drops the bodies of responses a
    // navigation left behind: take the id from where the page went.
    await page.waitForURL((u) => /^\/policies\/[0-9a-f-]{36}$/.test(u.pathname));
    const id = new URL(page.url()).pathname.split('/').pop() as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // The detail page says "Policy" until the policy has loaded.
    await page.getByRole('heading', { level: 1, name: POLICY_NAME, exact: true }).waitFor();
    expect(await h1()).toBe(POLICY_NAME);
    await page.getByTestId('policy-mode').getByText('shadow · version 1').waitFor();
    await page.getByTestId('versions').waitFor();
    await page.getByTestId('shadow-summary').waitFor();
    await expectNoSeriousA11yViolations(page);
  });

  it('shows the gateway’s validation error for a bad policy at its JSON path and line', async () => {
    // In-app navigation: a page load would forget the in-memory admin key.
    await page.getByRole('link', { name: '← All policies' }).click();
    await page.waitForURL((u) => u.pathname === '/policies');
    await page.getByRole('link', { name: 'New policy' }).click();
    await page.waitForURL((u) => u.pathname === '/policies/new');
    expect(await h1()).toBe('New policy');
    await page.getByLabel('Name').fill('e2e-bad');
    await page
      .getByLabel('Rules (JSON array)')
      .fill(
        '[\n  {\n    "when": { "field": "request.method", "op": "not_in", "value": ["GET"] },\n    "then": { "action": "deny" }\n  }\n]',
      );
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/policies') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Create policy' }).click();
    expect((await refused).status()).toBe(422);
    await page.getByTestId('validation-summary').getByText('policy has 1 problem').waitFor();
    const problem = page.locator('[data-testid="rules-problems"] li[data-path="$.rules[0].when.op"]');
    await problem.waitFor();
    expect((await problem.textContent())?.replace(/\s+/g, ' ')).toContain("Line 3 $.rules[0].when.op: unknown operator 'not_in'");
    await problem.getByRole('button').click();
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    expect(page.url()).toMatch(/\/policies\/new$/);
    await expectNoSeriousA11yViolations(page);
  });

  it('lists the created policy', async () => {
    await page.getByRole('link', { name: '← All policies' }).click();
    await page.waitForURL((u) => u.pathname === '/policies');
    const row = page.getByTestId(`policy-row-${POLICY_NAME}`);
    await row.waitFor();
    expect((await row.textContent())?.replace(/\s+/g, ' ')).toContain('shadow');
    expect(await page.getByTestId('policy-row-e2e-bad').count()).toBe(0);
  });
});
