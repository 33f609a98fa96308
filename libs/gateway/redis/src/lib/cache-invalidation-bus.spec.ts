import { CacheInvalidationBus, type InvalidationListener } from './cache-invalidation-bus';
import { INVALIDATION_CHANNEL } from './cache-keys';
import { MemoryKeyValueStore } from './memory-key-value-store';
import { waitFor } from './testing/redis-test-support';

/** A memory store whose reconnect can be simulated. */
class ReconnectingStore extends MemoryKeyValueStore {
  private readonly handlers = new Set<() => void>();

  override onReconnect(handler: () => void): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  simulateReconnect(): void {
    for (const handler of this.handlers) handler();
  }
}

function listener(): InvalidationListener & {
  evicted: string[];
  resets: number;
} {
  const l = {
    evicted: [] as string[],
    resets: 0,
    evict: (m: { id: string }) => {
      l.evicted.push(m.id);
    },
    reset: () => {
      l.resets += 1;
    },
  };
  return l;
}

describe('CacheInvalidationBus', () => {
  let store: ReconnectingStore;
  let bus: CacheInvalidationBus;

  beforeEach(async () => {
    store = new ReconnectingStore();
    bus = new CacheInvalidationBus(store);
    await bus.onModuleInit();
  });

  afterEach(async () => {
    await bus.onModuleDestroy();
    await store.close();
  });

  it('routes messages to the listeners of their kind', async () => {
    const tokens = listener();
    const tokens2 = listener();
    const policies = listener();
    bus.register('token', tokens);
    bus.register('token', tokens2);
    bus.register('policy', policies);

    await bus.publish({ kind: 'token', id: 'tok_1', project_id: null });
    await store.publish(INVALIDATION_CHANNEL, JSON.stringify({ kind: 'policy', id: 'p1' }));
    await waitFor(() => policies.evicted.length === 1, 1000, 'policy eviction');
    expect(tokens.evicted).toEqual(['tok_1']);
    expect(tokens2.evicted).toEqual(['tok_1']);
    expect(policies.evicted).toEqual(['p1']);
  });

  it('ignores malformed messages and keeps working', async () => {
    const tokens = listener();
    bus.register('token', tokens);
    await store.publish(INVALIDATION_CHANNEL, 'not json');
    await store.publish(INVALIDATION_CHANNEL, JSON.stringify({ kind: 'token' }));
    await store.publish(INVALIDATION_CHANNEL, JSON.stringify({ kind: 'token', id: 1 }));
    await store.publish(INVALIDATION_CHANNEL, JSON.stringify({ kind: 'token', id: 'ok' }));
    await waitFor(() => tokens.evicted.length > 0, 1000, 'valid message');
    expect(tokens.evicted).toEqual(['ok']);
  });

  it('resets every listener when the subscription is restored', () => {
    const a = listener();
    const b = listener();
    bus.register('token', a);
    bus.register('policy', b);
    store.simulateReconnect();
    expect([a.resets, b.resets]).toEqual([1, 1]);
  });

  it('subscribes once however often it is started', async () => {
    const subscribe = jest.spyOn(store, 'subscribe');
    const fresh = new CacheInvalidationBus(store);
    await Promise.all([fresh.start(), fresh.start(), fresh.onModuleInit()]);
    await fresh.start();
    expect(subscribe).toHaveBeenCalledTimes(1);
    await fresh.onModuleDestroy();
  });

  it('stops routing after unregistering and after module destroy', async () => {
    const a = listener();
    const off = bus.register('token', a);
    off();
    const b = listener();
    bus.register('token', b);
    await bus.onModuleDestroy();
    store.simulateReconnect();
    await bus.publish({ kind: 'token', id: 'x', project_id: null });
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.evicted).toEqual([]);
    expect(b.evicted).toEqual([]);
    expect(b.resets).toBe(0);
  });
});
