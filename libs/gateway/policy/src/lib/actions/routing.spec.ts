import type { BranchView } from '../engine/fields';
import { decideConditionalRoute, decideDynamicRoute, decideSplit, type RoutingEnvironment } from './routing';

function env(overrides: Partial<RoutingEnvironment> = {}): RoutingEnvironment {
  const turns = new Map<string, number>();
  return {
    breakerOpen: () => false,
    blendedPricePerM: async () => null,
    latencyP50Ms: () => undefined,
    inFlight: () => 0,
    nextTurn: (key) => {
      const t = turns.get(key) ?? 0;
      turns.set(key, t + 1);
      return t;
    },
    random: () => 0,
    ...overrides,
  };
}

const pool = [
  { model: 'gpt-4o', upstream_url: 'https://a.example/v1' },
  { model: 'gpt-4o-mini', upstream_url: 'https://b.example/v1', credential_id: 'c0ffee00-0000-4000-8000-000000000001' },
  { model: 'claude-3-haiku', upstream_url: 'https://c.example' },
];

describe('split (proxy.md §11)', () => {
  const action = {
    action: 'split' as const,
    experiment: 'prompt-v2',
    variants: [
      { weight: 1, name: 'control', set_body_fields: { model: 'gpt-4o' } },
      { weight: 3, name: 'treatment', set_body_fields: { model: 'gpt-4o-mini', temperature: 0 } },
    ],
  };

  it('picks a variant in proportion to its weight', () => {
    expect(decideSplit(action, () => 0).variant).toBe('control'); // roll 0 of 4
    expect(decideSplit(action, () => 0.2499).variant).toBe('control');
    expect(decideSplit(action, () => 0.25).variant).toBe('treatment');
    expect(decideSplit(action, () => 0.9999).variant).toBe('treatment');
    let treatment = 0;
    for (let i = 0; i < 4000; i++) if (decideSplit(action, Math.random).variant === 'treatment') treatment++;
    expect(treatment / 4000).toBeGreaterThan(0.7);
    expect(treatment / 4000).toBeLessThan(0.8);
  });

  it('carries the body fields, the experiment and the audit facts', () => {
    const d = decideSplit(action, () => 0.5);
    expect(d).toMatchObject({
      strategy: 'split',
      reason: 'variant treatment',
      target: null,
      setBodyFields: { model: 'gpt-4o-mini', temperature: 0 },
      experiment: 'prompt-v2',
      variant: 'treatment',
      info: {
        strategy: 'split',
        reason: 'variant treatment',
        target: 'gpt-4o-mini',
        candidates: [
          { name: 'control', weight: 1 },
          { name: 'treatment', weight: 3 },
        ],
      },
    });
    // Unnamed variants are named by position.
    expect(decideSplit({ action: 'split', variants: [{ weight: 1, set_body_fields: {} }] }, () => 0).variant).toBe('variant_0');
  });
});

describe('dynamic_route (proxy.md §11)', () => {
  it('round_robin turns over the available pool per key', async () => {
    const e = env();
    const action = { action: 'dynamic_route' as const, strategy: 'round_robin' as const, pool };
    const urls = [];
    for (let i = 0; i < 4; i++) urls.push((await decideDynamicRoute(action, e, 'k')).target?.upstream_url);
    expect(urls).toEqual(['https://a.example/v1', 'https://b.example/v1', 'https://c.example', 'https://a.example/v1']);
    expect((await decideDynamicRoute(action, e, 'other')).target?.upstream_url).toBe('https://a.example/v1');
  });

  it('drops targets whose breaker is open', async () => {
    const e = env({ breakerOpen: (url) => url.startsWith('https://a.') });
    const d = await decideDynamicRoute({ action: 'dynamic_route', strategy: 'round_robin', pool }, e, 'k');
    expect(d.target).toEqual({
      model: 'gpt-4o-mini',
      upstream_url: 'https://b.example/v1',
      credential_id: 'c0ffee00-0000-4000-8000-000000000001',
    });
    expect(d.info.candidates).toEqual([
      { model: 'gpt-4o', upstream_url: 'https://a.example/v1', available: false },
      { model: 'gpt-4o-mini', upstream_url: 'https://b.example/v1', available: true },
      { model: 'claude-3-haiku', upstream_url: 'https://c.example', available: true },
    ]);
  });

  it('none left: the fallback, or the token’s own upstreams', async () => {
    const e = env({ breakerOpen: () => true });
    const fallback = { model: 'gpt-3.5-turbo', upstream_url: 'https://fallback.example' };
    expect(await decideDynamicRoute({ action: 'dynamic_route', strategy: 'lowest_cost', pool, fallback }, e, 'k')).toMatchObject({
      strategy: 'lowest_cost',
      reason: 'fallback',
      target: fallback,
      info: { target: 'https://fallback.example' },
    });
    expect(await decideDynamicRoute({ action: 'dynamic_route', strategy: 'lowest_cost', pool }, e, 'k')).toMatchObject({
      reason: 'fallback',
      target: null,
      info: { target: 'token_upstreams' },
    });
  });

  it('lowest_cost takes the cheapest known price (unknown prices last)', async () => {
    const prices: Record<string, number | null> = { 'gpt-4o': 6.25, 'gpt-4o-mini': 0.375, 'claude-3-haiku': null };
    const e = env({ blendedPricePerM: async (model) => prices[model] ?? null });
    const d = await decideDynamicRoute({ action: 'dynamic_route', strategy: 'lowest_cost', pool }, e, 'k');
    expect(d.target?.model).toBe('gpt-4o-mini');
    expect(d.reason).toBe('lowest_cost');
    // Nothing known: pool order.
    expect((await decideDynamicRoute({ action: 'dynamic_route', strategy: 'lowest_cost', pool }, env(), 'k')).target?.model).toBe('gpt-4o');
  });

  it('lowest_latency takes the lowest p50', async () => {
    const e = env({ latencyP50Ms: (model) => ({ 'gpt-4o': 900, 'claude-3-haiku': 300 })[model] });
    expect((await decideDynamicRoute({ action: 'dynamic_route', strategy: 'lowest_latency', pool }, e, 'k')).target?.model).toBe(
      'claude-3-haiku',
    );
  });

  it('least_busy takes the URL with the fewest requests in flight', async () => {
    const e = env({ inFlight: (url) => (url.includes('b.example') ? 0 : 3) });
    expect((await decideDynamicRoute({ action: 'dynamic_route', strategy: 'least_busy', pool }, e, 'k')).target?.model).toBe('gpt-4o-mini');
  });

  it('weighted_random picks uniformly', async () => {
    const action = { action: 'dynamic_route' as const, strategy: 'weighted_random' as const, pool };
    expect((await decideDynamicRoute(action, env({ random: () => 0.99 }), 'k')).target?.model).toBe('claude-3-haiku');
    expect((await decideDynamicRoute(action, env({ random: () => 0.4 }), 'k')).target?.model).toBe('gpt-4o-mini');
  });
});

describe('conditional_route (proxy.md §11)', () => {
  const view = (body: unknown, headers: Record<string, string> = {}, metadata: Record<string, unknown> | null = null): BranchView => ({
    body,
    header: (name) => headers[name],
    metadata,
  });
  const action = {
    action: 'conditional_route' as const,
    branches: [
      { condition: { field: 'metadata.tier', op: 'eq' as const, value: 'gold' }, target: { upstream_url: 'https://gold.example' } },
      { condition: { field: 'header.x-region', op: 'in' as const, value: ['eu', 'ch'] }, target: { upstream_url: 'https://eu.example' } },
      { condition: { field: 'body.model', op: 'glob' as const, value: 'claude-*' }, target: { model: 'claude-3-haiku' } },
      {
        condition: { field: 'body.user', op: 'neq' as const, value: 'admin' },
        target: { credential_id: 'c0ffee00-0000-4000-8000-000000000002' },
      },
    ],
  };

  it('the first branch whose condition holds decides', () => {
    expect(decideConditionalRoute(action, view({ user: 'admin' }, { 'x-region': 'eu' }, { tier: 'gold' }))).toMatchObject({
      strategy: 'conditional',
      reason: 'branch 0',
      target: { upstream_url: 'https://gold.example' },
      info: { target: 'https://gold.example' },
    });
    expect(decideConditionalRoute(action, view({ user: 'admin' }, { 'x-region': 'ch' }))?.reason).toBe('branch 1');
    expect(decideConditionalRoute(action, view({ model: 'claude-3-opus', user: 'admin' }))?.target).toEqual({ model: 'claude-3-haiku' });
  });

  it('neq: a missing field counts as not equal', () => {
    expect(decideConditionalRoute(action, view({}))?.reason).toBe('branch 3');
    expect(decideConditionalRoute(action, view({ user: 'admin' }))).toBeNull();
  });

  it('no match: the fallback, else null (the caller denies)', () => {
    const withFallback = { ...action, fallback: { model: 'gpt-4o-mini' } };
    expect(decideConditionalRoute(withFallback, view({ user: 'admin' }))).toMatchObject({
      reason: 'fallback',
      target: { model: 'gpt-4o-mini' },
    });
  });

  it('regex, contains, starts_with, ends_with and exists work on branch fields', () => {
    const ops = {
      action: 'conditional_route' as const,
      branches: [
        { condition: { field: 'body.prompt', op: 'regex' as const, value: '(?i)^summari[sz]e' }, target: { model: 'r' } },
        { condition: { field: 'body.tags', op: 'contains' as const, value: 'vip' }, target: { model: 'c' } },
        { condition: { field: 'header.x-app', op: 'starts_with' as const, value: 'web-' }, target: { model: 's' } },
        { condition: { field: 'header.x-app', op: 'ends_with' as const, value: '-beta' }, target: { model: 'e' } },
        { condition: { field: 'metadata.trace', op: 'exists' as const }, target: { model: 'x' } },
      ],
    };
    expect(decideConditionalRoute(ops, view({ prompt: 'Summarize this' }))?.target).toEqual({ model: 'r' });
    expect(decideConditionalRoute(ops, view({ tags: ['a', 'vip'] }))?.target).toEqual({ model: 'c' });
    expect(decideConditionalRoute(ops, view({}, { 'x-app': 'web-portal' }))?.target).toEqual({ model: 's' });
    expect(decideConditionalRoute(ops, view({}, { 'x-app': 'cli-beta' }))?.target).toEqual({ model: 'e' });
    expect(decideConditionalRoute(ops, view({}, {}, { trace: 1 }))?.target).toEqual({ model: 'x' });
    expect(decideConditionalRoute(ops, view({}))).toBeNull();
  });
});
