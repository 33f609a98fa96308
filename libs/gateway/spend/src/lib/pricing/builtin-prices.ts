/**
 * The built-in price table (vault-and-spend.md §4): USD per million tokens, as published by the
 * providers for standard (non-batch, non-priority) usage at release time. Seeded into `model_pricing`
 * (`org_id` null) at startup with `ON CONFLICT DO NOTHING`, so a superadmin's edits of built-in rows
 * survive restarts; a release that changes a published price ships a migration that updates the row.
 *
 * `cached` is the price of cached (cache-read) input tokens where the provider publishes one; without
 * it cached tokens are billed at the input price. Anthropic cache writes are billed at the input price
 * (they are part of `prompt_tokens` after usage normalisation).
 *
 * Order does not matter: the most specific matching pattern wins (see `price-book.ts`), so
 * `gpt-4o-mini*` beats `gpt-4o*` for `gpt-4o-mini-2024-07-18`.
 */
export interface BuiltinPrice {
  provider: string;
  pattern: string;
  input: string;
  output: string;
  cached?: string;
}

export const BUILTIN_PRICES: readonly BuiltinPrice[] = [
  // OpenAI — https://openai.com/api/pricing
  { provider: 'openai', pattern: 'gpt-5*', input: '1.25', cached: '0.125', output: '10.00' },
  { provider: 'openai', pattern: 'gpt-5-mini*', input: '0.25', cached: '0.025', output: '2.00' },
  { provider: 'openai', pattern: 'gpt-5-nano*', input: '0.05', cached: '0.005', output: '0.40' },
  { provider: 'openai', pattern: 'gpt-4.1*', input: '2.00', cached: '0.50', output: '8.00' },
  { provider: 'openai', pattern: 'gpt-4.1-mini*', input: '0.40', cached: '0.10', output: '1.60' },
  { provider: 'openai', pattern: 'gpt-4.1-nano*', input: '0.10', cached: '0.025', output: '0.40' },
  { provider: 'openai', pattern: 'gpt-4o*', input: '2.50', cached: '1.25', output: '10.00' },
  { provider: 'openai', pattern: 'gpt-4o-2024-05-13*', input: '5.00', output: '15.00' },
  { provider: 'openai', pattern: 'chatgpt-4o*', input: '5.00', output: '15.00' },
  { provider: 'openai', pattern: 'gpt-4o-mini*', input: '0.15', cached: '0.075', output: '0.60' },
  { provider: 'openai', pattern: 'o1*', input: '15.00', cached: '7.50', output: '60.00' },
  { provider: 'openai', pattern: 'o1-mini*', input: '1.10', cached: '0.55', output: '4.40' },
  { provider: 'openai', pattern: 'o1-pro*', input: '150.00', output: '600.00' },
  { provider: 'openai', pattern: 'o3*', input: '2.00', cached: '0.50', output: '8.00' },
  { provider: 'openai', pattern: 'o3-mini*', input: '1.10', cached: '0.55', output: '4.40' },
  { provider: 'openai', pattern: 'o3-pro*', input: '20.00', output: '80.00' },
  { provider: 'openai', pattern: 'o4-mini*', input: '1.10', cached: '0.275', output: '4.40' },
  { provider: 'openai', pattern: 'gpt-4-turbo*', input: '10.00', output: '30.00' },
  { provider: 'openai', pattern: 'gpt-4*', input: '30.00', output: '60.00' },
  { provider: 'openai', pattern: 'gpt-3.5-turbo*', input: '0.50', output: '1.50' },
  { provider: 'openai', pattern: 'text-embedding-3-small*', input: '0.02', output: '0' },
  { provider: 'openai', pattern: 'text-embedding-3-large*', input: '0.13', output: '0' },
  { provider: 'openai', pattern: 'text-embedding*', input: '0.10', output: '0' },

  // Anthropic — https://www.anthropic.com/pricing (cached = cache reads)
  { provider: 'anthropic', pattern: 'claude-opus-4*', input: '15.00', cached: '1.50', output: '75.00' },
  { provider: 'anthropic', pattern: 'claude-opus-4-5*', input: '5.00', cached: '0.50', output: '25.00' },
  { provider: 'anthropic', pattern: 'claude-sonnet-4*', input: '3.00', cached: '0.30', output: '15.00' },
  { provider: 'anthropic', pattern: 'claude-haiku-4*', input: '1.00', cached: '0.10', output: '5.00' },
  { provider: 'anthropic', pattern: 'claude-3-7-sonnet*', input: '3.00', cached: '0.30', output: '15.00' },
  { provider: 'anthropic', pattern: 'claude-3-5-sonnet*', input: '3.00', cached: '0.30', output: '15.00' },
  { provider: 'anthropic', pattern: 'claude-3-5-haiku*', input: '0.80', cached: '0.08', output: '4.00' },
  { provider: 'anthropic', pattern: 'claude-3-opus*', input: '15.00', cached: '1.50', output: '75.00' },
  { provider: 'anthropic', pattern: 'claude-3-sonnet*', input: '3.00', cached: '0.30', output: '15.00' },
  { provider: 'anthropic', pattern: 'claude-3-haiku*', input: '0.25', cached: '0.03', output: '1.25' },

  // Google Gemini — https://ai.google.dev/gemini-api/docs/pricing (prompts ≤ 200k tokens)
  { provider: 'google', pattern: 'gemini-2.5-pro*', input: '1.25', cached: '0.125', output: '10.00' },
  { provider: 'google', pattern: 'gemini-2.5-flash*', input: '0.30', cached: '0.03', output: '2.50' },
  { provider: 'google', pattern: 'gemini-2.5-flash-lite*', input: '0.10', cached: '0.01', output: '0.40' },
  { provider: 'google', pattern: 'gemini-2.0-flash*', input: '0.10', cached: '0.025', output: '0.40' },
  { provider: 'google', pattern: 'gemini-2.0-flash-lite*', input: '0.075', output: '0.30' },
  { provider: 'google', pattern: 'gemini-1.5-pro*', input: '1.25', cached: '0.3125', output: '5.00' },
  { provider: 'google', pattern: 'gemini-1.5-flash*', input: '0.075', cached: '0.01875', output: '0.30' },
  { provider: 'google', pattern: 'gemini*', input: '0.50', output: '1.50' },

  // Mistral — https://mistral.ai/pricing
  { provider: 'mistral', pattern: 'mistral-large*', input: '2.00', output: '6.00' },
  { provider: 'mistral', pattern: 'mistral-medium*', input: '0.40', output: '2.00' },
  { provider: 'mistral', pattern: 'mistral-small*', input: '0.10', output: '0.30' },
  { provider: 'mistral', pattern: 'magistral-medium*', input: '2.00', output: '5.00' },
  { provider: 'mistral', pattern: 'magistral-small*', input: '0.50', output: '1.50' },
  { provider: 'mistral', pattern: 'codestral*', input: '0.30', output: '0.90' },
  { provider: 'mistral', pattern: 'pixtral-large*', input: '2.00', output: '6.00' },
  { provider: 'mistral', pattern: 'ministral-8b*', input: '0.10', output: '0.10' },
  { provider: 'mistral', pattern: 'ministral-3b*', input: '0.04', output: '0.04' },
  { provider: 'mistral', pattern: 'open-mistral-nemo*', input: '0.15', output: '0.15' },
  { provider: 'mistral', pattern: 'mistral-embed*', input: '0.10', output: '0' },

  // Groq — https://groq.com/pricing
  { provider: 'groq', pattern: 'llama-3.3-70b*', input: '0.59', output: '0.79' },
  { provider: 'groq', pattern: 'llama-3.1-8b*', input: '0.05', output: '0.08' },
  { provider: 'groq', pattern: 'meta-llama/llama-4-scout*', input: '0.11', output: '0.34' },
  { provider: 'groq', pattern: 'meta-llama/llama-4-maverick*', input: '0.20', output: '0.60' },
  { provider: 'groq', pattern: 'openai/gpt-oss-120b*', input: '0.15', output: '0.75' },
  { provider: 'groq', pattern: 'openai/gpt-oss-20b*', input: '0.10', output: '0.50' },
  { provider: 'groq', pattern: 'qwen/qwen3-32b*', input: '0.29', output: '0.59' },
  { provider: 'groq', pattern: 'moonshotai/kimi-k2*', input: '1.00', output: '3.00' },
  { provider: 'groq', pattern: 'gemma2-9b*', input: '0.20', output: '0.20' },
  { provider: 'groq', pattern: 'deepseek-r1-distill-llama-70b*', input: '0.75', output: '0.99' },
  { provider: 'groq', pattern: '*', input: '0.50', output: '0.80' },

  // Any provider (hosted open-weight models)
  { provider: '*', pattern: '*llama-3.1-405b*', input: '3.00', output: '3.00' },
  { provider: '*', pattern: '*llama-3.1-70b*', input: '0.88', output: '0.88' },
  { provider: '*', pattern: '*llama-3.1-8b*', input: '0.05', output: '0.08' },
  { provider: '*', pattern: '*deepseek-chat*', input: '0.27', output: '1.10' },
  { provider: '*', pattern: '*deepseek-v3*', input: '0.27', output: '1.10' },
  { provider: '*', pattern: '*deepseek-reasoner*', input: '0.55', output: '2.19' },
  { provider: '*', pattern: '*deepseek-r1*', input: '0.55', output: '2.19' },
];
