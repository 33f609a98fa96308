import AxeBuilder from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); the browser tier never downloads one. */
export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium with a fresh profile in `profileDir`, at the portal's reference width (1280 px). */
export function launchChromium(profileDir: string, options: { permissions?: string[] } = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: CHROMIUM_ARGS,
    ...options,
  });
}

/** Resolves once no finite animation is running (Material transitions, snack bars, dialogs). */
export async function animationsDone(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity),
  );
}

/**
 * Runs axe on the current page once it has settled and fails on any serious or critical violation.
 * A snack bar opened by the last action may start its enter animation just after the first check,
 * and axe would then measure the contrast of a half-transparent label: hence the second look.
 */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  await animationsDone(page);
  await page.waitForTimeout(250);
  await animationsDone(page);
  await page.waitForFunction(() =>
    Array.from(document.querySelectorAll('.mat-mdc-snack-bar-container, .mdc-snackbar__surface')).every(
      (el) => getComputedStyle(el).opacity === '1',
    ),
  );
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  expect(serious).toEqual([]);
  expect(results.passes.length).toBeGreaterThan(0); // axe really ran against the page
}
