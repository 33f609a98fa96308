import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';

/** The Redis the integration tests use. */
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const START_HINT =
  'Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no ' +
  '(or point TEST_REDIS_URL at a running Redis).';

/** A key prefix no other test uses. */
export function uniquePrefix(label = 'test'): string {
  return `t:${label}:${randomUUID().slice(0, 12)}:`;
}

/** A short-lived raw connection for test setup and inspection; never retries. */
export function rawClient(url = TEST_REDIS_URL): Redis {
  return new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
}

/** Throws, saying how to start Redis, when the test Redis does not answer. */
export async function requireRedis(url = TEST_REDIS_URL): Promise<void> {
  const client = rawClient(url);
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const cause = lastError ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`Redis is not reachable at ${url} (${reason}). ${START_HINT}`);
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const client = rawClient(url);
  client.on('error', () => undefined);
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Resolves when `predicate` holds; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A loopback TCP forwarder in front of the test Redis, so that a test can make Redis unreachable
 * (`pause`: drop connections and refuse new ones) and bring it back, without touching the server.
 */
export class PausableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private paused = false;

  constructor(private readonly target = new URL(TEST_REDIS_URL)) {}

  /** Starts listening; resolves to a Redis URL that goes through the proxy. */
  async start(): Promise<string> {
    const server = createServer((client) => {
      if (this.paused) {
        client.destroy();
        return;
      }
      const upstream = createConnection({
        host: this.target.hostname,
        port: Number(this.target.port || 6379),
      });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
    const url = new URL(TEST_REDIS_URL);
    url.hostname = '127.0.0.1';
    url.port = String(address.port);
    return url.toString();
  }

  pause(): void {
    this.paused = true;
    for (const socket of this.sockets) socket.destroy();
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.pause();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
