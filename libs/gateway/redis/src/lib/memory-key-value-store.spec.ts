import { MemoryKeyValueStore } from './memory-key-value-store';
import { describeKeyValueStoreContract } from './testing/key-value-store.contract';

describeKeyValueStoreContract('memory', {
  create: async () => new MemoryKeyValueStore(),
  peer: async (store) => store,
});

describe('MemoryKeyValueStore', () => {
  let now: number;
  let store: MemoryKeyValueStore;

  beforeEach(() => {
    now = 1_000_000;
    store = new MemoryKeyValueStore(() => now);
  });

  afterEach(() => store.close());

  it('reports the memory mode', () => {
    expect(store.mode).toBe('memory');
  });

  it('expires entries by its clock, to the millisecond', async () => {
    await store.set('k', 'v', 2);
    now += 1999;
    expect(await store.get('k')).toBe('v');
    expect(await store.pttl('k')).toBe(1);
    now += 1;
    expect(await store.get('k')).toBeNull();
    expect(await store.setIfAbsent('k', 'again', 1)).toBe(true);
  });

  it('restarts an expired counter with a fresh TTL', async () => {
    expect(await store.incr('c', 1, 10)).toBe(1);
    now += 10_000;
    expect(await store.incr('c', 1, 10)).toBe(1);
    expect(await store.pttl('c')).toBe(10_000);
  });

  it('sweeps expired keys without them being read', async () => {
    await store.set('a', '1', 1);
    await store.set('b', '2');
    const held = (store as unknown as { entries: Map<string, unknown> }).entries;
    expect(held.size).toBe(2);
    now += 1000;
    store.sweep();
    expect([...held.keys()]).toEqual(['b']);
  });

  it('lets a window log expire after the window', async () => {
    await store.slidingWindow('rl', 1, 500);
    expect(await store.pttl('rl')).toBe(500);
    now += 500;
    expect(await store.pttl('rl')).toBe(-2);
    expect((await store.slidingWindow('rl', 1, 500)).count).toBe(1);
  });

  it('never reports a reconnect and refuses subscriptions once closed', async () => {
    const onReconnect = jest.fn();
    const off = store.onReconnect(onReconnect);
    off();
    await store.close();
    await expect(store.subscribe('c', () => undefined)).rejects.toThrow(/closed/);
    expect(onReconnect).not.toHaveBeenCalled();
  });

  it('delivers nothing after close, not even messages published just before', async () => {
    const handler = jest.fn();
    await store.subscribe('c', handler);
    await store.publish('c', 'in flight');
    await store.close();
    await store.publish('c', 'late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(handler).not.toHaveBeenCalled();
  });
});
