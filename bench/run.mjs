#!/usr/bin/env node
// `npm run bench`: direct vs bare Node proxy vs AIlink gateway, measured side by side in one run.
// Gateway and bare proxy are pinned to CPU 0, the mock upstream and the load generator to CPU 1.
// Env: BENCH_SECONDS (10), BENCH_REPEATS (3), BENCH_WARMUP (3), DATABASE_URL/REDIS_URL (default: the
// local test servers; BENCH_MODE=embedded for PGlite).
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import pg from 'pg';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const MODE = process.env.BENCH_MODE ?? 'external';
// BENCH_LANES=gateway runs a subset; BENCH_PROFILE=<dir> writes a V8 CPU profile of the gateway there.
const LANES = (process.env.BENCH_LANES ?? '').split(',').filter(Boolean);
const PROFILE = process.env.BENCH_PROFILE;
// BENCH_CELLS=c50 runs a subset of the cells (c1, c50, ttfb) — for quick comparisons, not for the record.
const CELLS = (process.env.BENCH_CELLS ?? '').split(',').filter(Boolean);
const cell = (name) => CELLS.length === 0 || CELLS.includes(name);
const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return cpus().length >= 2;
  } catch {
    return false;
  }
})();
const pin = (cpu, args) => (hasTaskset ? ['taskset', ['-c', String(cpu), ...args]] : [args[0], args.slice(1)]);
const children = [];
const cleanups = [];
const log = (m) => process.stdout.write(m + '\n');

function start(cpu, args, env = {}) {
  const [cmd, argv] = pin(cpu, args);
  const child = spawn(cmd, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, output: () => out };
}

async function waitFor(fn, what, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readyPort(proc) {
  return waitFor(async () => proc.output().match(/READY (\d+)/)?.[1], 'READY');
}

function runNode(script, args) {
  const [cmd, argv] = pin(1, [process.execPath, join(root, 'bench', script), ...args]);
  return JSON.parse(
    execFileSync(cmd, argv, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 })
      .trim()
      .split('\n')
      .pop(),
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+)/)[1]) / 1024;
}

async function main() {
  if (!existsSync(join(root, 'dist/apps/gateway/main.js'))) throw new Error('build first: npm run build');
  log(`AIlink benchmark: ${SECONDS}s cells, ${REPEATS} repeats, ${WARMUP}s warm-up, taskset ${hasTaskset ? 'on' : 'off'}`);
  const mock = start(1, [process.execPath, 'bench/mock-upstream.mjs', '0']);
  const mockPort = await readyPort(mock);
  const upstream = `http://127.0.0.1:${mockPort}`;
  const bare = start(0, [process.execPath, 'bench/bare-proxy.mjs', '0', upstream]);
  const barePort = await readyPort(bare);

  // A fresh database for this run (the gateway migrates it at boot), dropped afterwards.
  let databaseUrl = process.env.DATABASE_URL;
  if (MODE === 'external' && !databaseUrl) {
    const server = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/ailink_test');
    const name = `ailink_bench_${randomBytes(4).toString('hex')}`;
    server.pathname = '/postgres';
    // The maintenance database's URL, kept as a string: `server` is pointed at the new database below.
    const adminUrl = server.toString();
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });
    server.pathname = `/${name}`;
    databaseUrl = server.toString();
  }
  const gwPort = 18000 + Math.floor(Math.random() * 1000);
  const adminKey = 'bench_admin_' + randomBytes(12).toString('hex');
  const env = {
    AILINK_ENV: 'test',
    AILINK_HOST: '127.0.0.1',
    AILINK_PORT: String(gwPort),
    AILINK_ADMIN_KEY: adminKey,
    AILINK_MASTER_KEY: randomBytes(32).toString('hex'),
    AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-bench-')),
    AILINK_LOG_LEVEL: 'warn',
    AILINK_ACCESS_LOG: 'false',
    AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    // No implicit per-token limit (600/min by default): each lane measures what it names; the
    // governed lane carries its own rate-limit policy.
    AILINK_DEFAULT_RPM: '0',
    AILINK_REDIS_KEY_PREFIX: `bench${randomBytes(3).toString('hex')}:`,
    ...(MODE === 'external'
      ? {
          DATABASE_URL: databaseUrl,
          REDIS_URL: process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        }
      : { DATABASE_URL: '', REDIS_URL: '' }),
  };
  const profileArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
  // The gateway runs with the flags of `npm start` and the Docker image (a 32 MiB young generation).
  const gw = start(0, [process.execPath, '--max-semi-space-size=32', ...profileArgs, 'dist/apps/gateway/main.js'], env);
  const gwBase = `http://127.0.0.1:${gwPort}`;
  await waitFor(async () => (await fetch(`${gwBase}/readyz`)).ok, 'gateway ready').catch((e) => {
    throw new Error(`${e.message}\n${gw.output()}`);
  });
  const api = async (method, path, body) => {
    const r = await fetch(`${gwBase}/api/v1${path}`, {
      method,
      headers: { 'x-admin-key': adminKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? undefined : r.json();
  };
  const credential = await api('POST', '/credentials', {
    name: 'bench-openai',
    provider: 'openai',
    secret: 'sk-bench-' + randomBytes(8).toString('hex'),
  });
  const token = await api('POST', '/tokens', { name: 'bench', upstream_url: upstream, credential_id: credential.id });
  const bearer = `Bearer ${token.token_id}`;

  // The governed lane (governance issue): three policies — a path/method rule, a rate limit high
  // enough never to trigger, a body-field rule — and a spend cap, audit on as everywhere.
  const policies = [
    {
      name: 'bench-path-method',
      rules: [
        {
          when: {
            all: [
              { field: 'request.method', op: 'eq', value: 'DELETE' },
              { field: 'request.path', op: 'glob', value: '/v1/files/*' },
            ],
          },
          then: { action: 'deny', status: 403, message: 'file deletion is not allowed' },
        },
      ],
    },
    { name: 'bench-rate-limit', rules: [{ then: { action: 'rate_limit', window: '10s', max_requests: 100000 } }] },
    {
      name: 'bench-body-field',
      rules: [{ when: { field: 'request.body.model', op: 'starts_with', value: 'gpt-3' }, then: { action: 'deny', status: 403 } }],
    },
  ];
  const policyIds = [];
  for (const policy of policies) policyIds.push((await api('POST', '/policies', policy)).id);
  const governed = await api('POST', '/tokens', {
    name: 'bench-governed',
    upstream_url: upstream,
    credential_id: credential.id,
    policy_ids: policyIds,
  });
  await api('PUT', `/tokens/${governed.id}/spend`, { period: 'monthly', limit_usd: 100_000 });
  const governedBearer = `Bearer ${governed.token_id}`;

  // Reference lanes (50 connections only): the per-request work the contract requires, hand-written
  // with no framework (bench/floor-proxy.mjs) — what the gateway and governed lanes could reach at best.
  const floorDb = MODE === 'external' ? databaseUrl : undefined;
  const floorRedis = MODE === 'external' ? env.REDIS_URL : undefined;
  const floorLanes = [];
  if (floorDb) {
    const floor = start(0, [process.execPath, '--max-semi-space-size=32', 'bench/floor-proxy.mjs', '0', upstream, floorDb]);
    const floorGov = start(0, [process.execPath, '--max-semi-space-size=32', 'bench/floor-proxy.mjs', '0', upstream, floorDb, floorRedis]);
    const [fp, fgp] = [await readyPort(floor), await readyPort(floorGov)];
    const tokenOf = (proc) => `Bearer ${proc.output().match(/TOKEN (\S+)/)[1]}`;
    floorLanes.push(
      { name: 'floor', url: `http://127.0.0.1:${fp}/v1/chat/completions`, auth: tokenOf(floor), cells: ['c50'] },
      { name: 'floor-governed', url: `http://127.0.0.1:${fgp}/v1/chat/completions`, auth: tokenOf(floorGov), cells: ['c50'] },
    );
  }
  const lanes = [
    { name: 'direct', url: `${upstream}/v1/chat/completions`, auth: '-' },
    { name: 'bare-proxy', url: `http://127.0.0.1:${barePort}/v1/chat/completions`, auth: '-' },
    { name: 'gateway', url: `${gwBase}/v1/chat/completions`, auth: bearer },
    { name: 'governed', url: `${gwBase}/v1/chat/completions`, auth: governedBearer },
    ...floorLanes,
  ];
  // Every lane is warmed up first; then each repeat measures every lane in turn, so that the machine's
  // slow drifts (other tenants, PostgreSQL's autovacuum after the audit inserts) fall on all lanes alike.
  const active = lanes.filter((l) => LANES.length === 0 || LANES.includes(l.name));
  const raw = new Map(active.map((lane) => [lane, { c1: [], c50: [], ttfb: [] }]));
  for (const lane of active) {
    log(`warming up ${lane.name}`);
    runNode('load.mjs', [lane.url, '50', String(WARMUP), lane.auth]);
  }
  for (let i = 0; i < REPEATS; i++) {
    for (const lane of active) {
      const r = raw.get(lane);
      const laneCell = (name) => cell(name) && (!lane.cells || lane.cells.includes(name));
      log(`  ${lane.name} repeat ${i + 1}/${REPEATS}`);
      if (laneCell('c1')) r.c1.push(runNode('latency.mjs', [lane.url, String(SECONDS), lane.auth, 'json']));
      if (laneCell('c50')) r.c50.push(runNode('load.mjs', [lane.url, '50', String(SECONDS), lane.auth]));
      if (laneCell('ttfb'))
        r.ttfb.push(runNode('latency.mjs', [lane.url, String(Math.max(2, Math.round(SECONDS / 2))), lane.auth, 'stream']));
    }
  }
  const results = {};
  for (const [lane, r] of raw) {
    results[lane.name] = {
      c1_rps: median(r.c1.map((x) => x.rps)),
      c1_p50: median(r.c1.map((x) => x.p50)),
      c1_p99: median(r.c1.map((x) => x.p99)),
      c50_rps: median(r.c50.map((x) => x.rps)),
      c50_p50: median(r.c50.map((x) => x.p50)),
      c50_p99: median(r.c50.map((x) => x.p99)),
      ttfb_p50: median(r.ttfb.map((x) => x.p50)),
      errors: r.c1.reduce((a, x) => a + x.errors, 0) + r.c50.reduce((a, x) => a + x.non2xx + x.errors, 0),
      statuses: JSON.stringify(Object.assign({}, ...r.c50.map((x) => x.statuses), ...r.c1.map((x) => x.statuses ?? {}))),
    };
  }
  const gwRss = rssMb(gw.child.pid);
  if (LANES.length > 0) {
    log(JSON.stringify({ results, gateway_rss_mb: gwRss }, null, 2));
    return;
  }
  const d = results.direct;
  const b = results['bare-proxy'];
  const g = results.gateway;
  const gov = results.governed;
  const summary = {
    governed_added_p50_ms_c1: gov.c1_p50 - d.c1_p50,
    governed_throughput_ratio_c50: gov.c50_rps / b.c50_rps,
    added_p50_ms_c1: { bare: b.c1_p50 - d.c1_p50, gateway: g.c1_p50 - d.c1_p50 },
    added_p99_ms_c1: { bare: b.c1_p99 - d.c1_p99, gateway: g.c1_p99 - d.c1_p99 },
    throughput_ratio_c50: g.c50_rps / b.c50_rps,
    ttfb_added_ms: { bare: b.ttfb_p50 - d.ttfb_p50, gateway: g.ttfb_p50 - d.ttfb_p50 },
    gateway_rss_mb: gwRss,
    floor_ratio_c50: results.floor ? results.floor.c50_rps / b.c50_rps : undefined,
    floor_governed_ratio_c50: results['floor-governed'] ? results['floor-governed'].c50_rps / b.c50_rps : undefined,
  };
  const f = (x, n = 3) => (x === undefined ? '–' : typeof x === 'number' ? x.toFixed(n) : String(x));
  const table = [
    '| lane | rps @1 | p50 @1 (ms) | p99 @1 (ms) | rps @50 | p50 @50 (ms) | p99 @50 (ms) | stream TTFB p50 (ms) | errors |',
    '|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(results).map(
      ([n, r]) =>
        `| ${n} | ${f(r.c1_rps, 0)} | ${f(r.c1_p50)} | ${f(r.c1_p99)} | ${f(r.c50_rps, 0)} | ${f(r.c50_p50, 1)} | ${f(r.c50_p99, 1)} | ${f(r.ttfb_p50)} | ${r.errors} ${r.errors ? r.statuses : ''} |`,
    ),
  ].join('\n');
  const verdict = [
    `- added p50 latency at 1 connection: bare proxy ${f(summary.added_p50_ms_c1.bare)} ms, gateway ${f(summary.added_p50_ms_c1.gateway)} ms (target: gateway ≤ bare + 0.3 ms → ${summary.added_p50_ms_c1.gateway <= summary.added_p50_ms_c1.bare + 0.3 ? 'met' : 'NOT met'})`,
    `- added p99 latency at 1 connection: bare ${f(summary.added_p99_ms_c1.bare)} ms, gateway ${f(summary.added_p99_ms_c1.gateway)} ms`,
    `- throughput at 50 connections, gateway / bare proxy: ${(summary.throughput_ratio_c50 * 100).toFixed(1)} % (target ≥ 50 % → ${summary.throughput_ratio_c50 >= 0.5 ? 'met' : 'NOT met'})`,
    `- streaming time to first byte added: bare ${f(summary.ttfb_added_ms.bare)} ms, gateway ${f(summary.ttfb_added_ms.gateway)} ms (target: gateway ≤ bare + 1 ms → ${summary.ttfb_added_ms.gateway <= summary.ttfb_added_ms.bare + 1 ? 'met' : 'NOT met'})`,
    `- governed lane (3 policies, rate limit, spend cap): added p50 at 1 connection ${f(summary.governed_added_p50_ms_c1)} ms (target ≤ bare + 0.8 ms → ${summary.governed_added_p50_ms_c1 <= summary.added_p50_ms_c1.bare + 0.8 ? 'met' : 'NOT met'}); throughput at 50 connections ${(summary.governed_throughput_ratio_c50 * 100).toFixed(1)} % of the bare proxy (target ≥ 35 % → ${summary.governed_throughput_ratio_c50 >= 0.35 ? 'met' : 'NOT met'})`,
    ...(summary.floor_ratio_c50 === undefined
      ? []
      : [
          `- reference (bench/floor-proxy.mjs, the required per-request work with no framework): floor ${(summary.floor_ratio_c50 * 100).toFixed(1)} % of the bare proxy at 50 connections, governed floor ${(summary.floor_governed_ratio_c50 * 100).toFixed(1)} %; the gateway reaches ${((g.c50_rps / results.floor.c50_rps) * 100).toFixed(0)} % of the floor, the governed lane ${((gov.c50_rps / results['floor-governed'].c50_rps) * 100).toFixed(0)} % of the governed floor`,
        ]),
    `- gateway RSS after the run: ${f(gwRss, 0)} MB`,
  ].join('\n');
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, mode ${MODE}, taskset ${hasTaskset ? 'gateway/bare proxy on CPU 0, mock + load generator on CPU 1' : 'unavailable'}`;
  const report = `## Run ${new Date().toISOString()}\n\nMachine: ${machine}. Cells of ${SECONDS} s after ${WARMUP} s warm-up, ${REPEATS} repeats, medians. POST /v1/chat/completions (non-streaming JSON; TTFB with \`stream: true\`), virtual token + credential injection on the gateway lane; the governed lane adds three policies (path/method deny rule, a rate limit of 100 000 per 10 s, a body-field rule) and a monthly spend cap; audit at the default log level (scrubbed bodies) on both.\n\n${table}\n\n${verdict}\n`;
  log('\n' + report);
  writeFileSync(join(root, 'bench', 'last-run.md'), report);
  log(`\nWrote bench/last-run.md (${JSON.stringify(summary)})`);
}

let stopping;
/** Stops the children and runs the clean-ups once, however many times it is called (signal and finally). */
function shutdown() {
  stopping ??= (async () => {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    for (const cleanup of cleanups) await cleanup().catch((e) => process.stderr.write(`clean-up failed: ${e.message}\n`));
    process.exit(process.exitCode ?? 0);
  })();
  return stopping;
}
// Interrupted: stop the children and drop the run's database.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => {
    process.exitCode = code;
    void shutdown();
  });
}

main()
  .catch((e) => {
    process.stderr.write(String(e?.stack ?? e) + '\n');
    process.exitCode = 1;
  })
  .finally(shutdown);
