import { HttpTestingController } from '@angular/common/http/testing';
import type { PricingRow, SessionEntityResponse, TokenSpendDay, TokenSpendStatus } from '@ailink/shared-contracts';

/** Fixtures for the spend pages' unit tests (only specs import this file). */
export const TOKEN_SPEND: TokenSpendStatus = {
  daily_limit_usd: 5,
  monthly_limit_usd: null,
  lifetime_limit_usd: 100,
  current_daily_usd: 1.25,
  current_monthly_usd: 3.5,
  current_lifetime_usd: 100.5,
};

/** `count` UTC days ending on 2026-01-30, oldest first; `spend[i]` (default 0) on day i. */
export function spendDays(count: number, spend: Record<number, number> = {}): TokenSpendDay[] {
  const end = Date.UTC(2026, 0, 30);
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    const usd = spend[i] ?? 0;
    return { date, spend_usd: usd, requests: usd > 0 ? Math.max(1, Math.round(usd * 10)) : 0 };
  });
}

/** Answers the spend section's two reads (status, then history of `days` days). */
export function flushTokenSpend(
  http: HttpTestingController,
  tokenId: string,
  status: TokenSpendStatus = TOKEN_SPEND,
  history: TokenSpendDay[] = spendDays(30, { 27: 0.5, 29: 1.25 }),
  days = 30,
): void {
  http.expectOne(`/api/v1/tokens/${tokenId}/spend`).flush(status);
  const req = http.expectOne((r) => r.url === `/api/v1/tokens/${tokenId}/spend/history`);
  if (req.request.params.get('days') !== String(days)) throw new Error(`history asked for days=${req.request.params.get('days')}`);
  req.flush(history);
}

export const BUILTIN_PRICE: PricingRow = {
  id: '61616161-6161-4161-8161-616161616161',
  org_id: null,
  provider: 'openai',
  model_pattern: 'gpt-4o*',
  input_per_m: '2.500000',
  output_per_m: '10.000000',
  cached_input_per_m: '1.250000',
  max_output_tokens: null,
  is_active: true,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

export const BUILTIN_PRICE_2: PricingRow = {
  ...BUILTIN_PRICE,
  id: '62626262-6262-4262-8262-626262626262',
  provider: 'anthropic',
  model_pattern: 'claude-3-5-haiku*',
  input_per_m: '0.800000',
  output_per_m: '4.000000',
  cached_input_per_m: null,
};

export const OVERRIDE_PRICE: PricingRow = {
  ...BUILTIN_PRICE,
  id: '63636363-6363-4363-8363-636363636363',
  org_id: '00000000-0000-0000-0000-000000000001',
  input_per_m: '2.000000',
  output_per_m: '8.000000',
  cached_input_per_m: null,
  max_output_tokens: 4096,
  updated_at: '2026-01-10T00:00:00.000Z',
};

export const SESSION: SessionEntityResponse = {
  id: '64646464-6464-4464-8464-646464646464',
  session_id: 'run-42',
  project_id: '00000000-0000-0000-0000-000000000001',
  token_id: 'tok_0123456789abcdef01234567',
  status: 'active',
  spend_cap_usd: null,
  total_cost_usd: '0.012500',
  total_tokens: 1800,
  total_requests: 3,
  metadata: { agent: 'support-bot' },
  created_at: '2026-01-05T10:00:00.000Z',
  updated_at: '2026-01-05T10:05:00.000Z',
  completed_at: null,
};
