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
 * Relays an OpenAI-style SSE stream event by event (each event is written as soon as its blank-line
 * terminator arrives), observing `usage`, `model` and `finish_reason` for audit and cost. When the
 * gateway itself injected `stream_options.include_usage`, the usage-only chunk (`choices: []`) is
 * withheld from the client (proxy.md §8.5.9).
 */
export class SseRelay extends Transform {
  readonly seen: SseObservations = { relayedChars: 0 };
  private pending = '';

  constructor(private readonly withholdUsageChunk: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    if (this.seen.firstByteAt === undefined) this.seen.firstByteAt = process.hrtime.bigint();
    this.pending += chunk.toString('utf8');
    let boundary = this.nextBoundary();
    while (boundary) {
      const [end, sepLength] = boundary;
      const event = this.pending.slice(0, end + sepLength);
      this.pending = this.pending.slice(end + sepLength);
      if (this.observe(event)) this.push(event);
      boundary = this.nextBoundary();
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending && this.observe(this.pending)) this.push(this.pending);
    this.pending = '';
    callback();
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
