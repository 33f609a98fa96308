import { SPEND_PROVIDER_KEYS } from '@ailink/shared-contracts';

/** Provider keys of the price table (vault-and-spend.md §4) and provider detection (proxy.md §8.1). */

export const PROVIDER_KEYS = SPEND_PROVIDER_KEYS;
export type ProviderKey = (typeof SPEND_PROVIDER_KEYS)[number];

const SYNONYMS: Record<string, ProviderKey> = { gemini: 'google', azure: 'azure_openai' };

/** A provider key as given to `PUT /pricing` (case-insensitive; `gemini` → `google`), or null if unknown. */
export function normaliseProvider(value: string): ProviderKey | null {
  const lower = value.trim().toLowerCase();
  if (SYNONYMS[lower]) return SYNONYMS[lower];
  return (PROVIDER_KEYS as readonly string[]).includes(lower) ? (lower as ProviderKey) : null;
}

const MODEL_RULES: [RegExp, ProviderKey][] = [
  [/^(anthropic|amazon|meta|cohere|mistral)\./, 'bedrock'],
  [/^claude/, 'anthropic'],
  [/^gemini/, 'google'],
  [/^(gpt|o1|o3|o4|text-|tts|dall-e|whisper|chatgpt)/, 'openai'],
  [/^command-/, 'cohere'],
  [/^(mistral-|mixtral-|codestral|magistral-|ministral-|pixtral-|open-mistral)/, 'mistral'],
  [/\//, 'together'],
];

function hostOf(url: string): { host: string; port: string; text: string } {
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname.toLowerCase(), port: parsed.port, text: url.toLowerCase() };
  } catch {
    return { host: '', port: '', text: url.toLowerCase() };
  }
}

const URL_RULES: [(u: ReturnType<typeof hostOf>) => boolean, ProviderKey][] = [
  [(u) => u.text.includes('anthropic') && !u.text.includes('bedrock'), 'anthropic'],
  [(u) => u.host === 'generativelanguage.googleapis.com' || u.host.endsWith('aiplatform.googleapis.com'), 'google'],
  [
    (u) =>
      u.host.endsWith('.openai.azure.com') ||
      u.host.endsWith('azure-api.net') ||
      (u.host.includes('azure.com') && u.text.includes('openai')),
    'azure_openai',
  ],
  [(u) => u.text.includes('bedrock'), 'bedrock'],
  [(u) => u.host.endsWith('groq.com'), 'groq'],
  [(u) => u.host.endsWith('mistral.ai'), 'mistral'],
  [(u) => u.host.endsWith('together.xyz') || u.host.endsWith('together.ai'), 'together'],
  [(u) => u.host.endsWith('cohere.com') || u.host.endsWith('cohere.ai'), 'cohere'],
  [(u) => u.text.includes('ollama') || u.port === '11434', 'ollama'],
  [(u) => u.text.includes('openai'), 'openai'],
];

/**
 * The provider of a request (proxy.md §8.1): first by model name, then by upstream URL, else
 * `unknown`. The native routes fix it (`/anthropic/*` → anthropic, `/gemini/*` → google).
 */
export function detectProvider(model: string | null, upstreamUrl: string | undefined, route?: string): ProviderKey {
  return providerCandidates(model, upstreamUrl, route)[0];
}

/**
 * The providers whose prices apply to a request, in lookup order: the detected provider (model rule,
 * else URL rule), then the URL's provider when it differs (a `meta-llama/…` model served by Groq is
 * detected as Together by its name but priced by Groq's rows), else `unknown`.
 */
/** Providers recognised from upstream URLs lately (a request's URL is parsed once, not per request). */
const urlProviders = new Map<string, ProviderKey | null>();
const URL_PROVIDERS_MAX = 1000;

function providerOfUrl(upstreamUrl: string): ProviderKey | null {
  const known = urlProviders.get(upstreamUrl);
  if (known !== undefined) return known;
  const url = hostOf(upstreamUrl);
  const provider = URL_RULES.find(([rule]) => rule(url))?.[1] ?? null;
  if (urlProviders.size >= URL_PROVIDERS_MAX) urlProviders.clear();
  urlProviders.set(upstreamUrl, provider);
  return provider;
}

export function providerCandidates(model: string | null, upstreamUrl: string | undefined, route?: string): ProviderKey[] {
  if (route === 'anthropic') return ['anthropic'];
  if (route === 'gemini') return ['google'];
  const out: ProviderKey[] = [];
  if (model) {
    const lower = model.toLowerCase();
    const byModel = MODEL_RULES.find(([rule]) => rule.test(lower));
    if (byModel) out.push(byModel[1]);
  }
  if (upstreamUrl) {
    const byUrl = providerOfUrl(upstreamUrl);
    if (byUrl && !out.includes(byUrl)) out.push(byUrl);
  }
  if (out.length === 0) out.push('unknown');
  return out;
}
