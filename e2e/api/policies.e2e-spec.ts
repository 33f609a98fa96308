import { MockUpstream } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

/**
 * Policies and rate limits through the built gateway (policies.md §5–6, §11; proxy.md §5–7;
 * vault-and-spend.md §7): every action the pre-phase policy stages execute — allow, deny with a
 * status, log, tag, rate_limit, throttle — in enforce and in shadow mode, against a local upstream,
 * checking status codes, headers and the audit record of each request, then the shadow report.
 */
const DEFAULT_RPM = 6;

type Json = any;

describe('policies and rate limits through the built gateway (external mode)', () => {
  const upstream = new MockUpstream();
  let gw: GatewayProcess;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const r = await fetch(`${gw.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-admin-key': gw.adminKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  }

  async function policy(name: string, rules: unknown[], mode: 'enforce' | 'shadow' = 'enforce'): Promise<string> {
    const created = await api('POST', '/policies', { name: `${name}-${Date.now()}`, mode, rules });
    expect(created.status).toBe(201);
    return created.json.id;
  }

  async function token(policyIds: string[], tags: Record<string, string> = {}): Promise<{ id: string; secret: string }> {
    const created = await api('POST', '/tokens', {
      name: `policies-e2e-${Date.now()}`,
      upstream_url: `${upstream.url}/v1`,
      policy_ids: policyIds,
      tags,
    });
    expect(created.status).toBe(201);
    return { id: created.json.id, secret: created.json.token_id };
  }

  function chat(secret: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }),
    });
  }

  /** The audit details of a token's requests, oldest first, once `count` of them were written. */
  async function audits(tokenId: string, count: number): Promise<Json[]> {
    const deadline = Date.now() + 10_000;
    let list: Json[] = [];
    while (Date.now() < deadline) {
      list = (await api('GET', `/audit?token_id=${tokenId}&limit=200`)).json;
      if (list.length >= count) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(list).toHaveLength(count);
    const details = await Promise.all(list.map(async (s: Json) => (await api('GET', `/audit/${s.id}`)).json));
    return details.reverse();
  }

  beforeAll(async () => {
    await upstream.start();
    gw = await startGateway({ env: { AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', AILINK_DEFAULT_RPM: String(DEFAULT_RPM) } });
  });

  afterAll(async () => {
    await gw?.stop();
    await upstream.stop();
  });

  it('allow with stop: true ends the policy’s evaluation, so the later deny never fires', async () => {
    const id = await policy('allow', [
      { when: { field: 'request.body.model', op: 'glob', value: 'gpt-4o*' }, then: { action: 'allow', stop: true } },
      { then: { action: 'deny' } },
    ]);
    const t = await token([id]);
    const r = await chat(t.secret);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ailink-overhead-ms')).toMatch(/^\d+\.\d{3}$/);
    const [record] = await audits(t.id, 1);
    expect(record).toMatchObject({
      policy_result: 'allowed',
      policy_mode: 'enforce',
      deny_reason: null,
      shadow_violations: [],
      upstream_status: 200,
    });
    expect(record.policies_evaluated).toEqual([
      { policy_id: id, policy: expect.stringMatching(/^allow-/), version: 1, mode: 'enforce', phase: 'pre', fired_rules: [0] },
    ]);
  });

  it('deny answers policy_denied with the action’s status and message, and never reaches the upstream', async () => {
    const id = await policy('deny', [
      { when: { field: 'request.headers.x-team', op: 'eq', value: 'blue' }, then: { action: 'tag', key: 'team', value: 'blue' } },
      { when: { field: 'agent.name', op: 'eq', value: 'rogue-bot' }, then: { action: 'deny', status: 451, message: 'agent not allowed' } },
    ]);
    const t = await token([id]);
    const seen = upstream.requests.length;
    const r = await chat(t.secret, { 'x-ailink-agent-name': 'rogue-bot' });
    expect(r.status).toBe(451);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const body = (await r.json()) as Json;
    const name = (await api('GET', `/policies/${id}`)).json.name;
    expect(body.error).toMatchObject({
      code: 'policy_denied',
      type: 'permission_error',
      message: `Request blocked by policy '${name}': agent not allowed`,
      details: { policy: name, rule_index: 1, action: 'deny', reason: 'agent not allowed' },
    });
    expect(upstream.requests.length).toBe(seen);
    // Another agent passes.
    expect((await chat(t.secret, { 'x-ailink-agent-name': 'good-bot', 'x-team': 'blue' })).status).toBe(200);

    const [denied, passed] = await audits(t.id, 2);
    expect(denied).toMatchObject({
      policy_result: 'denied',
      error_type: 'policy_denied',
      upstream_status: 451,
      deny_reason: `Request blocked by policy '${name}': agent not allowed`,
      agent_name: 'rogue-bot',
    });
    expect(denied.policies_evaluated[0].fired_rules).toEqual([1]);
    expect(passed).toMatchObject({ policy_result: 'allowed', deny_reason: null, tags: { team: 'blue' } });
  });

  it('log and tag add their tags to the audit record over the token’s own (later wins)', async () => {
    const id = await policy('tags', [
      {
        then: [
          { action: 'log', level: 'info', tags: { source: 'log', env: 'from-log' } },
          { action: 'tag', key: 'route', value: 'fast' },
        ],
      },
      { when: { field: 'request.method', op: 'eq', value: 'POST' }, then: { action: 'tag', key: 'env', value: 'from-tag' } },
    ]);
    const t = await token([id], { env: 'prod', owner: 'billing' });
    expect((await chat(t.secret)).status).toBe(200);
    const [record] = await audits(t.id, 1);
    expect(record.tags).toEqual({ env: 'from-tag', owner: 'billing', source: 'log', route: 'fast' });
    expect(record.policy_result).toBe('allowed');
    expect(gw.logs()).toContain('log action');
  });

  it('rate_limit: a sliding window per token with real headers, then 429 rate_limit_exceeded with Retry-After', async () => {
    const id = await policy('rate', [{ then: { action: 'rate_limit', window: '1m', max_requests: 2 } }]);
    const name = (await api('GET', `/policies/${id}`)).json.name;
    const t = await token([id]);
    const started = Math.floor(Date.now() / 1000);
    const first = await chat(t.secret);
    const second = await chat(t.secret);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([first.headers.get('x-ratelimit-limit'), first.headers.get('x-ratelimit-remaining')]).toEqual(['2', '1']);
    expect([second.headers.get('x-ratelimit-limit'), second.headers.get('x-ratelimit-remaining')]).toEqual(['2', '0']);
    const reset = Number(first.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(started + 59);
    expect(reset).toBeLessThanOrEqual(started + 62);

    const seen = upstream.requests.length;
    const refused = await chat(t.secret);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
    expect(Number(refused.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(started + 59);
    expect(refused.headers.get('x-ailink-overhead-ms')).not.toBeNull();
    const body = (await refused.json()) as Json;
    expect(body.error).toMatchObject({
      code: 'rate_limit_exceeded',
      type: 'rate_limit_error',
      details: { policy: name, key: 'per_token', limit: 2, window_secs: 60, retry_after_secs: retryAfter },
    });
    expect(upstream.requests.length).toBe(seen);

    const records = await audits(t.id, 3);
    expect(records.map((r) => [r.policy_result, r.error_type, r.deny_reason])).toEqual([
      ['allowed', null, null],
      ['allowed', null, null],
      ['denied', 'rate_limit_exceeded', 'rate_limit'],
    ]);
    expect(records[2].upstream_status).toBe(429);
  });

  it('rate_limit per_user keeps one log per X-User-Id, beside the default per-token limit', async () => {
    const id = await policy('per-user', [{ then: { action: 'rate_limit', window: '1h', max_requests: 1, key: 'per_user' } }]);
    const t = await token([id]);
    expect((await chat(t.secret, { 'x-user-id': 'alice' })).status).toBe(200);
    const bob = await chat(t.secret, { 'x-user-id': 'bob' });
    expect(bob.status).toBe(200);
    // Bob's own limit is used up: that is the most restrictive limit evaluated.
    expect([bob.headers.get('x-ratelimit-limit'), bob.headers.get('x-ratelimit-remaining')]).toEqual(['1', '0']);
    const again = await chat(t.secret, { 'x-user-id': 'alice' });
    expect(again.status).toBe(429);
    expect(((await again.json()) as Json).error.details).toMatchObject({ key: 'per_user', limit: 1, window_secs: 3600 });
  });

  it('the default per-token limit (AILINK_DEFAULT_RPM) applies to a token without policies', async () => {
    const t = await token([]);
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULT_RPM + 1; i++) {
      const r = await chat(t.secret);
      statuses.push(r.status);
      if (i === 0) expect(r.headers.get('x-ratelimit-limit')).toBe(String(DEFAULT_RPM));
      if (r.status === 429) {
        expect(((await r.json()) as Json).error.details).toMatchObject({
          policy: null,
          key: 'per_token',
          limit: DEFAULT_RPM,
          window_secs: 60,
        });
      }
    }
    expect(statuses).toEqual([...Array.from({ length: DEFAULT_RPM }, () => 200), 429]);
    const records = await audits(t.id, DEFAULT_RPM + 1);
    expect(records[DEFAULT_RPM]).toMatchObject({ policy_result: 'denied', deny_reason: 'rate_limit', policy_mode: null });
  });

  it('throttle delays the request, and the delay is not counted as gateway overhead', async () => {
    const id = await policy('throttle', [{ then: { action: 'throttle', delay_ms: 600 } }]);
    const t = await token([id]);
    const started = Date.now();
    const r = await chat(t.secret);
    const took = Date.now() - started;
    expect(r.status).toBe(200);
    expect(took).toBeGreaterThanOrEqual(600);
    expect(Number(r.headers.get('x-ailink-overhead-ms'))).toBeLessThan(500);
    const [record] = await audits(t.id, 1);
    expect(record.response_latency_ms).toBeGreaterThanOrEqual(600);
    expect(Number(record.overhead_ms)).toBeLessThan(500);
  });

  it('shadow mode runs each action as a what-if: nothing blocks, waits, tags or counts, and the audit says what would have happened', async () => {
    const id = await policy(
      'shadow',
      [
        { then: { action: 'deny', status: 451 } },
        { then: { action: 'log', tags: { shadow: 'log' } } },
        { then: { action: 'tag', key: 'shadow', value: 'tag' } },
        { then: { action: 'rate_limit', window: '1m', max_requests: 1 } },
        { then: { action: 'throttle', delay_ms: 3000 } },
        { when: { field: 'request.method', op: 'eq', value: 'GET' }, then: { action: 'deny' } },
        { then: { action: 'allow' } },
      ],
      'shadow',
    );
    const t = await token([id], { env: 'prod' });
    const started = Date.now();
    const first = await chat(t.secret);
    const second = await chat(t.secret);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(Date.now() - started).toBeLessThan(3000);
    // Only the default limit is enforced and reported; the shadow limit counts on its own log.
    expect([second.headers.get('x-ratelimit-limit'), second.headers.get('x-ratelimit-remaining')]).toEqual([
      String(DEFAULT_RPM),
      String(DEFAULT_RPM - 2),
    ]);

    const records = await audits(t.id, 2);
    const name = (await api('GET', `/policies/${id}`)).json.name;
    const violations = (outcomes: string[]) =>
      [0, 1, 2, 3, 4, 6].map((rule, i) => ({
        policy_id: id,
        policy: name,
        rule_index: rule,
        actions: [['deny', 'log', 'tag', 'rate_limit', 'throttle', 'allow'][i]],
        outcome: outcomes[i],
      }));
    expect(records[0]).toMatchObject({ policy_result: 'allowed', policy_mode: 'shadow', tags: { env: 'prod' }, deny_reason: null });
    expect(records[0].shadow_violations).toEqual(
      violations(['would_block', 'would_fire', 'would_fire', 'would_fire', 'would_fire', 'would_fire']),
    );
    // The second request is over the shadow limit of 1 per minute: that rule would have blocked it.
    expect(records[1].shadow_violations).toEqual(
      violations(['would_block', 'would_fire', 'would_fire', 'would_block', 'would_fire', 'would_fire']),
    );
    expect(records[1].policies_evaluated[0]).toMatchObject({ policy_id: id, mode: 'shadow', fired_rules: [0, 1, 2, 3, 4, 6] });

    const report = await api('GET', `/policies/${id}/shadow-report`);
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({ policy_id: id, total_requests: 2, would_have_fired: 2 });
    expect(report.json.by_rule).toEqual([
      { rule_index: 0, actions: ['deny'], count: 2, would_block: 2 },
      { rule_index: 1, actions: ['log'], count: 2, would_block: 0 },
      { rule_index: 2, actions: ['tag'], count: 2, would_block: 0 },
      { rule_index: 3, actions: ['rate_limit'], count: 2, would_block: 1 },
      { rule_index: 4, actions: ['throttle'], count: 2, would_block: 0 },
      { rule_index: 6, actions: ['allow'], count: 2, would_block: 0 },
    ]);
  });

  it('an enforce policy and a shadow policy on one token: the enforce deny answers, the shadow one is recorded', async () => {
    const shadow = await policy('pair-shadow', [{ then: { action: 'deny', status: 409 } }], 'shadow');
    const enforce = await policy('pair-enforce', [
      { when: { field: 'request.headers.x-block', op: 'exists' }, then: { action: 'deny', status: 403, message: 'blocked' } },
    ]);
    const t = await token([shadow, enforce]);
    expect((await chat(t.secret)).status).toBe(200);
    expect((await chat(t.secret, { 'x-block': '1' })).status).toBe(403);
    const records = await audits(t.id, 2);
    expect(records.map((r) => [r.policy_mode, r.policy_result, r.shadow_violations.length])).toEqual([
      ['enforce', 'allowed', 1],
      ['enforce', 'denied', 1],
    ]);
  });
});
