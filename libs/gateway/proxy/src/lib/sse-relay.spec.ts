import { Readable } from 'node:stream';
import { SseRelay, type SseEventTransform } from './sse-relay';

async function run(chunks: string[], withhold: boolean): Promise<{ out: string; relay: SseRelay }> {
  const relay = new SseRelay(withhold);
  let out = '';
  relay.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    Readable.from(chunks.map((c) => Buffer.from(c)))
      .pipe(relay)
      .on('end', resolve)
      .on('error', reject);
  });
  return { out, relay };
}

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

describe('SseRelay', () => {
  const events = [
    chunk({ id: '1', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] }),
    chunk({ id: '1', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }] }),
    chunk({ id: '1', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }),
    'data: [DONE]\n\n',
  ];

  it('relays events unchanged and observes usage, model and finish reason, even across split chunks', async () => {
    const joined = events.join('');
    const split = [joined.slice(0, 17), joined.slice(17, 90), joined.slice(90)];
    const { out, relay } = await run(split, false);
    expect(out).toBe(joined);
    expect(relay.seen.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    expect(relay.seen.model).toBe('gpt-4o-mini');
    expect(relay.seen.finishReason).toBe('stop');
    expect(relay.seen.relayedChars).toBe(5);
  });

  it('withholds the usage-only chunk when the gateway injected include_usage', async () => {
    const { out, relay } = await run(events, true);
    expect(out).toBe(events[0] + events[1] + events[3]);
    expect(relay.seen.usage?.total_tokens).toBe(7);
  });

  it('hands complete events to the transforms in order, after observation, and relays what they return', async () => {
    const calls: string[] = [];
    const upper: SseEventTransform = {
      events: (text) => (calls.push('a:' + text.length), text.replace(/Hel/g, 'HEL')),
      end: () => 'data: {"tail":"a"}\n\n',
    };
    const tagger: SseEventTransform = {
      events: (text) => (calls.push('b'), text.replace('HEL', '[HEL]')),
      end: async () => 'data: {"tail":"b"}\n\n',
    };
    const relay = new SseRelay(true, [upper, tagger]);
    let out = '';
    relay.on('data', (d: Buffer) => (out += d.toString()));
    const joined = events.join('');
    await new Promise<void>((resolve, reject) => {
      Readable.from([joined.slice(0, 30), joined.slice(30)].map((c) => Buffer.from(c)))
        .pipe(relay)
        .on('end', resolve)
        .on('error', reject);
    });
    // The first piece held no complete event: nothing reached the transforms yet.
    expect(calls[0]).toBe(`a:${events[0].length + events[1].length + events[3].length}`);
    // a's tail goes through b; b's tail is last. The usage chunk was withheld before the transforms.
    expect(out).toBe(events[0].replace('Hel', '[HEL]') + events[1] + events[3] + 'data: {"tail":"a"}\n\n' + 'data: {"tail":"b"}\n\n');
    expect(relay.seen.usage?.total_tokens).toBe(7);
  });

  it('fail(): the transforms end as failed, then the error event is relayed as is', async () => {
    let failed: boolean | undefined;
    const relay = new SseRelay(false, [{ events: () => '', end: (f) => ((failed = f), 'data: {"flushed":1}\n\n') }]);
    let out = '';
    relay.on('data', (d: Buffer) => (out += d.toString()));
    relay.write(Buffer.from(events[0]));
    relay.fail('data: {"error":{"type":"stream_error"}}\n\n');
    await new Promise((resolve) => relay.on('end', resolve));
    expect(failed).toBe(true);
    expect(out).toBe('data: {"flushed":1}\n\n' + 'data: {"error":{"type":"stream_error"}}\n\n');
  });
});
