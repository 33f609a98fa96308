import { detectProvider, normaliseProvider, providerCandidates } from './providers';

describe('provider detection (proxy.md §8.1)', () => {
  it('detects by model name first', () => {
    expect(detectProvider('gpt-4o', 'https://api.groq.com/openai/v1')).toBe('openai');
    expect(detectProvider('claude-3-5-sonnet', undefined)).toBe('anthropic');
    expect(detectProvider('Gemini-1.5-pro', undefined)).toBe('google');
    expect(detectProvider('anthropic.claude-3-haiku', undefined)).toBe('bedrock');
    expect(detectProvider('mixtral-8x7b', undefined)).toBe('mistral');
    expect(detectProvider('command-r-plus', undefined)).toBe('cohere');
    expect(detectProvider('meta-llama/Llama-3-70b', undefined)).toBe('together');
  });

  it('then by upstream URL, else unknown', () => {
    expect(detectProvider('llama-3.3-70b-versatile', 'https://api.groq.com/openai/v1')).toBe('groq');
    expect(detectProvider('x', 'https://my.openai.azure.com/openai/deployments/x')).toBe('azure_openai');
    expect(detectProvider('x', 'http://localhost:11434')).toBe('ollama');
    expect(detectProvider('x', 'https://api.mistral.ai/v1')).toBe('mistral');
    expect(detectProvider('x', 'http://127.0.0.1:9999/v1')).toBe('unknown');
    expect(detectProvider(null, undefined)).toBe('unknown');
  });

  it('the native routes fix the provider', () => {
    expect(detectProvider('whatever', undefined, 'anthropic')).toBe('anthropic');
    expect(detectProvider('whatever', undefined, 'gemini')).toBe('google');
  });

  it('lists the URL provider after the model provider when they differ', () => {
    expect(providerCandidates('openai/gpt-oss-120b', 'https://api.groq.com/openai/v1')).toEqual(['together', 'groq']);
    expect(providerCandidates('gpt-4o', 'https://api.openai.com/v1')).toEqual(['openai']);
  });

  it('answers the same for a URL seen before (providers of URLs are remembered), whatever the model', () => {
    const url = 'https://api.groq.com/openai/v1';
    expect(providerCandidates(null, url)).toEqual(['groq']);
    expect(providerCandidates('claude-3-5-sonnet', url)).toEqual(['anthropic', 'groq']);
    expect(providerCandidates(null, url)).toEqual(['groq']);
    expect(providerCandidates(null, 'http://127.0.0.1:9999')).toEqual(['unknown']);
    expect(providerCandidates(null, 'http://127.0.0.1:9999')).toEqual(['unknown']);
  });

  it('normalises provider keys and synonyms', () => {
    expect(normaliseProvider('Gemini')).toBe('google');
    expect(normaliseProvider(' openai ')).toBe('openai');
    expect(normaliseProvider('*')).toBe('*');
    expect(normaliseProvider('acme')).toBeNull();
  });
});
