import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { AppConfig, ErrorCode, GatewayError } from '@ailink/gateway-core';
import { ProxyContext, type ProxyToken } from '@ailink/gateway-proxy';
import { VaultService } from '@ailink/gateway-vault';
import type { CredentialStore, ResolvedCredential } from './credential.store';
import { InjectCredentialStage, injectSecret } from './inject-credential.stage';

const PROJECT = '00000000-0000-0000-0000-000000000001';
const ID = '11111111-2222-4333-8444-555555555555';
const SECRET = 'sk-test-Secret/With+Chars=&?';

function vaultFor(current: Buffer, previous?: Buffer): VaultService {
  return new VaultService({ masterKey: current, masterKeyPrevious: previous } as unknown as AppConfig, pino({ level: 'silent' }));
}

function context(headers: Record<string, string> = {}): ProxyContext {
  return new ProxyContext('req_test', 'POST', '/v1/chat/completions', headers, '127.0.0.1', '/v1/chat/completions');
}

/** A CredentialStore stand-in: rows by id; `reload` can return a fresher row. */
class FakeStore {
  rows = new Map<string, ResolvedCredential>();
  fresh = new Map<string, ResolvedCredential>();
  reloads = 0;
  async get(id: string) {
    return this.rows.get(id) ?? null;
  }
  async reload(id: string) {
    this.reloads++;
    const row = this.fresh.get(id) ?? this.rows.get(id) ?? null;
    if (row) this.rows.set(id, row);
    return row;
  }
}

function credential(vault: VaultService, overrides: Partial<ResolvedCredential> = {}, secret = SECRET): ResolvedCredential {
  return {
    id: ID,
    projectId: PROJECT,
    name: 'test',
    provider: 'openai',
    mode: 'bearer',
    header: 'Authorization',
    isActive: true,
    version: 1,
    sealed: vault.seal(Buffer.from(secret)),
    ...overrides,
  };
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  expect((error as GatewayError).code).toBe(code);
  return error as GatewayError;
}

describe('InjectCredentialStage', () => {
  const key = randomBytes(32);
  const vault = vaultFor(key);
  let store: FakeStore;
  let stage: InjectCredentialStage;

  beforeEach(() => {
    store = new FakeStore();
    stage = new InjectCredentialStage(store as unknown as CredentialStore, vault);
  });

  it('is named inject-credential', () => {
    expect(stage.name).toBe('inject-credential');
  });

  it.each([
    ['bearer', 'Authorization', { authorization: `Bearer ${SECRET}` }],
    ['bearer', 'X-Proxy-Auth', { 'x-proxy-auth': `Bearer ${SECRET}` }],
    ['basic', 'Authorization', { authorization: `Basic ${Buffer.from(SECRET).toString('base64')}` }],
    ['header', 'x-api-key', { 'x-api-key': SECRET }],
    ['header', 'X-Goog-Api-Key', { 'x-goog-api-key': SECRET }],
  ] as const)('%s mode with header %s', async (mode, header, expected) => {
    store.rows.set(ID, credential(vault, { mode, header }));
    const ctx = context();
    ctx.credentialId = ID;
    await stage.run(ctx);
    expect(ctx.upstreamHeaders).toEqual(expected);
    expect(ctx.upstreamQuery).toEqual([]);
  });

  it('basic mode encodes user:password', async () => {
    store.rows.set(ID, credential(vault, { mode: 'basic', header: 'Authorization' }, 'alice:s3cr3t'));
    const ctx = context();
    ctx.credentialId = ID;
    await stage.run(ctx);
    expect(ctx.upstreamHeaders['authorization']).toBe('Basic YWxpY2U6czNjcjN0');
  });

  it('query mode appends the parameter (default `key`, or the configured name)', async () => {
    store.rows.set(ID, credential(vault, { mode: 'query', header: 'key' }));
    const ctx = context();
    ctx.credentialId = ID;
    await stage.run(ctx);
    expect(ctx.upstreamQuery).toEqual([['key', SECRET]]);
    expect(ctx.upstreamHeaders).toEqual({});

    store.rows.set(ID, credential(vault, { mode: 'query', header: 'api_key' }));
    const other = context();
    other.credentialId = ID;
    await stage.run(other);
    expect(other.upstreamQuery).toEqual([['api_key', SECRET]]);
  });

  it('zeroes the decrypted buffer after writing it', async () => {
    store.rows.set(ID, credential(vault));
    const opened: Buffer[] = [];
    const open = vault.open.bind(vault);
    const spy = jest.spyOn(vault, 'open').mockImplementation((sealed) => {
      const buffer = open(sealed);
      opened.push(buffer);
      return buffer;
    });
    try {
      const ctx = context();
      ctx.credentialId = ID;
      await stage.run(ctx);
      expect(ctx.upstreamHeaders['authorization']).toBe(`Bearer ${SECRET}`);
    } finally {
      spy.mockRestore();
    }
    expect(opened).toHaveLength(1);
    expect(opened[0].every((b) => b === 0)).toBe(true);
  });

  it('answers 502 credential_missing for an unknown, deleted or inactive credential', async () => {
    const ctx = context();
    ctx.credentialId = ID;
    await expectCode(stage.run(ctx), ErrorCode.CredentialMissing);
    store.rows.set(ID, credential(vault, { isActive: false }));
    const error = await expectCode(stage.run(ctx), ErrorCode.CredentialMissing);
    expect(error.message).not.toContain(SECRET);
    expect(ctx.upstreamHeaders).toEqual({});
  });

  it("answers 502 credential_missing for another project's credential", async () => {
    store.rows.set(ID, credential(vault, { projectId: '99999999-0000-4000-8000-000000000000' }));
    const ctx = context();
    ctx.token = { id: 'tok_x', projectId: PROJECT } as ProxyToken;
    ctx.credentialId = ID;
    await expectCode(stage.run(ctx), ErrorCode.CredentialMissing);
  });

  it('answers 422 invalid_config for a sigv4 credential (SigV4 signing is not available yet)', async () => {
    store.rows.set(ID, credential(vault, { mode: 'sigv4', header: null }));
    const ctx = context();
    ctx.credentialId = ID;
    const error = await expectCode(stage.run(ctx), ErrorCode.InvalidConfig);
    expect(error.message).toMatch(/SigV4 signing is not available yet/);
    expect(ctx.upstreamHeaders).toEqual({});
  });

  it('reloads once from PostgreSQL when the cached kek_id is unknown, then succeeds', async () => {
    const oldKey = randomBytes(32);
    store.rows.set(ID, credential(vaultFor(oldKey)));
    store.fresh.set(ID, credential(vault));
    const ctx = context();
    ctx.credentialId = ID;
    await stage.run(ctx);
    expect(store.reloads).toBe(1);
    expect(ctx.upstreamHeaders['authorization']).toBe(`Bearer ${SECRET}`);
  });

  it('answers 500 internal_server_error when the key is still unknown after the reload', async () => {
    store.rows.set(ID, credential(vaultFor(randomBytes(32))));
    const ctx = context();
    ctx.credentialId = ID;
    const error = await expectCode(stage.run(ctx), ErrorCode.InternalServerError);
    expect(error.message).toBe('Secret could not be decrypted');
    expect(store.reloads).toBe(1);
  });

  it('answers 500 for tampered ciphertext', async () => {
    const row = credential(vault);
    const encryptedSecret = Buffer.from(row.sealed.encryptedSecret);
    encryptedSecret[0] ^= 1;
    store.rows.set(ID, { ...row, sealed: { ...row.sealed, encryptedSecret } });
    const ctx = context();
    ctx.credentialId = ID;
    await expectCode(stage.run(ctx), ErrorCode.InternalServerError);
    expect(ctx.upstreamHeaders).toEqual({});
  });

  describe('passthrough (no credential)', () => {
    it('X-Real-Authorization becomes authorization', async () => {
      const ctx = context({ 'x-real-authorization': 'Bearer client-key' });
      ctx.credentialId = null;
      await stage.run(ctx);
      expect(ctx.upstreamHeaders).toEqual({ authorization: 'Bearer client-key' });
    });

    it('X-Upstream-Authorization becomes authorization', async () => {
      const ctx = context({ 'x-upstream-authorization': 'Bearer other' });
      ctx.credentialId = null;
      await stage.run(ctx);
      expect(ctx.upstreamHeaders).toEqual({ authorization: 'Bearer other' });
    });

    it('X-Real-Authorization wins over X-Upstream-Authorization', async () => {
      const ctx = context({ 'x-real-authorization': 'Bearer a', 'x-upstream-authorization': 'Bearer b' });
      ctx.credentialId = null;
      await stage.run(ctx);
      expect(ctx.upstreamHeaders).toEqual({ authorization: 'Bearer a' });
    });

    it('sends no auth without either header', async () => {
      const ctx = context({ authorization: 'Bearer ailink_v1_x' });
      ctx.credentialId = null;
      await stage.run(ctx);
      expect(ctx.upstreamHeaders).toEqual({});
      const undecided = context();
      await stage.run(undecided);
      expect(undecided.upstreamHeaders).toEqual({});
    });
  });

  it('injectSecret refuses sigv4', () => {
    expect(() => injectSecret(context(), { mode: 'sigv4', header: null }, Buffer.from('x'))).toThrow(GatewayError);
  });
});
