/**
 * The pre-call estimate (vault-and-spend.md §6 "Reservation", §8.6): prompt tokens =
 * ⌈characters of the extracted prompt text / 4⌉; output tokens = `max_tokens` /
 * `max_completion_tokens` (or the native equivalents), else the price row's `max_output_tokens`,
 * else `AILINK_SPEND_DEFAULT_OUTPUT_TOKENS`.
 */

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Characters of text in a content value: a string, or parts/blocks with `text`. */
function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (Array.isArray(content)) {
    let n = 0;
    for (const part of content) {
      if (typeof part === 'string') n += part.length;
      else if (isObj(part)) {
        if (typeof part['text'] === 'string') n += part['text'].length;
        else if (part['content'] !== undefined) n += contentChars(part['content']);
      }
    }
    return n;
  }
  if (isObj(content) && typeof content['text'] === 'string') return content['text'].length;
  return 0;
}

/**
 * Characters of prompt text in a request body: OpenAI `messages[].content`, `prompt`, `input`,
 * `instructions`; Anthropic `system` and `messages[].content` blocks; Gemini `contents[].parts[].text`
 * and `systemInstruction`.
 */
export function promptChars(body: unknown): number {
  if (!isObj(body)) return 0;
  let n = 0;
  const messages = body['messages'];
  if (Array.isArray(messages)) for (const m of messages) if (isObj(m)) n += contentChars(m['content']);
  n += contentChars(body['system']);
  n += contentChars(body['prompt']);
  n += contentChars(body['instructions']);
  const input = body['input'];
  if (Array.isArray(input))
    for (const item of input) n += typeof item === 'string' ? item.length : isObj(item) ? contentChars(item['content'] ?? item) : 0;
  else n += contentChars(input);
  const contents = body['contents'];
  if (Array.isArray(contents)) for (const c of contents) if (isObj(c)) n += contentChars(c['parts']);
  const system = body['systemInstruction'] ?? body['system_instruction'];
  if (isObj(system)) n += contentChars(system['parts']);
  return n;
}

export function estimatedPromptTokens(body: unknown): number {
  return Math.ceil(promptChars(body) / 4);
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The output limit the request itself sets, if any. */
export function requestedOutputTokens(body: unknown): number | undefined {
  if (!isObj(body)) return undefined;
  const generation = body['generationConfig'] ?? body['generation_config'];
  return (
    positiveInt(body['max_tokens']) ??
    positiveInt(body['max_completion_tokens']) ??
    positiveInt(body['max_output_tokens']) ??
    (isObj(generation) ? positiveInt(generation['maxOutputTokens'] ?? generation['max_output_tokens']) : undefined)
  );
}

/** The model a request names: `body.model`, else the Gemini path segment `models/{model}:`. */
export function requestedModel(body: unknown, path: string): string | null {
  if (isObj(body) && typeof body['model'] === 'string' && body['model'].trim() !== '') return body['model'];
  const match = /\/models\/([^/:]+):/.exec(path);
  return match ? decodeURIComponent(match[1]) : null;
}

/**
 * Characters of generated text in a buffered JSON response (OpenAI `choices[].message.content`,
 * Anthropic `content[].text`, Gemini `candidates[].content.parts[].text`), for the cost of a response
 * that reported no usage.
 */
export function responseTextChars(body: Buffer | undefined, contentType: string | undefined): number {
  if (!body || body.length === 0 || body.length > 8 * 1024 * 1024 || !(contentType ?? '').includes('json')) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 0;
  }
  if (!isObj(parsed)) return 0;
  let n = 0;
  const choices = parsed['choices'];
  if (Array.isArray(choices)) {
    for (const c of choices) {
      if (!isObj(c)) continue;
      if (isObj(c['message'])) n += contentChars(c['message']['content']);
      if (typeof c['text'] === 'string') n += c['text'].length;
    }
  }
  n += contentChars(parsed['content']);
  const candidates = parsed['candidates'];
  if (Array.isArray(candidates)) for (const c of candidates) if (isObj(c) && isObj(c['content'])) n += contentChars(c['content']['parts']);
  return n;
}
