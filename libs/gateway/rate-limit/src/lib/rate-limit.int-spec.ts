import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { FiredPolicyAction, PolicyAction } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type AppConfig } from '@ailink/gateway-core';
import { ProxyContext } from '@ailink/gateway-proxy';
import { EventBus } from '@ailink/gateway-events';
import { MemoryKeyValueStore, RedisKeyValueStore } from '@ailink/gateway-redis';
import { TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { actionHash, defaultLimitKey, usageCounterKeys } from './rate-limit-keys';
import { RateLimitEvents } from './rate-limit-events';
import { RateLimitStage } from './rate-limit.stage';

/**
 * The rate-limit stage against real Redis (vault-and-spend.md §7–8): several gateway instances share
 * the logs, each check is one Lua call on Redis time, and Redis outages follow the fail mode.
 */
const POLICY = 'cccccccc-0000-4000-8000-000000000001';
const UNREACHABLE_URL = 'redis://127.0.0.1:6390';
const logger = pino({ level: 'silent' });
/** Events are not under test here (the unit spec covers them): an in-process bus nobody listens to. */
const quietEvents = new RateLimitEvents(new EventBus(new MemoryKeyValueStore(), logger), logger);

function config(overrides: Partial<AppConfig> = {}): AppConfig {
  return { defaultRpm: 0, defaultRpmWindowSecs: 60, rateLimitFailMode: 'closed', trustedProxyCidrs: [], ...overrides } as AppConfig;
}

function context(
  tokenId: string,
  actions: PolicyAction[] = [],
  shadow: PolicyAction[] = [],
  headers: Record<string, string> = {},
): ProxyContext {
  const ctx = new ProxyContext(`req_${randomUUID().replace(/-/g, '')}`, 'POST', '/v1/chat/completions', headers, '127.0.0.1', '/');
  ctx.token = {
    id: tokenId,
    projectId: '00000000-0000-0000-0000-000000000001',
    name: 'agent',
    credentialId: null,
    upstreams: [],
    policyIds: [POLICY],
    logLevel: 1,
    circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
  const fired = (action: PolicyAction, i: number): FiredPolicyAction => ({
    policy_id: POLICY,
    policy: 'limits',
    policy_version: 1,
    rule_index: i,
    action_index: 0,
    action,
    status: 'pending',
  });
  ctx.policy = {
    phase: 'pre',
    mode: 'enforce',
    evaluated: [],
    actions: actions.map(fired),
    async_actions: [],
    shadow_violations: shadow.map((a, i) => ({
      policy_id: POLICY,
      policy: 'limits',
      rule_index: 50 + i,
      actions: [a.action],
      outcome: 'would_fire',
    })),
    shadow_actions: shadow.map((a, i) => fired(a, 50 + i)),
    tags: {},
  };
  return ctx;
}

async function outcome(run: Promise<void>): Promise<string> {
  return run.then(
    () => 'admitted',
    (e: unknown) => (e instanceof GatewayError ? e.code : String(e)),
  );
}

describe('RateLimitStage on Redis', () => {
  const open: RedisKeyValueStore[] = [];
  let keyPrefix: string;
  let tokenId: string;

  async function store(url = TEST_REDIS_URL, connectionName?: string): Promise<RedisKeyValueStore> {
    const s = new RedisKeyValueStore({ url, keyPrefix, commandTimeoutMs: 500, connectTimeoutMs: 300, connectionName });
    open.push(s);
    if (url === TEST_REDIS_URL) await s.connect();
    return s;
  }

  beforeEach(() => {
    keyPrefix = `t:rl:${randomUUID().slice(0, 12)}:`;
    tokenId = `tok_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await deleteRedisPrefix(keyPrefix);
  });

  it('admits exactly the limit out of concurrent requests on two instances sharing Redis', async () => {
    const a = new RateLimitStage(await store(), config({ defaultRpm: 1000 }), logger, quietEvents);
    const b = new RateLimitStage(await store(), config({ defaultRpm: 1000 }), logger, quietEvents);
    const limit: PolicyAction = { action: 'rate_limit', window: '1m', max_requests: 10 };
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => outcome((i % 2 ? a : b).run(context(tokenId, [limit])))));
    expect(results.filter((r) => r === 'admitted')).toHaveLength(10);
    expect(results.filter((r) => r === ErrorCode.RateLimitExceeded)).toHaveLength(70);

    const raw = new Redis(TEST_REDIS_URL);
    try {
      const key = `${keyPrefix}ailink:rl:${POLICY}:${actionHash('per_token', '1m', 10)}:tok:${tokenId}`;
      expect(await raw.zcard(key)).toBe(10);
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      // A per_token limit fired: the default limit did not run. Usage counted every request, admitted or not.
      expect(await raw.exists(`${keyPrefix}${defaultLimitKey(tokenId)}`)).toBe(0);
      expect(await raw.get(`${keyPrefix}${usageCounterKeys(tokenId, new Date()).day}`)).toBe('80');
    } finally {
      raw.disconnect();
    }
  });

  it('makes exactly one Redis call per checked request, and none for a token without limits', async () => {
    const connectionName = `rl-${randomUUID().slice(0, 8)}`;
    const s = await store(TEST_REDIS_URL, connectionName);
    const monitor = new Redis(TEST_REDIS_URL);
    const admin = new Redis(TEST_REDIS_URL);
    try {
      const clients = String(await admin.client('LIST'));
      const addr = clients
        .split('\n')
        .find((line) => line.includes(` name=${connectionName} `))
        ?.match(/ addr=(\S+) /)?.[1];
      expect(addr).toBeDefined();
      const seen: string[] = [];
      const feed = await monitor.monitor();
      feed.on('monitor', (_time: string, args: string[], source: string) => {
        if (source === addr) seen.push(String(args[0]).toLowerCase());
      });
      const limited = new RateLimitStage(s, config({ defaultRpm: 100 }), logger, quietEvents);
      const unlimited = new RateLimitStage(s, config({ defaultRpm: 0 }), logger, quietEvents);
      // Warm the script cache (the very first call may need EVAL after NOSCRIPT).
      await limited.run(context(tokenId));
      await new Promise((r) => setTimeout(r, 200));
      seen.length = 0;

      await limited.run(
        context(
          tokenId,
          [
            { action: 'rate_limit', window: '1m', max_requests: 5, key: 'per_agent' },
            { action: 'rate_limit', window: '1h', max_requests: 50, key: 'per_ip' },
          ],
          [{ action: 'rate_limit', window: '1m', max_requests: 1, key: 'global' }],
          { 'x-ailink-agent-name': 'bot' },
        ),
      );
      await unlimited.run(context(tokenId, [{ action: 'tag', key: 'k', value: 'v' } as PolicyAction]));
      await unlimited.run(context(tokenId));
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['evalsha']);
      feed.disconnect();
    } finally {
      monitor.disconnect();
      admin.disconnect();
    }
  });

  it('fails closed with 503 dependency_unavailable when Redis is down, or open with a warning', async () => {
    const down = await store(UNREACHABLE_URL);
    const closed = context(tokenId);
    const error = await new RateLimitStage(down, config({ defaultRpm: 10 }), logger, quietEvents).run(closed).then(
      () => undefined,
      (e: unknown) => e as GatewayError,
    );
    expect(error?.code).toBe(ErrorCode.DependencyUnavailable);
    expect(error?.headers?.['retry-after']).toBe('1');

    const openCtx = context(tokenId);
    await new RateLimitStage(down, config({ defaultRpm: 10, rateLimitFailMode: 'open' }), logger, quietEvents).run(openCtx);
    expect(openCtx.warnings).toEqual(['rate limit not enforced']);
    expect(openCtx.clientHeaders).toEqual({});

    // Nothing enforced was at stake (only a shadow limit and the usage counters): the request goes on.
    const shadowOnly = context(tokenId, [], [{ action: 'rate_limit', window: '1m', max_requests: 1 }]);
    await new RateLimitStage(down, config(), logger, quietEvents).run(shadowOnly);
    expect(shadowOnly.warnings).toEqual([]);
  });

  it('keeps the shadow log apart from the enforced one', async () => {
    const s = new RateLimitStage(await store(), config(), logger, quietEvents);
    const limit: PolicyAction = { action: 'rate_limit', window: '1m', max_requests: 2 };
    const results: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ctx = context(tokenId, [], [limit]);
      await s.run(ctx);
      results.push(ctx.policy?.shadow_violations[0]?.outcome ?? '');
    }
    expect(results).toEqual(['would_fire', 'would_fire', 'would_block']);
    const enforced = context(tokenId, [limit]);
    await s.run(enforced);
    expect(enforced.clientHeaders['x-ratelimit-remaining']).toBe('1');
  });
});
