import type { ResolvedPrice } from '../pricing/price-book';
import type { NormalisedUsage } from './usage';

const MILLION = BigInt(1_000_000);
const HALF = BigInt(500_000);

/**
 * Cost of a request in integer micro-USD (vault-and-spend.md §5):
 * `(prompt − cached)/1e6 × input + cached/1e6 × (cached_input, else input) + completion/1e6 × output`,
 * computed exactly (integer arithmetic) and rounded half up to 6 decimal places.
 */
export function costMicros(usage: NormalisedUsage, price: ResolvedPrice): number {
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const uncached = usage.promptTokens - cached;
  const numerator =
    BigInt(uncached) * BigInt(price.inputPerM) +
    BigInt(cached) * BigInt(price.cachedInputPerM ?? price.inputPerM) +
    BigInt(usage.completionTokens) * BigInt(price.outputPerM);
  return Number((numerator + HALF) / MILLION);
}

/** `tokens × price-per-million`, rounded up to a whole micro-USD (estimates never round down). */
export function tokensCostCeil(promptTokens: number, inputPerM: number, outputTokens: number, outputPerM: number): number {
  const numerator = BigInt(promptTokens) * BigInt(inputPerM) + BigInt(outputTokens) * BigInt(outputPerM);
  return Number((numerator + MILLION - BigInt(1)) / MILLION);
}
