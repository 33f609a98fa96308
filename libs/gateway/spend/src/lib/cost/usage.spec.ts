import { normaliseUsage, usageOfResponse } from './usage';

describe('usage normalisation (proxy.md §8.5 item 6)', () => {
  it('reads OpenAI usage with prompt_tokens_details.cached_tokens', () => {
    expect(
      normaliseUsage({ prompt_tokens: 2006, completion_tokens: 300, total_tokens: 2306, prompt_tokens_details: { cached_tokens: 1920 } }),
    ).toEqual({
      promptTokens: 2006,
      completionTokens: 300,
      cachedTokens: 1920,
    });
    expect(normaliseUsage({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 })).toEqual({
      promptTokens: 9,
      completionTokens: 4,
      cachedTokens: 0,
    });
    expect(normaliseUsage({ prompt_tokens: 3, total_tokens: 3 })).toEqual({ promptTokens: 3, completionTokens: 0, cachedTokens: 0 });
  });

  it('reads OpenAI Responses usage (input_tokens already includes cached tokens)', () => {
    expect(normaliseUsage({ input_tokens: 500, input_tokens_details: { cached_tokens: 400 }, output_tokens: 20 })).toEqual({
      promptTokens: 500,
      completionTokens: 20,
      cachedTokens: 400,
    });
  });

  it('reads Anthropic usage: prompt = input + cache reads + cache writes; cached = cache reads', () => {
    expect(normaliseUsage({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 })).toEqual({
      promptTokens: 117,
      completionTokens: 5,
      cachedTokens: 100,
    });
  });

  it('reads Gemini usageMetadata: completion = candidates + thoughts; cached = cachedContentTokenCount', () => {
    expect(
      normaliseUsage({ promptTokenCount: 1000, candidatesTokenCount: 50, thoughtsTokenCount: 25, cachedContentTokenCount: 600 }),
    ).toEqual({
      promptTokens: 1000,
      completionTokens: 75,
      cachedTokens: 600,
    });
  });

  it('reads Bedrock usage with cache reads and writes', () => {
    expect(normaliseUsage({ inputTokens: 10, outputTokens: 3, cacheReadInputTokens: 20, cacheWriteInputTokens: 5 })).toEqual({
      promptTokens: 35,
      completionTokens: 3,
      cachedTokens: 20,
    });
  });

  it('returns null for anything without token counts', () => {
    expect(normaliseUsage(undefined)).toBeNull();
    expect(normaliseUsage(null)).toBeNull();
    expect(normaliseUsage({})).toBeNull();
    expect(normaliseUsage({ prompt_tokens: -1 })).toBeNull();
    expect(normaliseUsage([1, 2])).toBeNull();
  });

  it('falls back to the JSON body: usage, or Gemini usageMetadata', () => {
    const gemini = Buffer.from(JSON.stringify({ candidates: [], usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 3 } }));
    expect(usageOfResponse(undefined, gemini, 'application/json; charset=utf-8')).toEqual({
      promptTokens: 12,
      completionTokens: 3,
      cachedTokens: 0,
    });
    expect(usageOfResponse({ prompt_tokens: 1, completion_tokens: 2 }, gemini, 'application/json')).toEqual({
      promptTokens: 1,
      completionTokens: 2,
      cachedTokens: 0,
    });
    expect(usageOfResponse(undefined, gemini, 'text/plain')).toBeNull();
    expect(usageOfResponse(undefined, Buffer.from('{not json'), 'application/json')).toBeNull();
  });
});
