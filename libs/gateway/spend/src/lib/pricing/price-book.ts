import { decimalToMicros } from '../money';
import { compareSpecificity, compilePattern, type CompiledPattern } from './price-pattern';

/** A `model_pricing` row as cached (L2 JSON) and listed. Prices are decimal strings, USD per million tokens. */
export interface PriceRowData {
  id: string;
  org_id: string | null;
  provider: string;
  model_pattern: string;
  input_per_m: string;
  output_per_m: string;
  cached_input_per_m: string | null;
  max_output_tokens: number | null;
  is_active: boolean;
  /** Epoch ms, for the "most recently updated" tie-break. */
  updated_at_ms: number;
}

/** The price that applies to a request, in integer micro-USD per million tokens. */
export interface ResolvedPrice {
  id: string;
  /** The row is an organisation override (false: built-in). */
  override: boolean;
  provider: string;
  pattern: string;
  inputPerM: number;
  outputPerM: number;
  /** Price of cached input tokens; null = the input price. */
  cachedInputPerM: number | null;
  maxOutputTokens: number | null;
}

interface CompiledRow {
  row: PriceRowData;
  compiled: CompiledPattern;
  price: ResolvedPrice;
}

/** One set of price rows (the built-in rows, or one organisation's overrides), compiled once per load. */
export class PriceList {
  private readonly byProvider = new Map<string, CompiledRow[]>();

  constructor(readonly rows: readonly PriceRowData[]) {
    for (const row of rows) {
      if (!row.is_active) continue;
      const entry: CompiledRow = {
        row,
        compiled: compilePattern(row.model_pattern),
        price: {
          id: row.id,
          override: row.org_id !== null,
          provider: row.provider,
          pattern: row.model_pattern,
          inputPerM: decimalToMicros(row.input_per_m),
          outputPerM: decimalToMicros(row.output_per_m),
          cachedInputPerM: row.cached_input_per_m === null ? null : decimalToMicros(row.cached_input_per_m),
          maxOutputTokens: row.max_output_tokens,
        },
      };
      const list = this.byProvider.get(row.provider) ?? [];
      list.push(entry);
      this.byProvider.set(row.provider, list);
    }
  }

  candidates(provider: string, model: string): CompiledRow[] {
    return (this.byProvider.get(provider) ?? []).filter((entry) => entry.compiled.matches(model));
  }
}

export const EMPTY_PRICE_LIST = new PriceList([]);

/** Negative: `a` wins. Most specific pattern, then the organisation's override, then the newest row. */
function compareCandidates(a: CompiledRow, b: CompiledRow): number {
  return (
    compareSpecificity(a.compiled, b.compiled) ||
    Number(b.price.override) - Number(a.price.override) ||
    b.row.updated_at_ms - a.row.updated_at_ms ||
    (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0)
  );
}

/**
 * The price of `model` (vault-and-spend.md §4 "Lookup"), trying each provider in order and then `*`:
 * the candidates are the active rows of that provider — the organisation's overrides and the
 * built-in rows together — whose pattern matches the whole model name (case-insensitive). The most
 * specific candidate wins: fewest wildcard characters (`*`, `?`), then most literal characters, then
 * an organisation override before a built-in row, then the most recently updated. Null when nothing
 * matches under any provider (the cost is 0 and the request is marked `pricing_missing`).
 */
export function resolvePrice(
  lists: { overrides: PriceList; builtin: PriceList },
  providers: readonly string[],
  model: string | null,
): ResolvedPrice | null {
  if (!model) return null;
  const order = providers.includes('*') ? providers : [...providers, '*'];
  for (const provider of order) {
    const candidates = [...lists.overrides.candidates(provider, model), ...lists.builtin.candidates(provider, model)];
    if (candidates.length === 0) continue;
    candidates.sort(compareCandidates);
    return candidates[0].price;
  }
  return null;
}
