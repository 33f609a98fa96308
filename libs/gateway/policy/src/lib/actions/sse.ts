/**
 * OpenAI chat-completion streams (proxy.md §8.4) for the post phase: parsing relayed SSE text,
 * assembling the chunks into the `chat.completion` the post-phase rules see, and replaying an
 * assembled (possibly rewritten) completion as SSE.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One SSE event: its raw text (terminator included) and its `data:` payload when it has exactly one data line. */
export interface SseEvent {
  raw: string;
  data?: string;
}

/** Splits SSE text into events (a trailing unterminated event is kept as the last one). */
export function splitEvents(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  let at = 0;
  while (at < text.length) {
    const lf = text.indexOf('\n\n', at);
    const crlf = text.indexOf('\r\n\r\n', at);
    let end: number;
    if (lf < 0 && crlf < 0) end = text.length;
    else if (crlf >= 0 && (lf < 0 || crlf < lf)) end = crlf + 4;
    else end = lf + 2;
    const raw = text.slice(at, end);
    at = end;
    const dataLines = raw.split(/\r?\n/).filter((line) => line.startsWith('data:'));
    events.push(dataLines.length === 1 ? { raw, data: dataLines[0].slice(5).trim() } : { raw });
  }
  return events;
}

/** The JSON object of an event's data, if it is one. */
export function eventJson(event: SseEvent): Json | undefined {
  if (!event.data || event.data[0] !== '{') return undefined;
  try {
    const parsed: unknown = JSON.parse(event.data);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

interface ToolCallParts {
  index: number;
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChoiceParts {
  index: number;
  role: string;
  content: string;
  hasContent: boolean;
  toolCalls: Map<number, ToolCallParts>;
  finishReason: string | null;
}

/** Accumulates chat-completion chunks into one `chat.completion` (proxy.md §8.4, the accumulator). */
export class ChatStreamAssembler {
  private base: Json | undefined;
  private readonly choices = new Map<number, ChoiceParts>();
  private usage: unknown;
  /** Chat chunks were seen (else the stream is in another form). */
  sawChunks = false;

  add(chunk: Json): void {
    if (!Array.isArray(chunk['choices'])) return;
    this.sawChunks = true;
    this.base ??= { id: chunk['id'], created: chunk['created'], model: chunk['model'] };
    if (typeof chunk['model'] === 'string') this.base['model'] = chunk['model'];
    if (chunk['usage'] !== undefined && chunk['usage'] !== null) this.usage = chunk['usage'];
    for (const raw of chunk['choices'] as unknown[]) {
      if (!isObject(raw)) continue;
      const index = typeof raw['index'] === 'number' ? raw['index'] : 0;
      let parts = this.choices.get(index);
      if (!parts) {
        parts = { index, role: 'assistant', content: '', hasContent: false, toolCalls: new Map(), finishReason: null };
        this.choices.set(index, parts);
      }
      const delta = isObject(raw['delta']) ? raw['delta'] : {};
      if (typeof delta['role'] === 'string') parts.role = delta['role'];
      if (typeof delta['content'] === 'string') {
        parts.content += delta['content'];
        if (delta['content'] !== '') parts.hasContent = true;
      }
      if (Array.isArray(delta['tool_calls'])) {
        for (const call of delta['tool_calls'] as unknown[]) {
          if (!isObject(call)) continue;
          const i = typeof call['index'] === 'number' ? call['index'] : parts.toolCalls.size;
          let tool = parts.toolCalls.get(i);
          if (!tool) {
            tool = { index: i, name: '', arguments: '' };
            parts.toolCalls.set(i, tool);
          }
          if (typeof call['id'] === 'string') tool.id = call['id'];
          if (typeof call['type'] === 'string') tool.type = call['type'];
          const fn = isObject(call['function']) ? call['function'] : {};
          if (typeof fn['name'] === 'string') tool.name += fn['name'];
          if (typeof fn['arguments'] === 'string') tool.arguments += fn['arguments'];
        }
      }
      if (typeof raw['finish_reason'] === 'string') parts.finishReason = raw['finish_reason'];
    }
  }

  /** The assembled `chat.completion`; undefined when no chat chunk was seen. */
  completion(): Json | undefined {
    if (!this.sawChunks) return undefined;
    const choices = Array.from(this.choices.values())
      .sort((a, b) => a.index - b.index)
      .map((c) => {
        const toolCalls = Array.from(c.toolCalls.values())
          .sort((a, b) => a.index - b.index)
          .map((t) => ({ id: t.id ?? `call_${t.index}`, type: t.type ?? 'function', function: { name: t.name, arguments: t.arguments } }));
        const message: Json = { role: c.role, content: c.hasContent || toolCalls.length === 0 ? c.content : null };
        if (toolCalls.length > 0) message['tool_calls'] = toolCalls;
        return { index: c.index, message, finish_reason: c.finishReason };
      });
    return {
      id: this.base?.['id'] ?? null,
      object: 'chat.completion',
      created: this.base?.['created'] ?? null,
      model: this.base?.['model'] ?? null,
      choices,
      ...(this.usage !== undefined ? { usage: this.usage } : {}),
    };
  }
}

/** Assembles relayed SSE text; undefined when it holds no chat-completion chunks. */
export function assembleChatStream(text: string): Json | undefined {
  const assembler = new ChatStreamAssembler();
  for (const event of splitEvents(text)) {
    const json = eventJson(event);
    if (json) assembler.add(json);
  }
  return assembler.completion();
}

/**
 * Replays an assembled completion as chat-completion chunks: per choice one chunk with the whole
 * message as its delta and one with the finish reason, then the usage chunk (when the completion
 * has usage: the client asked for it), then `[DONE]`.
 */
export function replayChatStream(completion: Json): string {
  const base = { id: completion['id'], object: 'chat.completion.chunk', created: completion['created'], model: completion['model'] };
  let out = '';
  for (const raw of Array.isArray(completion['choices']) ? (completion['choices'] as unknown[]) : []) {
    if (!isObject(raw)) continue;
    const message = isObject(raw['message']) ? raw['message'] : {};
    const delta: Json = { role: typeof message['role'] === 'string' ? message['role'] : 'assistant' };
    const content = message['content'];
    delta['content'] = typeof content === 'string' ? content : content === null ? null : JSON.stringify(content ?? '');
    if (Array.isArray(message['tool_calls'])) {
      delta['tool_calls'] = (message['tool_calls'] as unknown[]).map((call, i) => (isObject(call) ? { index: i, ...call } : call));
    }
    out += sseData({ ...base, choices: [{ index: raw['index'] ?? 0, delta, finish_reason: null }] });
    out += sseData({ ...base, choices: [{ index: raw['index'] ?? 0, delta: {}, finish_reason: raw['finish_reason'] ?? 'stop' }] });
  }
  if (completion['usage'] !== undefined) out += sseData({ ...base, choices: [], usage: completion['usage'] });
  return out + SSE_DONE;
}
