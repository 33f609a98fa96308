import type { SseEventTransform } from '@ailink/gateway-proxy';
import { applySpans, findSpans, ownedDetectors, type CompiledRedaction, type Detector, type Span } from './redaction';
import { ChatStreamAssembler, SSE_DONE, eventJson, splitEvents, sseData } from './sse';

type Json = Record<string, unknown>;

/** Characters of not-yet-emitted content withheld (guardrails.md §6). */
export const GUARD_WINDOW = 256;
/** Characters of already emitted text kept as left context for the patterns' look-behinds. */
const LEFT_CONTEXT = 256;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the guard reports to its owner. */
export interface StreamGuardHooks {
  /** Names of what a redaction replaced in emitted text (`email`, …), for `fields_redacted`. */
  redacted(names: readonly string[]): void;
  /** A redaction with `on_match: block` (index `owner`) matched: returns the message of the error event. */
  blocked(owner: number, detected: readonly string[]): string;
  /** The stream ended (after the last byte was handed on): the completion as the client received it. */
  ended(completion: Json | undefined, failed: boolean): void | Promise<void>;
}

type Take = { text: string } | { block: { owner: number; detected: string[] } };

/** The incremental guard of one choice's content. */
class ChoiceGuard {
  private pending = '';
  private context = '';

  constructor(
    private readonly detectors: readonly Detector[],
    private readonly redactions: readonly CompiledRedaction[],
    private readonly names: string[],
  ) {}

  push(delta: string): Take {
    this.pending += delta;
    if (this.pending.length <= GUARD_WINDOW) return { text: '' };
    return this.take(false);
  }

  flush(): Take {
    return this.pending ? this.take(true) : { text: '' };
  }

  /**
   * Emits what is safe: everything but the last {@link GUARD_WINDOW} characters, cut back to the start
   * of a match touching that window; matches in the emitted part are replaced. A blocking redaction
   * that matches (with at least one character after it, or at the end) blocks instead.
   */
  private take(final: boolean): Take {
    const full = this.context + this.pending;
    const offset = this.context.length;
    const spans = findSpans(full, this.detectors).filter((s) => s.start >= offset);
    const blocking = spans.filter((s) => this.redactions[s.owner ?? 0]?.onMatch === 'block' && (final || s.end < full.length));
    if (blocking.length > 0) {
      const owner = blocking[0].owner ?? 0;
      return { block: { owner, detected: Array.from(new Set(blocking.filter((s) => s.owner === owner).map((s) => s.name))) } };
    }
    let cut = final ? full.length : full.length - GUARD_WINDOW;
    if (!final) for (const s of spans) if (s.start < cut && s.end > cut) cut = s.start;
    if (cut <= offset) return { text: '' };
    const emitted: Span[] = [];
    for (const s of spans) {
      if (s.end > cut || this.redactions[s.owner ?? 0]?.onMatch === 'block') continue;
      emitted.push({ ...s, start: s.start - offset, end: s.end - offset });
      if (!this.names.includes(s.name)) this.names.push(s.name);
    }
    const text = applySpans(full.slice(offset, cut), emitted);
    this.context = full.slice(Math.max(0, cut - LEFT_CONTEXT), cut);
    this.pending = full.slice(cut);
    return { text };
  }
}

/**
 * Output guarding of a relayed chat-completion stream (guardrails.md §6, default mode): response
 * redaction applied incrementally to `delta.content` per choice — the last 256 characters of
 * not-yet-emitted content are withheld, text ending after the start of a match touching that window
 * is never emitted, and emitted text is redacted; a choice's withheld text is released with its
 * `finish_reason` (or before `[DONE]` / at the end). A blocking redaction that matches ends the
 * stream with a `content_blocked` error event and `[DONE]`. Whatever the client received is
 * assembled for the post phase's end-of-stream work (`ended`).
 */
export class StreamGuard implements SseEventTransform {
  private readonly detectors: Detector[];
  private readonly choices = new Map<number, ChoiceGuard>();
  private readonly assembler = new ChatStreamAssembler();
  private readonly names: string[] = [];
  private reported = 0;
  private base: Json = {};
  private blocked = false;
  /** The error event and `[DONE]` that end a blocked stream. */
  private blockedTail = '';

  constructor(
    private readonly redactions: readonly CompiledRedaction[],
    private readonly hooks: StreamGuardHooks,
  ) {
    this.detectors = ownedDetectors(redactions);
  }

  events(text: string): string {
    if (this.blocked) return '';
    let out = '';
    for (const event of splitEvents(text)) {
      if (event.data === '[DONE]') {
        out += this.flushAll();
        if (this.blocked) break;
        out += event.raw;
        continue;
      }
      const json = eventJson(event);
      if (!json || !Array.isArray(json['choices']) || this.redactions.length === 0) {
        if (json) this.assembler.add(json);
        out += event.raw;
        continue;
      }
      const rewritten = this.guardChunk(json);
      if (this.blocked) {
        out += this.blockedTail;
        break;
      }
      if (rewritten === json) out += event.raw;
      else if (rewritten) out += sseData(rewritten);
      if (rewritten) this.assembler.add(rewritten);
    }
    this.report();
    return out;
  }

  async end(failed: boolean): Promise<string> {
    const out = this.blocked ? '' : this.flushAll();
    this.report();
    await this.hooks.ended(this.assembler.completion(), failed);
    return out;
  }

  private guardOf(index: number): ChoiceGuard {
    let guard = this.choices.get(index);
    if (!guard) {
      guard = new ChoiceGuard(this.detectors, this.redactions, this.names);
      this.choices.set(index, guard);
    }
    return guard;
  }

  private block(take: { block: { owner: number; detected: string[] } }): void {
    this.blocked = true;
    const message = this.hooks.blocked(take.block.owner, take.block.detected);
    this.blockedTail = sseData({ error: { code: 'content_blocked', message, type: 'content_policy_error' } }) + SSE_DONE;
  }

  /** The chunk with its content deltas guarded: the same object when nothing changed, null to drop it. */
  private guardChunk(chunk: Json): Json | null {
    this.base = { id: chunk['id'], object: chunk['object'] ?? 'chat.completion.chunk', created: chunk['created'], model: chunk['model'] };
    let changed = false;
    const kept: unknown[] = [];
    for (const raw of chunk['choices'] as unknown[]) {
      if (!isObject(raw)) {
        kept.push(raw);
        continue;
      }
      const index = typeof raw['index'] === 'number' ? raw['index'] : 0;
      const delta = isObject(raw['delta']) ? raw['delta'] : undefined;
      const content = delta && typeof delta['content'] === 'string' ? delta['content'] : undefined;
      const finishing = typeof raw['finish_reason'] === 'string';
      if (content === undefined && !finishing) {
        kept.push(raw);
        continue;
      }
      const guard = this.guardOf(index);
      let emitted = '';
      for (const take of [content ? guard.push(content) : { text: '' }, finishing ? guard.flush() : { text: '' }]) {
        if ('block' in take) {
          this.block(take);
          return null;
        }
        emitted += take.text;
      }
      if (emitted === (content ?? '')) {
        kept.push(raw);
        continue;
      }
      changed = true;
      const onlyContent = delta !== undefined && Object.keys(delta).every((k) => k === 'content');
      if (emitted === '' && !finishing && onlyContent) continue; // everything withheld: drop the choice
      kept.push({ ...raw, delta: { ...(delta ?? {}), content: emitted } });
    }
    if (!changed) return chunk;
    if (kept.length === 0 && (chunk['usage'] === undefined || chunk['usage'] === null)) return null;
    return { ...chunk, choices: kept };
  }

  /** Releases every choice's withheld text (redacted) as one chunk per choice. */
  private flushAll(): string {
    let out = '';
    for (const [index, guard] of this.choices) {
      const take = guard.flush();
      if ('block' in take) {
        this.block(take);
        return this.blockedTail;
      }
      if (!take.text) continue;
      const chunk = { ...this.base, choices: [{ index, delta: { content: take.text }, finish_reason: null }] };
      this.assembler.add(chunk);
      out += sseData(chunk);
    }
    return out;
  }

  private report(): void {
    if (this.names.length > this.reported) {
      this.hooks.redacted(this.names.slice(this.reported));
      this.reported = this.names.length;
    }
  }
}
