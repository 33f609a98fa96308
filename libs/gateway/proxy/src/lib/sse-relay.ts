import { Transform, type TransformCallback } from 'node:stream';
import type { UsageInfo } from './proxy-context';

export interface SseObservations {
  usage?: UsageInfo;
  model?: string;
  finishReason?: string;
  firstByteAt?: bigint;
  relayedChars: number;
}

/**
 * Rewrites relayed SSE events (a response stage's hook, e.g. output guarding): `events` gets one or
 * more complete events (each with its blank-line terminator) and returns the text to relay in their
 * place ('' withholds them); `end` is called once when the upstream ended (`failed`: it broke) and
 * returns text to relay before the stream closes.
 */
export interface SseEventTransform {
  events(text: string): string;
  end(failed: boolean): string | Promise<string>;
}

/**
 * Relays an OpenAI-style SSE stream event by event (each event is written as soon as its blank-line
 * terminator arrives), observing `usage`, `model` and `finish_reason` for audit and cost. When the
 * gateway itself injected `stream_options.include_usage`, the usage-only chunk (`choices: []`) is
 * withheld from the client (proxy.md §8.5.9).
 */
export class SseRelay extends Transform {
  readonly seen: SseObservations = { relayedChars: 0 };
  private pending = '';
  private failure?: string;

  /** `transforms` (response stages' hooks) rewrite the relayed events, in order, after observation. */
  constructor(
    private readonly withholdUsageChunk: boolean,
    private readonly transforms: readonly SseEventTransform[] = [],
  ) {
    super();
  }

  /** The upstream broke: the transforms end (`failed`), then `event` is relayed as is and the relay ends. */
  fail(event: string): void {
    this.failure = event;
    this.end();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    if (this.seen.firstByteAt === undefined) this.seen.firstByteAt = process.hrtime.bigint();
    this.pending += chunk.toString('utf8');
    let out = '';
    let boundary = this.nextBoundary();
    while (boundary) {
      const [end, sepLength] = boundary;
      const event = this.pending.slice(0, end + sepLength);
      this.pending = this.pending.slice(end + sepLength);
      if (this.observe(event)) out += event;
      boundary = this.nextBoundary();
    }
    try {
      out = this.rewrite(out, 0);
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (out) this.push(out);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const rest = this.pending && this.observe(this.pending) ? this.pending : '';
    this.pending = '';
    void this.finish(rest).then(
      (out) => {
        if (out) this.push(out);
        if (this.failure) this.push(this.failure);
        callback();
      },
      (error: unknown) => callback(error as Error),
    );
  }

  /** Passes text through the transforms from `from` on. */
  private rewrite(text: string, from: number): string {
    for (let i = from; i < this.transforms.length && text; i++) text = this.transforms[i].events(text);
    return text;
  }

  private async finish(rest: string): Promise<string> {
    let out = this.rewrite(rest, 0);
    for (let i = 0; i < this.transforms.length; i++) {
      const tail = await this.transforms[i].end(this.failure !== undefined);
      out += this.rewrite(tail, i + 1);
    }
    return out;
  }

  private nextBoundary(): [number, number] | undefined {
    const lf = this.pending.indexOf('\n\n');
    const crlf = this.pending.indexOf('\r\n\r\n');
    if (lf < 0 && crlf < 0) return undefined;
    if (crlf >= 0 && (lf < 0 || crlf < lf)) return [crlf, 4];
    return [lf, 2];
  }

  /** Returns whether the event goes to the client. */
  private observe(event: string): boolean {
    let keep = true;
    for (const line of event.split(/\r?\n/)) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (!data || data === '[DONE]' || data[0] !== '{') continue;
      try {
        const parsed = JSON.parse(data) as {
          model?: string;
          usage?: UsageInfo | null;
          choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
        };
        if (parsed.model) this.seen.model = parsed.model;
        for (const choice of parsed.choices ?? []) {
          if (choice.finish_reason) this.seen.finishReason = choice.finish_reason;
          if (typeof choice.delta?.content === 'string') this.seen.relayedChars += choice.delta.content.length;
        }
        if (parsed.usage) {
          this.seen.usage = parsed.usage;
          if (this.withholdUsageChunk && Array.isArray(parsed.choices) && parsed.choices.length === 0) keep = false;
        }
      } catch {
        /* not JSON: relay untouched */
      }
    }
    return keep;
  }
}
