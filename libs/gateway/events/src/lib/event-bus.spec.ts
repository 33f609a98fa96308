import { Writable } from 'node:stream';
import pino from 'pino';
import type { GatewayEvent } from '@ailink/shared-contracts';
import { MemoryKeyValueStore } from '@ailink/gateway-redis';
import { EVENTS_CHANNEL, EventBus, type EventOrigin } from './event-bus';

const PROJECT = '00000000-0000-0000-0000-000000000001';
const TOKEN = 'tok_0123456789abcdef01234567';
const SECRET = `ailink_v1_00000000_tok_${'ab'.repeat(16)}`;

function collect(bus: EventBus, options?: Parameters<EventBus['subscribe']>[1]) {
  const seen: { event: GatewayEvent; origin: EventOrigin }[] = [];
  bus.subscribe((event, origin) => {
    seen.push({ event, origin });
  }, options);
  return seen;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

describe('EventBus', () => {
  let store: MemoryKeyValueStore;
  let logs: string[];
  let a: EventBus;
  let b: EventBus;

  function bus(): EventBus {
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    );
    return new EventBus(store, logger);
  }

  beforeEach(async () => {
    store = new MemoryKeyValueStore();
    logs = [];
    a = bus();
    b = bus();
    await a.onModuleInit();
    await b.onModuleInit();
  });

  afterEach(async () => {
    await a.onModuleDestroy();
    await b.onModuleDestroy();
    await store.close();
  });

  it('builds the envelope and delivers it to local subscribers after the call returns', async () => {
    const seen = collect(a);
    const event = a.emit('token_created', {
      project_id: PROJECT,
      token_id: TOKEN,
      token_name: 'agent-1',
      details: { token_id: TOKEN, name: 'agent-1', created_by: 'admin_key' },
    });
    expect(event).toEqual({
      event_type: 'token_created',
      event_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      token_id: TOKEN,
      token_name: 'agent-1',
      project_id: PROJECT,
      details: { token_id: TOKEN, name: 'agent-1', created_by: 'admin_key' },
    });
    expect(Object.keys(event)).toEqual(['event_type', 'event_id', 'timestamp', 'token_id', 'token_name', 'project_id', 'details']);
    expect(seen).toEqual([]);
    await settle();
    expect(seen).toEqual([{ event, origin: 'local' }]);
  });

  it('publishes to other instances, which see it as remote; the emitter does not see it twice', async () => {
    const local = collect(a);
    const remote = collect(b);
    const localOnly = collect(b, { scope: 'local' });
    const event = a.emit('credential_rotated', {
      project_id: PROJECT,
      details: { credential_id: 'c1', name: 'openai', version: 2, trigger: 'api' },
    });
    await settle();
    expect(local).toEqual([{ event, origin: 'local' }]);
    expect(remote).toEqual([{ event, origin: 'remote' }]);
    expect(localOnly).toEqual([]);
    expect(event.token_id).toBeNull();
    expect(event.token_name).toBeNull();
  });

  it('filters by type and stops delivering after unsubscribe', async () => {
    const seen: string[] = [];
    const stop = a.subscribe((e) => void seen.push(e.event_type), { types: ['circuit_opened'] });
    a.emit('token_revoked', { project_id: PROJECT, token_id: TOKEN, details: { token_id: TOKEN, name: 'n', revoked_by: 'u' } });
    a.emit('circuit_opened', {
      project_id: PROJECT,
      token_id: TOKEN,
      details: { upstream: 'http://u', failure_count: 3, cooldown_secs: 30 },
    });
    await settle();
    expect(seen).toEqual(['circuit_opened']);
    stop();
    a.emit('circuit_opened', {
      project_id: PROJECT,
      token_id: TOKEN,
      details: { upstream: 'http://u', failure_count: 3, cooldown_secs: 30 },
    });
    await settle();
    expect(seen).toEqual(['circuit_opened']);
  });

  it('refuses a token id that is not a public id, and unknown types', () => {
    expect(() =>
      a.emit('token_created', { project_id: PROJECT, token_id: SECRET, details: { token_id: TOKEN, name: 'n', created_by: 'u' } }),
    ).toThrow(/public token id/);
    expect(() => a.emit('nope' as 'test', { project_id: PROJECT, details: {} })).toThrow(/Unknown event type/);
  });

  it('replaces a secret that slipped into details or the name by the public id, and never logs it', async () => {
    const remote = collect(b);
    const event = a.emit('test', {
      project_id: PROJECT,
      token_name: `x ${SECRET}`,
      details: { note: `leaked ${SECRET}`, nested: [SECRET] },
    });
    const json = JSON.stringify(event);
    expect(json).not.toContain('ailink_v1_');
    expect(event.details).toEqual({ note: expect.stringMatching(/^leaked tok_[0-9a-f]{24}$/), nested: [expect.stringMatching(/^tok_/)] });
    await settle();
    expect(JSON.stringify(remote)).not.toContain('ailink_v1_');
    expect(logs.join('')).toContain('replaced by the public id');
    expect(logs.join('')).not.toContain(SECRET);
  });

  it('logs a failing subscriber (sync or async) and still delivers to the others', async () => {
    const seen = collect(a);
    a.subscribe(() => {
      throw new Error('sync boom');
    });
    a.subscribe(async () => {
      throw new Error('async boom');
    });
    a.emit('test', { project_id: PROJECT, details: {} });
    await settle();
    expect(seen).toHaveLength(1);
    const failures = logs.filter((l) => l.includes('An event subscriber failed'));
    expect(failures).toHaveLength(2);
  });

  it('ignores malformed channel messages', async () => {
    const seen = collect(b);
    await store.publish(EVENTS_CHANNEL, 'not json');
    await store.publish(EVENTS_CHANNEL, JSON.stringify({ o: 'x' }));
    await settle();
    expect(seen).toEqual([]);
    expect(logs.join('')).toContain('malformed message');
  });
});
