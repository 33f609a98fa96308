import pino from 'pino';
import type { AppConfig } from '@ailink/gateway-core';
import { EventBus } from '@ailink/gateway-events';
import { ProxyContext } from '@ailink/gateway-proxy';
import { MemoryKeyValueStore } from '@ailink/gateway-redis';
import { RateLimitEvents } from './rate-limit-events';
import { RateLimitReleaseHook } from './rate-limit-release.hook';
import { RateLimitStage } from './rate-limit.stage';

const logger = pino({ level: 'silent' });
let n = 0;

/** A request whose policy asks for approval; the default per-token limit admits 2 a minute. */
function request(): ProxyContext {
  n += 1;
  const ctx = new ProxyContext(
    `req_${String(n).padStart(32, '0')}`,
    'POST',
    '/v1/chat/completions',
    {},
    '127.0.0.1',
    '/v1/chat/completions',
  );
  ctx.token = {
    id: 'tok_' + 'e'.repeat(24),
    projectId: '00000000-0000-0000-0000-000000000001',
    name: 'agent',
    credentialId: null,
    upstreams: [],
    policyIds: [],
    logLevel: 1,
    circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
  ctx.policy = {
    phase: 'pre',
    mode: 'enforce',
    evaluated: [],
    actions: [
      {
        policy_id: 'p',
        policy: 'hitl',
        policy_version: 1,
        rule_index: 0,
        action_index: 0,
        action: { action: 'require_approval', mode: 'async' },
        status: 'deferred',
      },
    ],
    async_actions: [],
    shadow_violations: [],
    shadow_actions: [],
    tags: {},
  };
  return ctx;
}

describe('RateLimitReleaseHook', () => {
  let store: MemoryKeyValueStore;
  let stage: RateLimitStage;
  let hook: RateLimitReleaseHook;

  beforeEach(() => {
    store = new MemoryKeyValueStore();
    const config = { defaultRpm: 2, defaultRpmWindowSecs: 60, rateLimitFailMode: 'closed', trustedProxyCidrs: [] } as unknown as AppConfig;
    stage = new RateLimitStage(store, config, logger, new RateLimitEvents(new EventBus(store, logger), logger));
    hook = new RateLimitReleaseHook(stage);
  });

  afterEach(() => store.close());

  it('gives a 202 awaiting a decision its slot back, however often the client polls', async () => {
    for (let i = 0; i < 6; i++) {
      const ctx = request();
      await stage.run(ctx);
      ctx.approval = { id: 'apr', decision: null, latencyMs: null };
      ctx.answer = { status: 202, body: null };
      await hook.complete(ctx);
    }
    await stage.run(request());
    await stage.run(request());
    await expect(stage.run(request())).rejects.toMatchObject({ code: 'rate_limit_exceeded' });
  });

  it('keeps the entries of every other answer (forwarded, refused, or decided)', async () => {
    const forwarded = request();
    await stage.run(forwarded);
    await hook.complete(forwarded);
    const rejected = request();
    await stage.run(rejected);
    rejected.approval = { id: 'apr', decision: 'rejected', latencyMs: null };
    rejected.answer = { status: 202, body: null };
    await hook.complete(rejected);
    await expect(stage.run(request())).rejects.toMatchObject({ code: 'rate_limit_exceeded' });
  });
});
