/**
 * Usage normalisation (proxy.md §8.5 item 6; vault-and-spend.md §5): whatever shape the upstream
 * reported, the result has `prompt_tokens` including cached tokens and `cached` = cache-read tokens.
 */
export interface NormalisedUsage {
  promptTokens: number;
  completionTokens: number;
  /** Cached (cache-read) prompt tokens, included in `promptTokens`. */
  cachedTokens: number;
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}

function nested(obj: Obj, key: string, field: string): number | undefined {
  const inner = obj[key];
  return isObj(inner) ? count(inner[field]) : undefined;
}

/**
 * Reads one usage object: OpenAI chat/completions (`prompt_tokens`, `completion_tokens`,
 * `prompt_tokens_details.cached_tokens`), OpenAI Responses (`input_tokens` incl. cached,
 * `input_tokens_details.cached_tokens`), Anthropic (`input_tokens` + `cache_read_input_tokens` +
 * `cache_creation_input_tokens`), Gemini `usageMetadata` (`promptTokenCount`, `candidatesTokenCount` +
 * `thoughtsTokenCount`, `cachedContentTokenCount`) and Bedrock (`inputTokens` + `cacheReadInputTokens`
 * + `cacheWriteInputTokens`). Null when it carries no token counts.
 */
export function normaliseUsage(raw: unknown): NormalisedUsage | null {
  if (!isObj(raw)) return null;
  // OpenAI chat/completions (and everything translated to it).
  const prompt = count(raw['prompt_tokens']);
  const completion = count(raw['completion_tokens']);
  if (prompt !== undefined || completion !== undefined) {
    const cached = nested(raw, 'prompt_tokens_details', 'cached_tokens') ?? count(raw['cached_tokens']) ?? 0;
    return { promptTokens: prompt ?? 0, completionTokens: completion ?? 0, cachedTokens: Math.min(cached, prompt ?? 0) };
  }
  // Gemini.
  const geminiPrompt = count(raw['promptTokenCount']);
  const candidates = count(raw['candidatesTokenCount']);
  if (geminiPrompt !== undefined || candidates !== undefined) {
    const cached = count(raw['cachedContentTokenCount']) ?? 0;
    const p = geminiPrompt ?? 0;
    return {
      promptTokens: p,
      completionTokens: (candidates ?? 0) + (count(raw['thoughtsTokenCount']) ?? 0),
      cachedTokens: Math.min(cached, p),
    };
  }
  // Bedrock Converse.
  const bedrockIn = count(raw['inputTokens']);
  const bedrockOut = count(raw['outputTokens']);
  if (bedrockIn !== undefined || bedrockOut !== undefined) {
    const read = count(raw['cacheReadInputTokens']) ?? 0;
    const write = count(raw['cacheWriteInputTokens']) ?? 0;
    return { promptTokens: (bedrockIn ?? 0) + read + write, completionTokens: bedrockOut ?? 0, cachedTokens: read };
  }
  // Anthropic, or OpenAI Responses (input_tokens already includes cached tokens there).
  const input = count(raw['input_tokens']);
  const output = count(raw['output_tokens']);
  if (input !== undefined || output !== undefined) {
    const responsesCached = nested(raw, 'input_tokens_details', 'cached_tokens');
    if (responsesCached !== undefined) {
      return { promptTokens: input ?? 0, completionTokens: output ?? 0, cachedTokens: Math.min(responsesCached, input ?? 0) };
    }
    const read = count(raw['cache_read_input_tokens']) ?? 0;
    const write = count(raw['cache_creation_input_tokens']) ?? 0;
    return { promptTokens: (input ?? 0) + read + write, completionTokens: output ?? 0, cachedTokens: read };
  }
  return null;
}

/**
 * Usage of a response: the proxy's captured `usage` (JSON body or final stream chunk) when it holds
 * counts, else a JSON body's `usage` / Gemini `usageMetadata`.
 */
export function usageOfResponse(captured: unknown, body: Buffer | undefined, contentType: string | undefined): NormalisedUsage | null {
  const fromCaptured = normaliseUsage(captured);
  if (fromCaptured) return fromCaptured;
  if (!body || body.length === 0 || body.length > 8 * 1024 * 1024 || !(contentType ?? '').includes('json')) return null;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (!isObj(parsed)) return null;
    return normaliseUsage(parsed['usage']) ?? normaliseUsage(parsed['usageMetadata']);
  } catch {
    return null;
  }
}
