// The ceiling any Node gateway can reach: node:http in front of an undici keep-alive pool, no logic.
// Usage: node bench/bare-proxy.mjs <port> <upstream-origin>
import { createServer } from 'node:http';
import { Pool } from 'undici';

const port = Number(process.argv[2] ?? 0);
const pool = new Pool(process.argv[3], { connections: 256, keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    try {
      const upstream = await pool.request({
        path: req.url,
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : null,
      });
      const out = {};
      for (const [k, v] of Object.entries(upstream.headers))
        if (k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
      res.writeHead(upstream.statusCode, out);
      upstream.body.pipe(res);
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
