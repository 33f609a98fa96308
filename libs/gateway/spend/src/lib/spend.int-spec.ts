import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { CoreModule, GatewayError, loadConfig, type Principal } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { ProxyContext, type ProxyToken } from '@ailink/gateway-proxy';
import { CacheInvalidationBus, KeyValueStore, RedisModule } from '@ailink/gateway-redis';
import { EventBus } from '@ailink/gateway-events';
import type { GatewayEvent } from '@ailink/shared-contracts';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, TcpProxy, deleteRedisPrefix } from '@ailink/testing';
import { PricingService } from './pricing/pricing.service';
import { SpendFlusher } from './spend-flusher';
import { SpendLedger } from './spend-ledger';
import { SPEND_ENTITIES, SpendModule } from './spend.module';
import { SpendService } from './spend.service';
import { SessionsService } from './sessions/sessions.service';
import { SpendSettleHook } from './spend-settle.hook';
import { SpendStage } from './spend.stage';
import { SpendTracker } from './spend-tracker';
import { counterRef } from './spend-keys';

/** Stand-ins for the tables other features own: only their ids, so that the FKs resolve. */
@Entity({ name: 'organizations' })
class OrganizationRow {
  @PrimaryColumn('uuid') id!: string;
}
@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}
@Entity({ name: 'tokens' })
class TokenRow {
  @PrimaryColumn('varchar') id!: string;
}

interface Instance {
  app: INestApplicationContext;
  stage: SpendStage;
  hook: SpendSettleHook;
  ledger: SpendLedger;
  flusher: SpendFlusher;
  spend: SpendService;
  sessions: SessionsService;
  pricing: PricingService;
  store: KeyValueStore;
  dataSource: DataSource;
}

async function startInstance(keyPrefix: string, env: Record<string, string> = {}): Promise<Instance> {
  const config = loadConfig(
    {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_MIGRATE_ON_START: 'false',
      AILINK_ADMIN_KEY: 'spend-int-admin-key-0123456789',
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-spend-int-')),
      // Long L1 TTL: whatever a test sees change, it sees through invalidation, not expiry.
      AILINK_L1_TTL_MS: '600000',
      AILINK_ENABLE_TEST_HOOKS: 'true',
      // The tests flush on demand.
      AILINK_SPEND_FLUSH_MS: '3600000',
      ...env,
    },
    { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
  );
  @Module({
    imports: [
      CoreModule.forRoot(config, pino({ level: process.env['SPEND_DEBUG'] ? 'warn' : 'silent' })),
      DatabaseModule.forRoot({ entities: [...SPEND_ENTITIES, OrganizationRow, ProjectRow, TokenRow], migrations: [] }),
      RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
      SpendModule,
    ],
  })
  class InstanceModule {}
  const app = await NestFactory.createApplicationContext(InstanceModule, { logger: false });
  await app.init();
  return {
    app,
    stage: app.get(SpendStage),
    hook: app.get(SpendSettleHook),
    ledger: app.get(SpendLedger),
    flusher: app.get(SpendFlusher),
    spend: app.get(SpendService),
    sessions: app.get(SessionsService),
    pricing: app.get(PricingService),
    store: app.get(KeyValueStore),
    dataSource: app.get(DataSource),
  };
}

interface TestToken {
  id: string;
  secret: string;
  projectId: string;
}

function proxyToken(token: TestToken & { teamId?: string }, upstream = 'http://127.0.0.1:9/v1'): ProxyToken {
  return {
    id: token.id,
    projectId: token.projectId,
    name: 'spend-int',
    credentialId: null,
    upstreams: [{ url: upstream, weight: 1, priority: 1 }],
    policyIds: [],
    logLevel: 1,
    circuitBreaker: { enabled: false, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: token.teamId ?? null,
  };
}

/** A chat request as the proxy handler would have parsed it. */
function chat(
  token: TestToken & { teamId?: string },
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): ProxyContext {
  const requestId = 'req_' + randomBytes(16).toString('hex');
  const ctx = new ProxyContext(
    requestId,
    'POST',
    '/v1/chat/completions',
    { 'content-type': 'application/json', ...headers },
    '127.0.0.1',
    '/v1/chat/completions',
  );
  ctx.json = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...body };
  ctx.body = Buffer.from(JSON.stringify(ctx.json));
  ctx.token = proxyToken(token);
  return ctx;
}

/** What the forwarder records for a completed upstream call. */
function answered(
  ctx: ProxyContext,
  usage: Record<string, unknown> | null = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
): ProxyContext {
  ctx.upstreamUrl = 'http://127.0.0.1:9/v1/chat/completions';
  ctx.upstreamStatus = 200;
  ctx.status = 200;
  ctx.model = (ctx.json as { model: string }).model;
  if (usage) ctx.usage = usage as unknown as ProxyContext['usage'];
  ctx.responseHeaders = { 'content-type': 'application/json' };
  ctx.responseBody = Buffer.from(
    JSON.stringify({ choices: [{ message: { content: 'Hello from the mock' } }], ...(usage ? { usage } : {}) }),
  );
  return ctx;
}

async function outcome(promise: Promise<unknown>): Promise<GatewayError | 'ok'> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('spend (PostgreSQL + Redis, two gateway instances)', () => {
  const keyPrefix = `spendint${randomUUID().slice(0, 8)}:`;
  let a: Instance;
  let b: Instance;
  const orgA = randomUUID();
  const orgB = randomUUID();
  const projectA = randomUUID();
  const projectB = randomUUID();
  const adminA: Principal = { orgId: orgA, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-a' };
  const adminB: Principal = { orgId: orgB, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-b' };

  async function newToken(projectId = projectA): Promise<TestToken> {
    const secret = `ailink_v1_${projectId.slice(0, 8)}_tok_${randomBytes(16).toString('hex')}`;
    const hash = createHash('sha256').update(secret).digest('hex');
    const id = 'tok_' + hash.slice(0, 24);
    await a.dataSource.query(
      `INSERT INTO tokens (id, secret_sha256, last4, project_id, name, upstream_url) VALUES ($1, $2, $3, $4, 'spend-int', 'http://127.0.0.1:9/v1')`,
      [id, hash, secret.slice(-4), projectId],
    );
    return { id, secret, projectId };
  }

  async function tokenSpendRows(tokenId: string): Promise<Record<string, { spend: string; requests: string }>> {
    const rows: { period_key: string; spend_usd: string; requests: string }[] = await a.dataSource.query(
      'SELECT period_key, spend_usd, requests FROM token_spend WHERE token_id = $1',
      [tokenId],
    );
    return Object.fromEntries(rows.map((r) => [r.period_key, { spend: r.spend_usd, requests: r.requests }]));
  }

  beforeAll(async () => {
    a = await startInstance(keyPrefix);
    b = await startInstance(keyPrefix);
    await a.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, 'spend-int A'), ($2, 'spend-int B')`, [orgA, orgB]);
    await a.dataSource.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $3, 'a'), ($2, $4, 'b')`, [
      projectA,
      projectB,
      orgA,
      orgB,
    ]);
  });

  afterAll(async () => {
    await a?.dataSource.query(`DELETE FROM model_pricing WHERE org_id = ANY($1::uuid[])`, [[orgA, orgB]]);
    await a?.dataSource.query(`DELETE FROM organizations WHERE id = ANY($1::uuid[])`, [[orgA, orgB]]);
    await a?.app.close();
    await b?.app.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('seeds the built-in prices once, shared by every organisation', async () => {
    const [row] = await a.dataSource.query(
      `SELECT count(*)::int AS n FROM model_pricing WHERE org_id IS NULL AND provider = 'openai' AND model_pattern = 'gpt-4o*'`,
    );
    expect(row.n).toBe(1);
    expect(await a.pricing.lookup(orgA, ['openai'], 'gpt-4o-2024-08-06')).toMatchObject({
      inputPerM: 2_500_000,
      outputPerM: 10_000_000,
      cachedInputPerM: 1_250_000,
    });
  });

  it('200 concurrent requests against a cap that admits 10: exactly 10 reserve, the rest get 402 spend_cap_reached', async () => {
    const token = await newToken();
    // Estimate per request: ⌈2 chars / 4⌉ = 1 prompt token × $2.50/M + 100 output tokens × $10/M = 1002.5 µ$ → 1003 µ$.
    await a.spend.putTokenCap(adminA, token.secret, { period: 'daily', limit_usd: '0.0105' });
    const contexts = Array.from({ length: 200 }, () => chat(token));
    const instanceOf = (i: number) => (i % 2 ? a : b);
    const results = await Promise.all(contexts.map((ctx, i) => outcome(Promise.resolve(instanceOf(i).stage.run(ctx)))));
    const admittedIndexes = contexts.map((_, i) => i).filter((i) => results[i] === 'ok');
    const admitted = admittedIndexes.map((i) => contexts[i]);
    expect(admitted).toHaveLength(10);
    const refused = results.filter((r): r is GatewayError => r !== 'ok');
    expect(refused).toHaveLength(190);
    expect(refused[0].code).toBe('spend_cap_reached');
    expect(refused[0].message).toBe('Daily spend cap of $0.0105 reached');
    expect(refused[0].details).toMatchObject({ scope: 'token', period: 'daily', limit_usd: 0.0105 });
    for (const ctx of admitted) expect(ctx.clientHeaders['x-ailink-budget-remaining-daily']).toMatch(/^\d+\.\d{4}$/);
    expect(admitted.map((c) => c.clientHeaders['x-ailink-budget-remaining-daily']).sort()[0]).toBe('0.0004');

    // Settle every admitted request (usage 9 + 4 tokens on gpt-4o = 62.5 µ$ → 63 µ$ each).
    await Promise.all(admittedIndexes.map((i) => instanceOf(i).hook.complete(answered(contexts[i]))));
    expect(admitted[0].costUsd).toBe(0.000063);
    const status = await b.spend.tokenStatus(adminA, token.id);
    expect(status).toEqual({
      daily_limit_usd: 0.0105,
      monthly_limit_usd: null,
      lifetime_limit_usd: null,
      current_daily_usd: 0.00063,
      current_monthly_usd: 0.00063,
      current_lifetime_usd: 0.00063,
    });
    const daily = counterRef('token', token.id, 'daily', new Date());
    expect((await a.store.spendRead([daily.key]))[0]).toMatchObject({ spentMicros: 630, reservedMicros: 0, requests: 10 });

    // The reservations are gone: the next request is admitted again.
    expect(await outcome(Promise.resolve(a.stage.run(chat(token))))).toBe('ok');
  });

  it('a token without caps makes no store call on the request path; its spend is batched, then flushed', async () => {
    const token = await newToken();
    // Store calls made while a request is in the stage or the hook. On warm caches both run through
    // resolved promises only, so no timer (the ledger's background batch) can run in between: any
    // call recorded is the request's own.
    const calls: string[] = [];
    let inRequest = false;
    const spies = (['spendReserve', 'spendSettle', 'spendRead', 'spendLoad', 'spendRefresh'] as const).map((method) => {
      const original = a.store[method].bind(a.store) as (...args: never[]) => Promise<unknown>;
      return jest.spyOn(a.store, method).mockImplementation(((...args: never[]) => {
        if (inRequest) calls.push(method);
        return original(...args);
      }) as never);
    });
    try {
      const warm = chat(token);
      await a.stage.run(warm);
      await a.hook.complete(answered(warm));
      await a.ledger.applyPending();
      const contexts = [chat(token), chat(token)];
      for (const ctx of contexts) {
        inRequest = true;
        await a.stage.run(ctx);
        await a.hook.complete(answered(ctx));
        inRequest = false;
      }
      expect(contexts[0].clientHeaders).toEqual({});
      expect(calls).toEqual([]);
      expect(contexts[0].costUsd).toBe(0.000063);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect((await a.spend.tokenStatus(adminA, token.id)).current_daily_usd).toBe(0.000189);
    await a.flusher.flushNow();
    const rows = await tokenSpendRows(token.id);
    const day = counterRef('token', token.id, 'daily', new Date()).periodKey;
    expect(rows[day]).toEqual({ spend: '0.000189', requests: '3' });
    expect(rows['lifetime']).toEqual({ spend: '0.000189', requests: '3' });
    // A second flush adds nothing (the amounts were taken once).
    await b.flusher.flushNow();
    expect((await tokenSpendRows(token.id))['lifetime']).toEqual({ spend: '0.000189', requests: '3' });
    const history = await a.spend.tokenHistory(adminA, token.id, { days: '3' });
    expect(history).toHaveLength(3);
    expect(history[2]).toEqual({ date: day, spend_usd: 0.000189, requests: 3 });
    expect(history[0].spend_usd).toBe(0);
  });

  it('loads a cold counter from its PostgreSQL base before admitting, and never counts the base twice', async () => {
    const token = await newToken();
    await a.dataSource.query(`INSERT INTO token_spend (token_id, period_key, spend_usd, requests) VALUES ($1, 'lifetime', 0.010000, 7)`, [
      token.id,
    ]);
    await a.spend.putTokenCap(adminA, token.id, { period: 'lifetime', limit_usd: 0.0105 });
    // 0.0100 already spent + 0.001003 estimate > 0.0105.
    const refused = await outcome(Promise.resolve(a.stage.run(chat(token))));
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).details).toMatchObject({ scope: 'token', period: 'lifetime', current_usd: 0.01 });
    // A small request fits: 1 prompt token + 10 output tokens ≈ 102.5 µ$.
    const small = chat(token, { max_tokens: 10 });
    await a.stage.run(small);
    expect(small.clientHeaders['x-ailink-budget-remaining-lifetime']).toBe('0.0003');
    await a.hook.complete(answered(small));
    await a.flusher.flushNow();
    expect((await tokenSpendRows(token.id))['lifetime']).toEqual({ spend: '0.010063', requests: '8' });
    expect((await a.spend.tokenStatus(adminA, token.id)).current_lifetime_usd).toBe(0.010063);
  });

  it('settles exactly once per request', async () => {
    const token = await newToken();
    await a.spend.putTokenCap(adminA, token.id, { period: 'monthly', limit_usd: 1 });
    const ctx = chat(token);
    await a.stage.run(ctx);
    answered(ctx);
    await a.hook.complete(ctx);
    await a.hook.complete(ctx);
    await b.hook.complete(ctx);
    const counters = [counterRef('token', token.id, 'monthly', new Date())];
    const again = await b.ledger.settle(orgA, ctx.requestId, counters, { owner: `${ctx.requestId}:0`, amountMicros: 1003 }, 63);
    expect(again).toEqual({ status: 'duplicate' });
    expect((await a.store.spendRead([counters[0].key]))[0]).toMatchObject({ spentMicros: 63, reservedMicros: 0, requests: 1 });
  });

  it('releases the reservation at cost 0 when no upstream status arrived', async () => {
    const token = await newToken();
    await a.spend.putTokenCap(adminA, token.id, { period: 'daily', limit_usd: 1 });
    const ctx = chat(token);
    await a.stage.run(ctx);
    const daily = counterRef('token', token.id, 'daily', new Date());
    expect((await a.store.spendRead([daily.key]))[0].reservedMicros).toBe(1003);
    ctx.status = 502; // e.g. the credential stage failed: nothing reached the upstream
    await a.hook.complete(ctx);
    expect(ctx.costUsd).toBe(0);
    expect((await a.store.spendRead([daily.key]))[0]).toMatchObject({ spentMicros: 0, reservedMicros: 0, requests: 1 });
  });

  it('bills cached prompt tokens at the cached price; test hooks override cost and tokens', async () => {
    const token = await newToken();
    const cached = chat(token);
    await a.stage.run(cached);
    await a.hook.complete(
      answered(cached, {
        prompt_tokens: 10_000,
        completion_tokens: 1000,
        total_tokens: 11_000,
        prompt_tokens_details: { cached_tokens: 8000 },
      }),
    );
    // 2000 × 2.50 + 8000 × 1.25 + 1000 × 10 per million.
    expect(cached.costUsd).toBe(0.025);
    const forced = chat(token, {}, { 'x-ailink-test-cost': '0.5' });
    await a.stage.run(forced);
    await a.hook.complete(answered(forced));
    expect(forced.costUsd).toBe(0.5);
    const tokens = chat(token, {}, { 'x-ailink-test-tokens': '1000,1000' });
    await a.stage.run(tokens);
    await a.hook.complete(answered(tokens));
    expect(tokens.costUsd).toBe(0.0125);
    // No usage reported: the prompt estimate plus ⌈19 output characters / 4⌉ = 5 tokens.
    const noUsage = chat(token);
    await a.stage.run(noUsage);
    await a.hook.complete(answered(noUsage, null));
    expect(noUsage.costUsd).toBe(0.000053);
    const unpriced = chat(token, { model: 'my-private-model' });
    await a.stage.run(unpriced);
    await a.hook.complete(answered(unpriced));
    expect(unpriced).toMatchObject({ costUsd: 0, pricingMissing: true });
  });

  it('refuses an unpriced model under a cap (pricing_missing); a request naming no model passes', async () => {
    const token = await newToken();
    await a.spend.putTokenCap(adminA, token.id, { period: 'daily', limit_usd: 10 });
    const refused = await outcome(Promise.resolve(a.stage.run(chat(token, { model: 'my-private-model' }))));
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe('spend_cap_reached');
    expect((refused as GatewayError).details).toMatchObject({ reason: 'pricing_missing', scope: 'token', period: 'daily' });
    const models = new ProxyContext('req_' + 'c'.repeat(32), 'GET', '/v1/models', {}, '127.0.0.1', '/v1/models');
    models.token = proxyToken(token);
    expect(await outcome(Promise.resolve(a.stage.run(models)))).toBe('ok');
  });

  it('applies a project hard cap to every token of the project; writes reach the other instance', async () => {
    const token = await newToken();
    const budget = await a.spend.putBudget(adminA, projectA, { warn_threshold_usd: '1', hard_cap_usd: 0, reset_period: 'weekly' });
    expect(budget).toMatchObject({
      project_id: projectA,
      hard_cap_usd: '0.000000',
      reset_period: 'weekly',
      period_key: expect.stringMatching(/^\d{4}-W\d{2}$/),
    });
    await waitFor(async () => (await outcome(Promise.resolve(b.stage.run(chat(token))))) !== 'ok');
    const refused = (await outcome(Promise.resolve(b.stage.run(chat(token))))) as GatewayError;
    expect(refused.details).toMatchObject({ scope: 'project', period: 'weekly', limit_usd: 0 });
    await a.spend.putBudget(adminA, projectA, { warn_threshold_usd: null, hard_cap_usd: 100, reset_period: 'weekly' });
    await waitFor(async () => (await outcome(Promise.resolve(b.stage.run(chat(token))))) === 'ok');
    const ctx = chat(token);
    await b.stage.run(ctx);
    expect(ctx.clientHeaders['x-ailink-budget-remaining-project']).toMatch(/^99\.\d{4}$/);
    await b.hook.complete(answered(ctx));
    await a.spend.deleteBudget(adminA, projectA);
    await expect(a.spend.getBudget(adminA, projectA)).rejects.toMatchObject({ code: 'not_found' });
    await expect(a.spend.putBudget(adminB, projectA, { reset_period: 'daily' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('an organisation override is used by the other instance within a second, and only for that organisation', async () => {
    const result = await a.pricing.put(adminA, {
      provider: 'openai',
      model_pattern: 'gpt-4o*',
      input_per_m: '1.00',
      output_per_m: 2,
      cached_input_per_m: null,
    });
    expect(result).toEqual({ success: true, id: expect.any(String) });
    const started = Date.now();
    await waitFor(async () => (await b.pricing.lookup(orgA, ['openai'], 'gpt-4o'))?.inputPerM === 1_000_000, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await b.pricing.lookup(orgB, ['openai'], 'gpt-4o')).toMatchObject({ override: false, inputPerM: 2_500_000 });
    // More specific built-in rows still win over the broader override.
    expect(await b.pricing.lookup(orgA, ['openai'], 'gpt-4o-mini')).toMatchObject({ override: false, pattern: 'gpt-4o-mini*' });
    await a.pricing.remove(adminA, result.id);
    await waitFor(async () => (await b.pricing.lookup(orgA, ['openai'], 'gpt-4o'))?.inputPerM === 2_500_000, 1000);
    await expect(a.pricing.remove(adminB, result.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  describe('sessions (X-Session-Id)', () => {
    it('creates the session at its first request, keeps its totals, and flushes them', async () => {
      const token = await newToken();
      const sid = `run:${randomUUID()}`;
      const first = chat(token, {}, { 'x-session-id': sid, 'x-properties': JSON.stringify({ ticket: 'T-1' }) });
      await a.stage.run(first);
      const [row] = await a.dataSource.query(`SELECT status, token_id, metadata FROM sessions WHERE project_id = $1 AND session_id = $2`, [
        projectA,
        sid,
      ]);
      expect(row).toEqual({ status: 'active', token_id: token.id, metadata: { ticket: 'T-1' } });
      await a.hook.complete(answered(first));
      const second = chat(token, {}, { 'x-session-id': sid });
      await b.stage.run(second);
      await b.hook.complete(answered(second));
      await a.ledger.applyPending();
      await b.ledger.applyPending();
      const entity = await b.sessions.entity(adminA, sid, { project_id: projectA });
      expect(entity).toMatchObject({
        session_id: sid,
        project_id: projectA,
        status: 'active',
        total_cost_usd: '0.000126',
        total_requests: 2,
        spend_cap_usd: null,
      });
      await a.flusher.flushNow();
      await b.flusher.flushNow();
      const [flushed] = await a.dataSource.query(
        `SELECT total_cost_usd, total_requests::int AS requests, total_tokens::int AS tokens FROM sessions WHERE project_id = $1 AND session_id = $2`,
        [projectA, sid],
      );
      expect(flushed).toEqual({ total_cost_usd: '0.000126', requests: 2, tokens: 26 });
    });

    it('pause refuses further requests on every instance (403 policy_denied); resume admits; completed is terminal', async () => {
      const token = await newToken();
      const sid = `pause-${randomUUID()}`;
      await a.stage.run(chat(token, {}, { 'x-session-id': sid }));
      await b.stage.run(chat(token, {}, { 'x-session-id': sid })); // b caches it as active
      const paused = await a.sessions.setStatus(adminA, sid, { project_id: projectA }, { status: 'paused' });
      expect(paused.status).toBe('paused');
      await waitFor(async () => (await outcome(Promise.resolve(b.stage.run(chat(token, {}, { 'x-session-id': sid }))))) !== 'ok', 1000);
      const refused = (await outcome(Promise.resolve(b.stage.run(chat(token, {}, { 'x-session-id': sid }))))) as GatewayError;
      expect(refused.code).toBe('policy_denied');
      expect(refused.details).toEqual({ reason: 'session_paused' });
      await a.sessions.setStatus(adminA, sid, { project_id: projectA }, { status: 'active' });
      await waitFor(async () => (await outcome(Promise.resolve(b.stage.run(chat(token, {}, { 'x-session-id': sid }))))) === 'ok', 1000);
      const completed = await a.sessions.setStatus(adminA, sid, { project_id: projectA }, { status: 'completed' });
      expect(completed.completed_at).not.toBeNull();
      await waitFor(async () => (await outcome(Promise.resolve(b.stage.run(chat(token, {}, { 'x-session-id': sid }))))) !== 'ok', 1000);
      expect(((await outcome(Promise.resolve(b.stage.run(chat(token, {}, { 'x-session-id': sid }))))) as GatewayError).details).toEqual({
        reason: 'session_completed',
      });
      await expect(a.sessions.setStatus(adminA, sid, { project_id: projectA }, { status: 'active' })).rejects.toMatchObject({
        code: 'validation_error',
      });
      await expect(a.sessions.setStatus(adminA, sid, { project_id: projectA }, { status: 'done' })).rejects.toMatchObject({
        code: 'validation_error',
      });
      await expect(a.sessions.entity(adminB, sid, { project_id: projectA })).rejects.toMatchObject({ code: 'not_found' });
      await expect(a.sessions.entity(adminA, 'never-seen', { project_id: projectA })).rejects.toMatchObject({ code: 'not_found' });
    });

    it('a session spend cap takes part in the reservation', async () => {
      const token = await newToken();
      const sid = `capped-${randomUUID()}`;
      await a.stage.run(chat(token, {}, { 'x-session-id': sid }));
      const capped = await a.sessions.setSpendCap(adminA, sid, { project_id: projectA }, { spend_cap_usd: '0.0015' });
      expect(capped.spend_cap_usd).toBe('0.001500');
      await waitFor(async () => {
        const ctx = chat(token, {}, { 'x-session-id': sid });
        const result = await outcome(Promise.resolve(b.stage.run(ctx)));
        if (result === 'ok') await b.hook.complete(ctx);
        return result !== 'ok' || ctx.clientHeaders['x-ailink-budget-remaining-daily'] === undefined;
      }, 1000);
      // One request of 0.001003 fits, the second does not while the first is in flight.
      const one = chat(token, {}, { 'x-session-id': sid });
      const two = chat(token, {}, { 'x-session-id': sid });
      expect(await outcome(Promise.resolve(b.stage.run(one)))).toBe('ok');
      const refused = (await outcome(Promise.resolve(b.stage.run(two)))) as GatewayError;
      expect(refused.code).toBe('spend_cap_reached');
      expect(refused.message).toBe('Session spend cap of $0.0015 reached');
      expect(refused.details).toMatchObject({ scope: 'session', period: 'lifetime', limit_usd: 0.0015 });
      await b.hook.complete(answered(one));
      await a.sessions.setSpendCap(adminA, sid, { project_id: projectA }, { spend_cap_usd: null });
      await waitFor(async () => (await outcome(Promise.resolve(b.stage.run(chat(token, {}, { 'x-session-id': sid }))))) === 'ok', 1000);
      await expect(a.sessions.setSpendCap(adminA, sid, { project_id: projectA }, { spend_cap_usd: -1 })).rejects.toMatchObject({
        code: 'validation_error',
      });
    });

    it('refuses an X-Session-Id over 128 characters with 400 invalid_request', async () => {
      const token = await newToken();
      const refused = (await outcome(Promise.resolve(a.stage.run(chat(token, {}, { 'x-session-id': 'x'.repeat(129) }))))) as GatewayError;
      expect(refused.code).toBe('invalid_request');
    });
  });

  it('applies a team budget per budget_duration; its base is the sum of the team_spend days; identity’s invalidations reach it', async () => {
    const teamId = randomUUID();
    await a.dataSource.query(`INSERT INTO teams (id, org_id, name, max_budget_usd, budget_duration) VALUES ($1, $2, $3, 0.0015, NULL)`, [
      teamId,
      orgA,
      `spend-int ${teamId}`,
    ]);
    const today = new Date().toISOString().slice(0, 10);
    await a.dataSource.query(`INSERT INTO team_spend (team_id, period, total_spend_usd, total_requests) VALUES ($1, $2, 0.0010, 4)`, [
      teamId,
      today,
    ]);
    const token = { ...(await newToken()), teamId };
    // Monthly by default: 0.0010 spent this month + 0.001003 estimate > 0.0015.
    const refused = (await outcome(Promise.resolve(b.stage.run(chat(token))))) as GatewayError;
    expect(refused.code).toBe('spend_cap_reached');
    expect(refused.message).toBe('Monthly team spend cap of $0.0015 reached');
    expect(refused.details).toMatchObject({ scope: 'team', period: 'monthly', limit_usd: 0.0015, current_usd: 0.001 });

    // The identity feature raises the budget and invalidates its `team` entry: our cache follows.
    await a.dataSource.query(`UPDATE teams SET max_budget_usd = 1 WHERE id = $1`, [teamId]);
    await a.app.get(CacheInvalidationBus).publish({ kind: 'team', id: teamId, project_id: null });
    await waitFor(async () => (await outcome(Promise.resolve(b.stage.run(chat(token))))) === 'ok', 1000);
    const ctx = chat(token);
    await b.stage.run(ctx);
    expect(ctx.clientHeaders['x-ailink-budget-remaining-team']).toMatch(/^0\.99\d{2}$/);
    await b.hook.complete(answered(ctx));
    await b.flusher.flushNow();
    const [row] = await a.dataSource.query(
      `SELECT total_spend_usd, total_requests::int AS requests, total_tokens_used::int AS tokens FROM team_spend WHERE team_id = $1 AND period = $2`,
      [teamId, today],
    );
    // 0.0010 + 0.000063 (team_spend keeps 4 decimals); every admitted request counted.
    expect(row).toEqual({ total_spend_usd: '0.0011', requests: expect.any(Number), tokens: 13 });
    expect(row.requests).toBeGreaterThanOrEqual(5);
  });

  describe('events', () => {
    const seen: GatewayEvent[] = [];
    let off: () => void;
    beforeAll(() => {
      off = a.app.get(EventBus).subscribe((event) => void seen.push(event), { types: ['spend_cap_exceeded', 'budget_warning'] });
    });
    afterAll(() => off());
    const of = (type: string, tokenOrProject: string) =>
      seen.filter((e) => e.event_type === type && (e.token_id === tokenOrProject || e.project_id === tokenOrProject));

    it('spend_cap_exceeded: once per token, scope and period per minute on an instance, with suppressed_count', async () => {
      const token = await newToken();
      await a.spend.putTokenCap(adminA, token.id, { period: 'daily', limit_usd: '0.001' });
      for (let i = 0; i < 5; i++) await outcome(Promise.resolve(a.stage.run(chat(token))));
      await outcome(Promise.resolve(b.stage.run(chat(token))));
      await waitFor(async () => of('spend_cap_exceeded', token.id).length === 2, 2000);
      await new Promise((r) => setTimeout(r, 100));
      const events = of('spend_cap_exceeded', token.id);
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({
        project_id: projectA,
        token_id: token.id,
        details: { scope: 'token', period: 'daily', limit_usd: 0.001, current_usd: 0, reason: 'spend_cap_reached', suppressed_count: 0 },
      });
    });

    it('budget_warning: once, when settled spend first crosses AILINK_BUDGET_WARN_RATIO of a cap', async () => {
      const token = await newToken();
      await a.spend.putTokenCap(adminA, token.id, { period: 'daily', limit_usd: 1 });
      for (const cost of ['0.5', '0.35', '0.1']) {
        const ctx = chat(token, {}, { 'x-ailink-test-cost': cost });
        await a.stage.run(ctx);
        await a.hook.complete(answered(ctx));
      }
      await waitFor(async () => of('budget_warning', token.id).length > 0, 2000);
      await new Promise((r) => setTimeout(r, 100));
      expect(of('budget_warning', token.id)).toEqual([
        expect.objectContaining({
          token_id: token.id,
          details: { scope: 'token', period: 'daily', limit_usd: 1, current_usd: 0.85, ratio: 0.85 },
        }),
      ]);
    });

    it("budget_warning for a project's warn_threshold_usd, also for tokens without caps (batched spend)", async () => {
      const token = await newToken(projectB);
      await a.spend.putBudget(adminB, projectB, { warn_threshold_usd: '0.5', reset_period: 'daily' });
      await waitFor(async () => {
        const ctx = chat(token);
        await b.stage.run(ctx);
        return b.app.get(SpendTracker).get(ctx)?.watches.length === 1;
      }, 1000);
      const ctx = chat(token, {}, { 'x-ailink-test-cost': '0.6' });
      await b.stage.run(ctx);
      await b.hook.complete(answered(ctx));
      await b.ledger.applyPending();
      await waitFor(async () => of('budget_warning', projectB).length > 0, 2000);
      expect(of('budget_warning', projectB)[0]).toMatchObject({
        project_id: projectB,
        details: { scope: 'project', period: 'daily', limit_usd: 0.5, current_usd: 0.6, ratio: 1.2 },
      });
      await a.spend.deleteBudget(adminB, projectB);
    });
  });

  it('validates caps: 422 for a bad period or a limit ≤ 0, 400 for a wrong type, 404 for another organisation’s token', async () => {
    const token = await newToken();
    await expect(a.spend.putTokenCap(adminA, token.id, { period: 'weekly', limit_usd: 1 })).rejects.toMatchObject({
      code: 'validation_error',
    });
    await expect(a.spend.putTokenCap(adminA, token.id, { period: 'daily', limit_usd: 0 })).rejects.toMatchObject({
      code: 'validation_error',
    });
    await expect(a.spend.putTokenCap(adminA, token.id, { period: 'daily', limit_usd: -3 })).rejects.toMatchObject({
      code: 'validation_error',
    });
    await expect(a.spend.putTokenCap(adminA, token.id, { period: 'daily', limit_usd: 'lots' })).rejects.toMatchObject({
      code: 'bad_request',
    });
    await expect(a.spend.putTokenCap(adminB, token.id, { period: 'daily', limit_usd: 1 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(a.spend.tokenStatus(adminA, 'tok_' + '0'.repeat(24))).rejects.toMatchObject({ code: 'not_found' });
    await a.spend.putTokenCap(adminA, token.secret, { period: 'daily', limit_usd: '2.5' });
    expect((await a.spend.tokenStatus(adminA, token.id)).daily_limit_usd).toBe(2.5);
    await a.spend.deleteTokenCap(adminA, token.secret, 'daily');
    expect((await a.spend.tokenStatus(adminA, token.id)).daily_limit_usd).toBeNull();
  });
});

describe('spend with Redis unreachable', () => {
  const keyPrefix = `spendint${randomUUID().slice(0, 8)}:`;
  const proxy = new TcpProxy('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379));
  let closed: Instance;
  let open: Instance;
  const org = randomUUID();
  const project = randomUUID();
  const admin: Principal = { orgId: org, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key' };
  let capped: TestToken;
  let uncapped: TestToken;

  async function insertToken(): Promise<TestToken> {
    const secret = `ailink_v1_${project.slice(0, 8)}_tok_${randomBytes(16).toString('hex')}`;
    const hash = createHash('sha256').update(secret).digest('hex');
    const id = 'tok_' + hash.slice(0, 24);
    await closed.dataSource.query(
      `INSERT INTO tokens (id, secret_sha256, last4, project_id, name, upstream_url) VALUES ($1, $2, $3, $4, 'spend-int', 'http://127.0.0.1:9/v1')`,
      [id, hash, secret.slice(-4), project],
    );
    return { id, secret, projectId: project };
  }

  beforeAll(async () => {
    const port = await proxy.start();
    const url = `redis://127.0.0.1:${port}`;
    closed = await startInstance(keyPrefix, { REDIS_URL: url });
    open = await startInstance(keyPrefix, { REDIS_URL: url, AILINK_SPEND_FAIL_MODE: 'open' });
    await closed.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, 'spend-int down')`, [org]);
    await closed.dataSource.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'p')`, [project, org]);
    capped = await insertToken();
    uncapped = await insertToken();
    await closed.spend.putTokenCap(admin, capped.id, { period: 'daily', limit_usd: 5 });
    // Warm the caches while Redis answers.
    for (const instance of [closed, open]) {
      await instance.stage.run(chat(capped));
      await instance.stage.run(chat(uncapped));
    }
  });

  afterAll(async () => {
    proxy.resume();
    await closed?.dataSource.query(`DELETE FROM organizations WHERE id = $1`, [org]);
    await closed?.app.close();
    await open?.app.close();
    await proxy.stop();
    await deleteRedisPrefix(keyPrefix);
  });

  it('fail mode closed: 503 dependency_unavailable for a capped token; a token without caps proceeds and its spend reaches PostgreSQL', async () => {
    proxy.pause();
    const refused = await outcome(Promise.resolve(closed.stage.run(chat(capped))));
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe('dependency_unavailable');
    const ctx = chat(uncapped);
    await closed.stage.run(ctx);
    await closed.hook.complete(answered(ctx));
    await closed.flusher.flushNow();
    const rows: { spend_usd: string; requests: string }[] = await closed.dataSource.query(
      `SELECT spend_usd, requests FROM token_spend WHERE token_id = $1 AND period_key = 'lifetime'`,
      [uncapped.id],
    );
    expect(rows).toEqual([{ spend_usd: '0.000063', requests: '1' }]);
  });

  it('fail mode open: the capped request proceeds with a warning', async () => {
    proxy.pause();
    const ctx = chat(capped);
    await open.stage.run(ctx);
    expect(ctx.warnings).toContain('spend cap not enforced');
    expect(ctx.clientHeaders).toEqual({});
  });
});
