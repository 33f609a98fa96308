// One autocannon cell; prints its result as JSON. Usage: node bench/load.mjs <url> <connections> <seconds> <authorization|->
import autocannon from 'autocannon';

const [url, connections, seconds, auth] = process.argv.slice(2);
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] });
const headers = { 'content-type': 'application/json' };
if (auth && auth !== '-') headers.authorization = auth;
const statuses = {};
const instance = autocannon({
  url,
  method: 'POST',
  body,
  headers,
  connections: Number(connections),
  duration: Number(seconds),
  pipelining: 1,
});
instance.on('response', (_client, status) => (statuses[status] = (statuses[status] ?? 0) + 1));
const result = await instance;
process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  }) + '\n',
);
