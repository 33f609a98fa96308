import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

type Json = any;

const kekId = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex').slice(0, 16);

/**
 * Credentials and the master key against the built gateway. It runs on a database of its own: the
 * master keys here differ from the other suites', and a live credential sealed under a key a later
 * gateway does not hold would (rightly) stop that gateway at startup.
 */
describe('credentials and master-key rotation (built gateway)', () => {
  const KEY_A = randomBytes(32).toString('hex');
  const KEY_B = randomBytes(32).toString('hex');
  const secrets = [
    `sk-e2e-first-${randomBytes(12).toString('hex')}`,
    `sk-e2e-second-${randomBytes(12).toString('hex')}`,
    `sk-e2e-rotated-${randomBytes(12).toString('hex')}`,
  ];
  const bodies: string[] = [];
  const gateways: GatewayProcess[] = [];
  let scratch: { url: string; drop: () => Promise<void> };
  let gw: GatewayProcess;

  async function api(method: string, path: string, body?: unknown, target = gw): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${target.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-admin-key': target.adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function start(env: Record<string, string>, waitReady = true): Promise<GatewayProcess> {
    const started = await startGateway({ env: { DATABASE_URL: scratch.url, ...env }, waitReady });
    gateways.push(started);
    return started;
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase('ailink_e2e_cred');
    gw = await start({ AILINK_MASTER_KEY: KEY_A });
  });

  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await scratch?.drop();
  });

  let first: string;
  let second: string;

  it('creates credentials; list and get never contain the secret', async () => {
    const created = await api('POST', '/credentials', { name: 'openai-prod', provider: 'openai', secret: secrets[0] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'openai-prod', message: 'Credential encrypted and stored' });
    first = created.body.id;
    const other = await api('POST', '/credentials', { name: 'anthropic', provider: 'anthropic', secret: secrets[1] });
    expect(other.status).toBe(201);
    second = other.body.id;

    const list = await api('GET', '/credentials');
    expect(list.status).toBe(200);
    expect(list.body.map((c: Json) => c.name).sort()).toEqual(['anthropic', 'openai-prod']);
    for (const item of list.body) {
      expect(Object.keys(item).sort()).toEqual(
        [
          'created_at',
          'id',
          'injection_header',
          'injection_mode',
          'is_active',
          'last_rotated_at',
          'name',
          'provider',
          'rotation_enabled',
          'rotation_interval_secs',
          'updated_at',
          'version',
        ].sort(),
      );
    }
    const one = await api('GET', `/credentials/${second}`);
    expect(one.body).toMatchObject({ id: second, injection_mode: 'header', injection_header: 'x-api-key', version: 1 });
    expect((await api('POST', '/credentials', { name: 'anthropic', provider: 'anthropic', secret: 'x' })).status).toBe(409);
    expect((await api('POST', '/credentials', { name: 'bad', provider: 'openai', secret: 'x', injection_mode: 'magic' })).status).toBe(400);
  });

  it('rotates: version + 1 each time, with or without a new secret', async () => {
    const replaced = await api('POST', `/credentials/${first}/rotate`, { secret: secrets[2] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ id: first, version: 2, rotated_at: expect.stringMatching(/Z$/), message: expect.any(String) });
    const refreshed = await api('POST', `/credentials/${first}/rotate`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.version).toBe(3);
    expect((await api('GET', `/credentials/${first}`)).body).toMatchObject({ version: 3, last_rotated_at: refreshed.body.rotated_at });
  });

  it('deletes softly', async () => {
    expect(await api('DELETE', `/credentials/${second}`)).toEqual({ status: 200, body: { id: second, deleted: true } });
    expect((await api('GET', `/credentials/${second}`)).status).toBe(404);
    expect((await api('GET', '/credentials')).body.map((c: Json) => c.id)).toEqual([first]);
  });

  it('reports the master key; rotating without a previous key is 422', async () => {
    const status = await api('GET', '/system/master-key');
    expect(status.status).toBe(200);
    expect(status.body).toEqual({
      current_kek_id: kekId(KEY_A),
      previous_kek_id: null,
      active_kek_id: kekId(KEY_A),
      rows_by_kek_id: { [kekId(KEY_A)]: 2 },
      rewrap: { state: 'idle', rewrapped: 0, remaining: 0, started_at: null, finished_at: null, error: null },
    });
    const rotate = await api('POST', '/system/master-key/rotate');
    expect(rotate.status).toBe(422);
    expect(rotate.body.error).toMatchObject({ code: 'invalid_config', type: 'invalid_request_error' });
    expect(await gw.stop()).toBe(0);
  });

  it('refuses to start with a master key that does not open the stored credentials', async () => {
    const wrong = await start({ AILINK_MASTER_KEY: randomBytes(32).toString('hex') }, false);
    expect(await wrong.exited).toBe(1);
    expect(wrong.logs()).toMatch(
      /ailink: Invalid configuration: AILINK_MASTER_KEY does not match 1 stored secret\(s\) sealed under kek_id/,
    );
    expect(wrong.logs()).toContain(kekId(KEY_A));
  });

  it('re-wraps at startup under the new key (AILINK_MASTER_KEY_ROTATE_ON_START) and keeps working', async () => {
    gw = await start({ AILINK_MASTER_KEY: KEY_B, AILINK_MASTER_KEY_PREVIOUS: KEY_A, AILINK_MASTER_KEY_ROTATE_ON_START: 'true' });
    const deadline = Date.now() + 10000;
    let status: Json;
    for (;;) {
      status = (await api('GET', '/system/master-key')).body;
      if (status.rewrap.state === 'done' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatchObject({
      current_kek_id: kekId(KEY_B),
      previous_kek_id: kekId(KEY_A),
      active_kek_id: kekId(KEY_B),
      rows_by_kek_id: { [kekId(KEY_B)]: 2 },
      rewrap: { state: 'done', rewrapped: 2, remaining: 0, error: null },
    });
    // Safe to run again: a no-op.
    const again = await api('POST', '/system/master-key/rotate');
    expect(again.status).toBe(202);
    expect(again.body.rows_by_kek_id).toEqual({ [kekId(KEY_B)]: 2 });
    // The DEK refresh opens the secret with the new key.
    expect((await api('POST', `/credentials/${first}/rotate`)).body.version).toBe(4);
    expect(await gw.stop()).toBe(0);

    gw = await start({ AILINK_MASTER_KEY: KEY_B });
    expect((await api('POST', `/credentials/${first}/rotate`)).body.version).toBe(5);
  });

  it('never shows a secret in a response body or a log line', () => {
    const haystack = bodies.join('\n') + gateways.map((g) => g.logs()).join('\n');
    for (const value of secrets) expect(haystack).not.toContain(value);
    for (const key of [KEY_A, KEY_B]) expect(haystack).not.toContain(key);
  });
});

/** The embedded mode has one database connection: the re-wrap must not wait for a second one. */
describe('master-key rotation in the embedded mode', () => {
  const KEY_A = randomBytes(32).toString('hex');
  const KEY_B = randomBytes(32).toString('hex');
  const secret = `sk-embedded-${randomBytes(12).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'ailink-e2e-embedded-'));
  const gateways: GatewayProcess[] = [];
  const bodies: string[] = [];

  async function api(gw: GatewayProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${gw.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-admin-key': gw.adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function start(env: Record<string, string>): Promise<GatewayProcess> {
    const gw = await startGateway({ mode: 'embedded', env: { AILINK_DATA_DIR: dataDir, ...env } });
    gateways.push(gw);
    return gw;
  }

  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
  });

  it('rotates through the API while serving other requests', async () => {
    const a = await start({ AILINK_MASTER_KEY: KEY_A });
    const created = await api(a, 'POST', '/credentials', { name: 'embedded', provider: 'openai', secret });
    expect(created.status).toBe(201);
    expect(await a.stop()).toBe(0);

    const b = await start({ AILINK_MASTER_KEY: KEY_B, AILINK_MASTER_KEY_PREVIOUS: KEY_A });
    const rotate = await api(b, 'POST', '/system/master-key/rotate');
    expect(rotate.status).toBe(202);
    expect(rotate.body.rewrap.state).toBe('running');
    expect((await api(b, 'GET', '/credentials')).status).toBe(200);
    let status: Json;
    for (const deadline = Date.now() + 10000; ; await new Promise((r) => setTimeout(r, 100))) {
      status = (await api(b, 'GET', '/system/master-key')).body;
      if (status.rewrap.state !== 'running' || Date.now() > deadline) break;
    }
    expect(status).toMatchObject({ rows_by_kek_id: { [kekId(KEY_B)]: 1 }, rewrap: { state: 'done', rewrapped: 1 } });
    expect((await api(b, 'POST', `/credentials/${created.body.id}/rotate`)).body.version).toBe(2);

    const haystack = bodies.join('\n') + gateways.map((g) => g.logs()).join('\n');
    expect(haystack).not.toContain(secret);
  });
});
