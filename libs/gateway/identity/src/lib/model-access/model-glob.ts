/**
 * Model patterns (identity.md §7): case-insensitive; `*` alone matches everything; a pattern without
 * `*` must equal the model (`?` still matches one character); `*` matches any run, so `gpt-4o*` is a
 * prefix match and `*mini*` a contains match. Matching is iterative (no regular expressions), linear
 * in the common cases and O(pattern × model) at worst, so no pattern can make a request slow.
 */
export function modelMatches(pattern: string, model: string): boolean {
  const p = pattern.toLowerCase();
  const m = model.toLowerCase();
  if (p === '*') return true;
  let pi = 0;
  let mi = 0;
  let star = -1;
  let resume = 0;
  while (mi < m.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === m[mi])) {
      pi++;
      mi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      resume = mi;
    } else if (star >= 0) {
      pi = star + 1;
      mi = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Whether any pattern of the list matches the model. */
export function anyModelMatches(patterns: readonly string[], model: string): boolean {
  for (const pattern of patterns) if (modelMatches(pattern, model)) return true;
  return false;
}

/** Longest model pattern accepted at write time. */
export const MAX_MODEL_PATTERN_LENGTH = 256;
/** Most patterns one list may hold. */
export const MAX_MODEL_PATTERNS = 500;

/**
 * Problems of a list of model patterns (write-time validation, 422 with JSON paths): each entry a
 * non-empty string without control characters, at most {@link MAX_MODEL_PATTERN_LENGTH} characters.
 */
export function modelPatternProblems(patterns: readonly unknown[], path: string): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (patterns.length > MAX_MODEL_PATTERNS) problems.push({ path, message: `must hold at most ${MAX_MODEL_PATTERNS} patterns` });
  patterns.forEach((pattern, i) => {
    if (typeof pattern !== 'string' || pattern.trim() === '')
      problems.push({ path: `${path}[${i}]`, message: 'must be a non-empty string' });
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(pattern))
      problems.push({ path: `${path}[${i}]`, message: 'must not contain control characters' });
    else if (pattern.length > MAX_MODEL_PATTERN_LENGTH)
      problems.push({ path: `${path}[${i}]`, message: `must be at most ${MAX_MODEL_PATTERN_LENGTH} characters` });
  });
  return problems;
}
