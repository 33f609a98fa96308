import { HttpTestingController } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FormControl } from '@angular/forms';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { AuthSession } from '@ailink/portal-data-access';
import type { WhoAmIResponse } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { BUILT_AREA_PATHS, UNAVAILABLE_AREAS } from '../product-areas';
import { pageTestProviders, settle } from '../testing-pages';
import { shortDay } from './spend-chart';
import { formatUsd, niceCeiling, positiveUsdValidator, usdValidator } from './spend-format';
import { SpendLayout } from './spend-layout';
import { spendHome } from './spend.routes';

describe('spend formatting', () => {
  it('formats USD with cents, and up to 6 decimals for small amounts', () => {
    expect(formatUsd(5)).toBe('$5.00');
    expect(formatUsd(12.5)).toBe('$12.50');
    expect(formatUsd(0.00105)).toBe('$0.00105');
    expect(formatUsd('2.500000')).toBe('$2.50');
    expect(formatUsd('0.075000')).toBe('$0.075');
    expect(formatUsd(1234567.891)).toBe('$1,234,567.891');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-1.5)).toBe('-$1.50');
    expect(formatUsd(null)).toBe('—');
    expect(formatUsd('n/a')).toBe('n/a');
  });

  it('rounds an axis maximum up to 1, 2, 2.5 or 5 × 10^k, never below a cent', () => {
    expect(niceCeiling(0)).toBe(0.01);
    expect(niceCeiling(0.004)).toBe(0.01);
    expect(niceCeiling(0.013)).toBe(0.02);
    expect(niceCeiling(1.25)).toBe(2);
    expect(niceCeiling(2.1)).toBe(2.5);
    expect(niceCeiling(3)).toBe(5);
    expect(niceCeiling(7)).toBe(10);
    expect(niceCeiling(10)).toBe(10);
    expect(niceCeiling(420)).toBe(500);
  });

  it('accepts decimal amounts only: ≥ 0 for prices, > 0 for caps', () => {
    const check = (validator: typeof usdValidator, value: string) => validator(new FormControl(value));
    expect(check(usdValidator, '')).toBeNull();
    expect(check(usdValidator, '0')).toBeNull();
    expect(check(usdValidator, ' 2.5 ')).toBeNull();
    expect(check(usdValidator, '0.000001')).toBeNull();
    expect(check(usdValidator, '0.0000001')).toEqual({ usd: true });
    expect(check(usdValidator, '-1')).toEqual({ usd: true });
    expect(check(usdValidator, '1e3')).toEqual({ usd: true });
    expect(check(positiveUsdValidator, '0')).toEqual({ positive: true });
    expect(check(positiveUsdValidator, '0.000001')).toBeNull();
    expect(check(positiveUsdValidator, 'abc')).toEqual({ usd: true });
  });

  it('labels UTC days briefly', () => {
    expect(shortDay('2026-01-05')).toBe('Jan 5');
    expect(shortDay('2026-12-31')).toBe('Dec 31');
    expect(shortDay('not a day')).toBe('not a day');
  });
});

@Component({ template: '<h1>Child</h1>' })
class Child {}

function who(scopes: string[]): WhoAmIResponse {
  return { org_id: '00000000-0000-0000-0000-000000000001', user_id: null, role: 'Member', scopes, auth_method: 'api_key' };
}

describe('Spend area routes', () => {
  async function start(scopes: string[]): Promise<RouterTestingHarness> {
    TestBed.configureTestingModule({
      providers: pageTestProviders([
        {
          path: 'spend',
          component: SpendLayout,
          children: [
            { path: '', pathMatch: 'full', redirectTo: spendHome },
            { path: 'pricing', component: Child },
            { path: 'sessions', component: Child },
          ],
        },
      ]),
    });
    const signedIn = firstValueFrom(TestBed.inject(AuthSession).signIn('ak_live_00000000_0123456789abcdef0123456789abcdef'));
    TestBed.inject(HttpTestingController).expectOne('/api/v1/auth/whoami').flush(who(scopes));
    await signedIn;
    const harness = await RouterTestingHarness.create();
    harness.fixture.autoDetectChanges();
    return harness;
  }

  function tabs(harness: RouterTestingHarness): string[][] {
    const nav = (harness.fixture.nativeElement as HTMLElement).querySelector('nav[aria-label="Spend pages"]');
    return Array.from(nav?.querySelectorAll('a') ?? []).map((a) => [a.textContent?.trim() ?? '', a.getAttribute('aria-selected') ?? '']);
  }

  it('is a built area (no longer the not-available page)', () => {
    expect(BUILT_AREA_PATHS).toContain('spend');
    expect(UNAVAILABLE_AREAS.map((a) => a.path)).not.toContain('spend');
  });

  it('opens the price table for a caller who can read prices, with a tab per page', async () => {
    const harness = await start(['pricing:read', 'audit:read']);
    await harness.navigateByUrl('/spend');
    await settle();
    expect(TestBed.inject(Router).url).toBe('/spend/pricing');
    expect(tabs(harness)).toEqual([
      ['Pricing', 'true'],
      ['Sessions', 'false'],
    ]);
    await harness.navigateByUrl('/spend/sessions');
    await settle();
    expect(tabs(harness)).toEqual([
      ['Pricing', 'false'],
      ['Sessions', 'true'],
    ]);
  });

  it('opens the sessions for a caller without pricing:read, and hides the tab it cannot use', async () => {
    const harness = await start(['audit:read']);
    await harness.navigateByUrl('/spend');
    await settle();
    expect(TestBed.inject(Router).url).toBe('/spend/sessions');
    expect(tabs(harness)).toEqual([['Sessions', 'true']]);
  });
});
