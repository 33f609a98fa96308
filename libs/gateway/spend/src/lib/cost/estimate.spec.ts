import { estimatedPromptTokens, promptChars, requestedModel, requestedOutputTokens, responseTextChars } from './estimate';

describe('reservation estimate inputs', () => {
  it('counts prompt characters of OpenAI, Anthropic and Gemini bodies', () => {
    expect(
      promptChars({
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'abcd' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'efgh' },
              { type: 'image_url', image_url: { url: 'x' } },
            ],
          },
        ],
      }),
    ).toBe(8);
    expect(promptChars({ system: [{ type: 'text', text: 'sys' }], messages: [{ role: 'user', content: 'hello' }] })).toBe(8);
    expect(
      promptChars({ contents: [{ role: 'user', parts: [{ text: 'hi there' }] }], systemInstruction: { parts: [{ text: 'be nice' }] } }),
    ).toBe(15);
    expect(promptChars({ model: 'text-embedding-3-small', input: ['abc', 'de'] })).toBe(5);
    expect(promptChars({ prompt: 'complete me' })).toBe(11);
    expect(promptChars(undefined)).toBe(0);
  });

  it('estimates prompt tokens as ⌈chars / 4⌉', () => {
    expect(estimatedPromptTokens({ messages: [{ role: 'user', content: 'hi' }] })).toBe(1);
    expect(estimatedPromptTokens({ messages: [{ role: 'user', content: 'x'.repeat(9) }] })).toBe(3);
    expect(estimatedPromptTokens({})).toBe(0);
  });

  it('reads the output limit the request sets', () => {
    expect(requestedOutputTokens({ max_tokens: 100 })).toBe(100);
    expect(requestedOutputTokens({ max_completion_tokens: 50 })).toBe(50);
    expect(requestedOutputTokens({ max_output_tokens: 70 })).toBe(70);
    expect(requestedOutputTokens({ generationConfig: { maxOutputTokens: 30 } })).toBe(30);
    expect(requestedOutputTokens({ max_tokens: 0 })).toBeUndefined();
    expect(requestedOutputTokens({ max_tokens: '100' })).toBeUndefined();
  });

  it('reads the model from the body or the Gemini path', () => {
    expect(requestedModel({ model: 'gpt-4o' }, '/v1/chat/completions')).toBe('gpt-4o');
    expect(requestedModel({}, '/v1beta/models/gemini-1.5-pro:generateContent')).toBe('gemini-1.5-pro');
    expect(requestedModel(undefined, '/v1/models')).toBeNull();
  });

  it('counts generated characters of a buffered response', () => {
    const openai = Buffer.from(JSON.stringify({ choices: [{ message: { content: 'Hello from the mock' } }] }));
    expect(responseTextChars(openai, 'application/json')).toBe(19);
    const anthropic = Buffer.from(JSON.stringify({ content: [{ type: 'text', text: 'abc' }] }));
    expect(responseTextChars(anthropic, 'application/json')).toBe(3);
    expect(responseTextChars(openai, 'text/html')).toBe(0);
  });
});
