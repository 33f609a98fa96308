// Sequential (1 connection) latency with microsecond resolution, or streaming time to first byte.
// Usage: node bench/latency.mjs <url> <seconds> <authorization|-> <json|stream>
import { Pool } from 'undici';

const [url, seconds, auth, kind] = process.argv.slice(2);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: 1, keepAliveTimeout: 30_000 });
const stream = kind === 'stream';
const body = JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'ping' }] });
const headers = { 'content-type': 'application/json' };
if (auth && auth !== '-') headers.authorization = auth;

const samples = [];
const end = Date.now() + Number(seconds) * 1000;
let errors = 0;
const statuses = {};
while (Date.now() < end) {
  const t0 = process.hrtime.bigint();
  const res = await pool.request({ path: target.pathname, method: 'POST', headers, body });
  if (res.statusCode !== 200) {
    errors++;
    statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
  }
  let first;
  for await (const chunk of res.body) {
    if (first === undefined && chunk.length) first = process.hrtime.bigint();
  }
  const t1 = process.hrtime.bigint();
  samples.push(Number((stream ? (first ?? t1) : t1) - t0) / 1e6);
}
await pool.close();
samples.sort((a, b) => a - b);
const pct = (p) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
process.stdout.write(
  JSON.stringify({ n: samples.length, p50: pct(50), p99: pct(99), rps: samples.length / Number(seconds), errors, statuses }) + '\n',
);
