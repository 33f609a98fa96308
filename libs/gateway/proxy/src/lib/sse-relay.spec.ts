import { Readable } from 'node:stream';
import { SseRelay } from './sse-relay';

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
});
