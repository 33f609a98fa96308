/**
 * Model-name globs of the price table (vault-and-spend.md §4): case-insensitive, `*` = any run of
 * characters (also none), `?` = exactly one character, everything else literal; the pattern must
 * match the whole model name.
 */
export interface CompiledPattern {
  readonly pattern: string;
  /** Number of `*` and `?` characters. */
  readonly wildcards: number;
  /** Number of literal characters. */
  readonly literals: number;
  matches(model: string): boolean;
}

export const MAX_PATTERN_LENGTH = 255;

function escape(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

export function compilePattern(pattern: string): CompiledPattern {
  const lower = pattern.toLowerCase();
  let wildcards = 0;
  for (const ch of lower) if (ch === '*' || ch === '?') wildcards += 1;
  const literals = lower.length - wildcards;
  let matches: (model: string) => boolean;
  const star = lower.indexOf('*');
  if (wildcards === 0) {
    matches = (model) => model.toLowerCase() === lower;
  } else if (wildcards === 1 && star === lower.length - 1) {
    // The common shape `prefix*`: no regular expression needed.
    const prefix = lower.slice(0, -1);
    matches = (model) => model.toLowerCase().startsWith(prefix);
  } else {
    const source = Array.from(lower, (ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : escape(ch))).join('');
    const regex = new RegExp(`^${source}$`, 's');
    matches = (model) => regex.test(model.toLowerCase());
  }
  return { pattern, wildcards, literals, matches };
}

/**
 * Orders two patterns by specificity (negative: `a` is more specific): fewer wildcard characters
 * first, then more literal characters. Ties are broken by the caller (override before built-in, then
 * most recently updated).
 */
export function compareSpecificity(a: CompiledPattern, b: CompiledPattern): number {
  if (a.wildcards !== b.wildcards) return a.wildcards - b.wildcards;
  return b.literals - a.literals;
}
