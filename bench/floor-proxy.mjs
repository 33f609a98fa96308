// The floor of the gateway lane: the per-request work the contract requires of a proxied call with a
// token at the default log level, hand-written with no framework, no stages and no options, so it can
// only be cheaper than any real gateway doing the same work. Used to tell how much of the distance
// between the gateway and the bare proxy is the required work itself (docs/benchmarks.md).
//
// Per request: read the body; SHA-256 of the bearer token and an in-memory lookup; the envelope
// decryption of the credential (unwrap the data key under the master key, then the secret: two
// AES-256-GCM decryptions); parse the JSON body; forward through an undici keep-alive pool with the
// real key injected; buffer and parse the response for usage and cost; answer with the upstream's
// headers plus the gateway's own; build the audit record with both bodies scrubbed of e-mail
// addresses, card numbers and keys, their SHA-256 digests and the hash-chain link (SHA-256 over the
// previous hash and the record's JSON); add the cost to in-memory spend counters. Audit records are
// written to PostgreSQL every 200 ms in one multi-row INSERT.
//
// With a Redis URL as fourth argument it is the floor of the governed lane as well: the three bench
// policies evaluated in line (a method/path rule, a body-field rule), then one Lua call that checks
// and records the sliding-window rate limit and reserves the estimated cost against the monthly cap,
// and after the response one Lua call that settles the reservation. That is one Redis round trip
// fewer than the gateway makes (it checks the rate limit and reserves in separate calls).
//
// Usage: node bench/floor-proxy.mjs <port> <upstream-origin> <database-url> [redis-url]
// Prints `READY <port>` and the bearer token to use as `TOKEN <token>`.
import crypto, { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Redis from 'ioredis';
import pg from 'pg';
import { Pool } from 'undici';

const port = Number(process.argv[2] ?? 0);
const upstream = process.argv[3];
const validUrl = (value, protocols) => {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
};
if (
  !Number.isInteger(port) ||
  port < 0 ||
  port > 65535 ||
  !validUrl(upstream, ['http:', 'https:']) ||
  !validUrl(process.argv[4], ['postgres:', 'postgresql:']) ||
  (process.argv[5] !== undefined && !validUrl(process.argv[5], ['redis:', 'rediss:']))
) {
  process.stderr.write('usage: node bench/floor-proxy.mjs <port 0-65535> <upstream http(s) origin> <postgres:// url> [redis:// url]\n');
  process.exit(2);
}
const db = new pg.Pool({ connectionString: process.argv[4], max: 2 });
const pool = new Pool(upstream, { connections: 256, keepAliveTimeout: 30_000 });
const redis = process.argv[5] ? new Redis(process.argv[5], { enableAutoPipelining: true }) : undefined;
const keyPrefix = `floor${randomBytes(3).toString('hex')}:`;
// KEYS: rate-limit log, spend counter, reservations. ARGV: now ms, window ms, max requests, member,
// estimate (micro-USD), cap (micro-USD), reservation ttl ms. Returns 0 admitted, 1 rate-limited, 2 over the cap.
redis?.defineCommand('floorAdmit', {
  numberOfKeys: 3,
  lua: `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
local spent = tonumber(redis.call('HGET', KEYS[2], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[2], 'reserved') or '0')
if spent + reserved + tonumber(ARGV[5]) > tonumber(ARGV[6]) then return 2 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], 'reserved', ARGV[5])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[7]), ARGV[4])
return 0`,
});
// KEYS: spend counter, reservations. ARGV: member, estimate, cost (micro-USD).
redis?.defineCommand('floorSettle', {
  numberOfKeys: 2,
  lua: `
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[2])) end
redis.call('HINCRBY', KEYS[1], 'spent', ARGV[3])
return 0`,
});

// One-shot digest where Node has it (≥ 20.12), as the gateway does.
const sha256 = crypto.hash ? (data) => crypto.hash('sha256', data, 'hex') : (data) => createHash('sha256').update(data).digest('hex');
/** The whole response body, collected from its 'data' events (cheaper than async iteration). */
const collect = (stream) =>
  new Promise((resolve, reject) => {
    const parts = [];
    stream.on('data', (c) => parts.push(c));
    stream.on('end', () => resolve(parts.length === 1 ? parts[0] : Buffer.concat(parts)));
    stream.on('error', reject);
  });

// Vault: a master key, a credential sealed under a fresh data key.
const kek = randomBytes(32);
function seal(key, plaintext) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}
function open(key, sealed) {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
}
const dek = randomBytes(32);
const credential = { wrappedKey: seal(kek, dek), secret: seal(dek, Buffer.from('sk-floor-0123456789abcdef')) };

// Token store: SHA-256 of the bearer secret → token.
const bearer = `ailink_v1_${randomBytes(24).toString('base64url')}`;
const tokens = new Map([
  [sha256(bearer), { id: 'tok_' + sha256(bearer).slice(0, 24), projectId: randomUUID(), credential, upstream, logLevel: 1 }],
]);
const spend = new Map();

const SCRUB = /[\w.+-]+@[\w-]+\.[\w.-]+|\b(?:\d[ -]?){13,19}\b|\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}\b/g;
const scrub = (text) => text.replace(SCRUB, '[REDACTED]');
const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'host',
  'authorization',
  'content-length',
  'upgrade',
  'te',
  'trailer',
]);
const PRICE_IN = 2.5 / 1e6;
const PRICE_OUT = 10 / 1e6;

// A table of its own per process (two floors start at once; concurrent CREATE TABLE IF NOT EXISTS races).
const table = `floor_audit_${randomBytes(4).toString('hex')}`;
await db.query(`CREATE TABLE ${table} (
  id uuid, created_at timestamptz, request_id text, project_id uuid, token_id text, method text, path text,
  upstream_url text, upstream_status smallint, response_latency_ms int, overhead_ms numeric(10,3), model text,
  provider text, prompt_tokens int, completion_tokens int, estimated_cost_usd numeric(18,8), is_streaming boolean,
  log_level smallint, policy_result text, request_body text, response_body text, request_body_sha256 text,
  response_body_sha256 text, prev_hash text, hash text)`);

let prevHash = '0'.repeat(64);
let buffer = [];
setInterval(() => {
  if (buffer.length === 0) return;
  const rows = buffer;
  buffer = [];
  db.query(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1)`, ['[' + rows.join(',') + ']']).catch((e) =>
    process.stderr.write(`audit write failed: ${e.message}\n`),
  );
}, 200).unref();

function audit(token, req, path, status, started, overheadMs, json, reqText, resText, usage, cost) {
  const record = {
    id: randomUUID(),
    created_at: new Date().toISOString(),
    request_id: req.id,
    project_id: token.projectId,
    token_id: token.id,
    method: req.method,
    path,
    upstream_url: token.upstream,
    upstream_status: status,
    response_latency_ms: Math.round(performance.now() - started),
    overhead_ms: overheadMs,
    model: json?.model ?? null,
    provider: 'openai',
    prompt_tokens: usage?.prompt_tokens ?? null,
    completion_tokens: usage?.completion_tokens ?? null,
    estimated_cost_usd: cost,
    is_streaming: false,
    log_level: token.logLevel,
    policy_result: 'allow',
    request_body: scrub(reqText),
    response_body: scrub(resText),
    request_body_sha256: sha256(reqText),
    response_body_sha256: sha256(resText),
  };
  // Simpler than the spec's chain (RFC 8785 text of the fields without the bodies, "\n" after the
  // previous hash), at about the same cost: one JSON text, hashed with the bodies in it and stored.
  const text = JSON.stringify(record);
  const hash = sha256(prevHash + text);
  buffer.push(text.slice(0, -1) + `,"prev_hash":"${prevHash}","hash":"${hash}"}`);
  prevHash = hash;
}

function fail(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** The governed lane's three policies: a method/path rule, (the rate limit, in Redis), a body-field rule. */
function denied(req, path, json) {
  if (req.method === 'DELETE' && path.startsWith('/v1/files/') && !path.includes('/', 10)) return 'file deletion is not allowed';
  if (typeof json?.model === 'string' && json.model.startsWith('gpt-3')) return 'model not allowed';
  return undefined;
}

let sequence = 0;
const server = createServer((req, res) => {
  const started = performance.now();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    req.id = randomUUID();
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? tokens.get(sha256(auth.slice(7))) : undefined;
    if (!token) return fail(res, 401, 'token_not_found', 'Invalid or expired virtual token');
    const secret = open(open(kek, token.credential.wrappedKey), token.credential.secret).toString('utf8');
    const body = chunks.length ? Buffer.concat(chunks) : null;
    const reqText = body ? body.toString('utf8') : '';
    let json;
    if (body && (req.headers['content-type'] ?? '').includes('json')) {
      try {
        json = JSON.parse(reqText);
      } catch {
        /* forwarded as is */
      }
    }
    const headers = {};
    for (const name in req.headers) if (!HOP.has(name)) headers[name] = req.headers[name];
    headers.authorization = `Bearer ${secret}`;
    headers['x-request-id'] = req.id;
    const q = req.url.indexOf('?');
    const path = q >= 0 ? req.url.slice(0, q) : req.url;
    let member;
    const estimate = 1000;
    if (redis) {
      const reason = denied(req, path, json);
      if (reason) return fail(res, 403, 'policy_denied', reason);
      member = `${req.id}:${++sequence}`;
      const k = keyPrefix + token.id;
      const verdict = await redis.floorAdmit(
        `${k}:rl`,
        `${k}:spend`,
        `${k}:res`,
        Date.now(),
        10_000,
        100_000,
        member,
        estimate,
        1e11,
        600_000,
      );
      if (verdict === 1) return fail(res, 429, 'rate_limit_exceeded', 'Rate limit exceeded');
      if (verdict === 2) return fail(res, 402, 'spend_cap_reached', 'Spend cap reached');
    }
    try {
      const sent = performance.now();
      const up = await pool.request({ path: req.url, method: req.method, headers, body });
      const out = await collect(up.body);
      const received = performance.now();
      const resText = out.toString('utf8');
      let usage;
      if ((up.headers['content-type'] ?? '').includes('json')) {
        try {
          usage = JSON.parse(resText).usage;
        } catch {
          /* no usage */
        }
      }
      const cost = usage ? (usage.prompt_tokens ?? 0) * PRICE_IN + (usage.completion_tokens ?? 0) * PRICE_OUT : 0;
      spend.set(token.id, (spend.get(token.id) ?? 0) + cost);

      const outHeaders = {};
      for (const name in up.headers) if (!HOP.has(name)) outHeaders[name] = up.headers[name];
      const overheadMs = Math.round((sent - started + performance.now() - received) * 1000) / 1000;
      outHeaders['x-request-id'] = req.id;
      outHeaders['x-ailink-overhead-ms'] = String(overheadMs);
      outHeaders['x-content-type-options'] = 'nosniff';
      outHeaders['content-length'] = String(out.length);
      res.writeHead(up.statusCode, outHeaders);
      res.end(out);
      if (member) {
        const k = keyPrefix + token.id;
        redis
          .floorSettle(`${k}:spend`, `${k}:res`, member, estimate, Math.round(cost * 1e6))
          .catch((e) => process.stderr.write(`settle failed: ${e.message}\n`));
      }
      audit(token, req, path, up.statusCode, started, overheadMs, json, reqText, resText, usage, cost);
    } catch (error) {
      fail(res, 502, 'upstream_unreachable', String(error));
    }
  });
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => {
  const k = keyPrefix + [...tokens.values()][0].id;
  Promise.allSettled([redis?.del(`${k}:rl`, `${k}:spend`, `${k}:res`), db.query(`DROP TABLE IF EXISTS ${table}`)]).finally(() =>
    process.exit(0),
  );
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\nTOKEN ${bearer}\n`));
