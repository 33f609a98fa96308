import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { GatewayEvent } from '@ailink/shared-contracts';
import { RedisKeyValueStore } from '@ailink/gateway-redis';
import { TEST_REDIS_URL, TcpProxy, deleteRedisPrefix } from '@ailink/testing';
import { EventBus, type EventOrigin } from './event-bus';

const PROJECT = '00000000-0000-0000-0000-000000000001';
const TOKEN = 'tok_0123456789abcdef01234567';

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('EventBus across instances (Redis)', () => {
  const prefix = `t:events:${randomUUID().slice(0, 12)}:`;
  const stores: RedisKeyValueStore[] = [];
  const buses: EventBus[] = [];
  const logs: string[] = [];

  async function instance(url = TEST_REDIS_URL): Promise<EventBus> {
    const store = new RedisKeyValueStore({ url, keyPrefix: prefix, commandTimeoutMs: 500 });
    await store.connect();
    stores.push(store);
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    );
    const bus = new EventBus(store, logger);
    await bus.onModuleInit();
    buses.push(bus);
    return bus;
  }

  function collect(bus: EventBus) {
    const seen: { event: GatewayEvent; origin: EventOrigin }[] = [];
    bus.subscribe((event, origin) => void seen.push({ event, origin }));
    return seen;
  }

  afterAll(async () => {
    for (const bus of buses) await bus.onModuleDestroy();
    for (const store of stores) await store.close();
    await deleteRedisPrefix(prefix);
  });

  it("delivers one instance's events to every other instance's subscribers, and once to its own", async () => {
    const a = await instance();
    const b = await instance();
    const c = await instance();
    const [onA, onB, onC] = [collect(a), collect(b), collect(c)];
    const event = a.emit('circuit_opened', {
      project_id: PROJECT,
      token_id: TOKEN,
      token_name: 'agent',
      details: { upstream: 'https://api.example.com', failure_count: 3, cooldown_secs: 30 },
    });
    await waitFor(() => onB.length === 1 && onC.length === 1, 'remote delivery');
    await new Promise((r) => setTimeout(r, 50));
    expect(onA).toEqual([{ event, origin: 'local' }]);
    expect(onB).toEqual([{ event, origin: 'remote' }]);
    expect(onC).toEqual([{ event, origin: 'remote' }]);
  });

  it('keeps delivering locally while Redis is unreachable, and logs the failed publish', async () => {
    const target = new URL(TEST_REDIS_URL);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    target.hostname = '127.0.0.1';
    target.port = String(port);
    const url = target.toString();
    try {
      const bus = await instance(url);
      const seen = collect(bus);
      proxy.pause();
      const event = bus.emit('test', { project_id: PROJECT, details: { n: 1 } });
      await waitFor(() => seen.length === 1, 'local delivery');
      expect(seen[0]).toEqual({ event, origin: 'local' });
      await waitFor(() => logs.some((l) => l.includes('Could not publish an event')), 'the publish failure log', 5_000);
    } finally {
      await proxy.stop();
    }
  });
});
