import { AppConfig, GatewayError } from '@ailink/gateway-core';
import { ProxyContext, type ProxyRoute } from '@ailink/gateway-proxy';
import { CacheInvalidationBus, MemoryKeyValueStore, TieredCacheFactory } from '@ailink/gateway-redis';
import type { TokenEntity } from './entities/token.entity';
import { ResolveTokenStage } from './resolve-token.stage';
import { TokenCache } from './token-cache';
import { mintToken } from './token-secret';
import type { TokensRepository } from './tokens.repository';

const PROJECT = '00000000-0000-0000-0000-000000000001';

function row(minted: ReturnType<typeof mintToken>, overrides: Partial<TokenEntity> = {}): TokenEntity {
  return {
    id: minted.publicId,
    secretSha256: minted.secretSha256,
    last4: minted.last4,
    projectId: PROJECT,
    name: 'agent',
    credentialId: null,
    upstreamUrl: 'https://api.example.com',
    upstreams: [],
    policyIds: [],
    scopes: [],
    logLevel: 1,
    circuitBreaker: null,
    allowedModels: null,
    allowedModelGroupIds: [],
    teamId: null,
    tags: {},
    mcpAllowedTools: null,
    mcpBlockedTools: null,
    expiresAt: null,
    isActive: true,
    suspendedAt: null,
    suspendedReason: null,
    createdBy: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...overrides,
  };
}

function context(route: ProxyRoute, headers: Record<string, string>, url = '/v1/chat/completions'): ProxyContext {
  const ctx = new ProxyContext('req_' + '0'.repeat(32), 'POST', url.split('?')[0] ?? url, headers, '127.0.0.1', url);
  ctx.route = route;
  return ctx;
}

async function refusal(stage: ResolveTokenStage, ctx: ProxyContext): Promise<GatewayError> {
  const error = await Promise.resolve(stage.run(ctx)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('ResolveTokenStage (in-process store)', () => {
  const rows = new Map<string, TokenEntity>();
  let loads = 0;
  let stage: ResolveTokenStage;
  let cache: TokenCache;

  beforeEach(() => {
    rows.clear();
    loads = 0;
    const store = new MemoryKeyValueStore();
    const factory = new TieredCacheFactory(store, new CacheInvalidationBus(store));
    const repository = {
      findById: async (id: string) => {
        loads++;
        return rows.get(id) ?? null;
      },
    } as unknown as TokensRepository;
    const config = { l1MaxEntries: 100, l1TtlMs: 5000, l2TtlSecs: 300 } as AppConfig;
    cache = new TokenCache(factory, config, repository);
    stage = new ResolveTokenStage(cache);
  });

  it('is named resolve-token and sets ctx.token (upstreams, breaker defaults) and ctx.tokenCarrier', async () => {
    const minted = mintToken(PROJECT);
    rows.set(minted.publicId, row(minted, { tags: { team: 'a' }, logLevel: 2, policyIds: ['p1'] }));
    const ctx = context('catch_all', { authorization: `Bearer ${minted.secret}` });
    await stage.run(ctx);
    expect(stage.name).toBe('resolve-token');
    expect(ctx.tokenCarrier).toBe('authorization');
    expect(ctx.token).toEqual({
      id: minted.publicId,
      projectId: PROJECT,
      name: 'agent',
      credentialId: null,
      upstreams: [{ url: 'https://api.example.com', weight: 100, priority: 1 }],
      policyIds: ['p1'],
      logLevel: 2,
      circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
      tags: { team: 'a' },
      teamId: null,
      allowedModels: null,
      allowedModelGroupIds: [],
    });
  });

  it('reads the gemini key query parameter and records query:key as the carrier', async () => {
    const minted = mintToken(PROJECT);
    rows.set(minted.publicId, row(minted));
    const ctx = context('gemini', {}, `/gemini/v1beta/models/x:generateContent?key=${minted.secret}`);
    await stage.run(ctx);
    expect(ctx.tokenCarrier).toBe('query:key');
  });

  it('answers the same 401 for missing, malformed, tok_ ids, unknown, revoked, expired and hash-mismatched tokens', async () => {
    const revoked = mintToken(PROJECT);
    rows.set(revoked.publicId, row(revoked, { isActive: false }));
    const expired = mintToken(PROJECT);
    rows.set(expired.publicId, row(expired, { expiresAt: new Date(Date.now() - 1000) }));
    const mismatch = mintToken(PROJECT);
    rows.set(mismatch.publicId, row(mismatch, { secretSha256: 'f'.repeat(64) }));
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Bearer sk-123' },
      { authorization: `Bearer ${revoked.publicId}` },
      { authorization: `Bearer ${mintToken(PROJECT).secret}` },
      { authorization: `Bearer ${revoked.secret}` },
      { authorization: `Bearer ${expired.secret}` },
      { authorization: `Bearer ${mismatch.secret}` },
    ];
    for (const headers of cases) {
      const error = await refusal(stage, context('catch_all', headers));
      expect({ code: error.code, message: error.message, details: error.details, status: error.status }).toEqual({
        code: 'token_not_found',
        message: 'Invalid or expired virtual token',
        details: undefined,
        status: undefined,
      });
    }
  });

  it('answers 403 token_suspended for a suspended token', async () => {
    const minted = mintToken(PROJECT);
    rows.set(minted.publicId, row(minted, { suspendedAt: new Date(), suspendedReason: 'anomaly' }));
    const error = await refusal(stage, context('anthropic', { 'x-api-key': minted.secret }));
    expect(error.code).toBe('token_suspended');
  });

  it('caches unknown tokens negatively: repeated sprays reach the loader once per token', async () => {
    const spray = Array.from({ length: 50 }, () => mintToken(PROJECT).secret);
    for (let round = 0; round < 3; round++) {
      await Promise.all(spray.map((secret) => refusal(stage, context('catch_all', { authorization: `Bearer ${secret}` }))));
    }
    expect(loads).toBe(50);
  });

  it('sees a revocation after invalidate()', async () => {
    const minted = mintToken(PROJECT);
    rows.set(minted.publicId, row(minted));
    await stage.run(context('catch_all', { authorization: `Bearer ${minted.secret}` }));
    rows.set(minted.publicId, row(minted, { isActive: false }));
    await stage.run(context('catch_all', { authorization: `Bearer ${minted.secret}` })); // still cached
    await cache.invalidate(minted.publicId, PROJECT);
    expect((await refusal(stage, context('catch_all', { authorization: `Bearer ${minted.secret}` }))).code).toBe('token_not_found');
  });
});
