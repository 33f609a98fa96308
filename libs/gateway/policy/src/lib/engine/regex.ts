import { RE2JS } from 're2js';

/** Longest regex source accepted in a policy. */
export const MAX_REGEX_LENGTH = 4096;
/** Largest compiled RE2 program (instructions) accepted in a policy: keeps memory and match cost bounded. */
export const MAX_REGEX_PROGRAM_SIZE = 20_000;

/** A compiled, linear-time matcher (RE2 semantics, unanchored search). */
export interface TextMatcher {
  readonly source: string;
  test(input: string): boolean;
}

/** A regex a policy cannot use, with the reason (the validator reports it at the regex's path). */
export class RegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexError';
  }
}

const LOOKAROUND = /\(\?<?[=!]/;
const BACKREFERENCE = /\\[1-9]|\\k<|\\g[{<\d-]/;

function explain(pattern: string, reason: string): string {
  if (LOOKAROUND.test(pattern)) return 'lookaround ((?=…), (?!…), (?<=…), (?<!…)) is not supported: regexes use RE2 syntax';
  if (BACKREFERENCE.test(pattern)) return 'backreferences (\\1, \\k<name>) are not supported: regexes use RE2 syntax';
  return reason.replace(/^error parsing regexp: /, '');
}

/**
 * Compiles `pattern` in RE2 syntax (inline flags such as `(?i)`, `(?s)`, `(?m)` included) on the
 * linear-time re2js engine. Lookbehinds stay disabled, so every RE2-incompatible construct —
 * backreferences, lookahead and lookbehind — is a syntax error. Throws {@link RegexError} when the
 * pattern does not compile within {@link MAX_REGEX_LENGTH} characters and
 * {@link MAX_REGEX_PROGRAM_SIZE} instructions.
 */
export function compileRegex(pattern: string): RE2JS {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw new RegexError(`regex is ${pattern.length} characters long; the limit is ${MAX_REGEX_LENGTH}`);
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw new RegexError(`invalid regex: ${explain(pattern, error instanceof Error ? error.message : String(error))}`);
  }
  const size = compiled.programSize();
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    throw new RegexError(`regex compiles to ${size} instructions; the limit is ${MAX_REGEX_PROGRAM_SIZE}`);
  }
  return compiled;
}

/** A regex search matcher (`regex` operator, custom patterns). */
export function regexMatcher(pattern: string): TextMatcher {
  const re = compileRegex(pattern);
  return { source: pattern, test: (input) => re.test(input) };
}

/**
 * The RE2 pattern equivalent to a policy glob (policies.md §3): `*` = any run of characters
 * (newlines and `/` included), `?` = exactly one character, everything else literal,
 * case-sensitive, the whole string must match.
 */
export function globToRegex(glob: string): string {
  let out = '(?s)^';
  let literal = '';
  for (const ch of glob) {
    if (ch === '*' || ch === '?') {
      if (literal) out += RE2JS.quote(literal);
      literal = '';
      // A run of `*` is one run: `**` adds nothing.
      if (ch === '?') out += '.';
      else if (!out.endsWith('.*')) out += '.*';
    } else {
      literal += ch;
    }
  }
  if (literal) out += RE2JS.quote(literal);
  return out + '$';
}

/** A glob matcher (`glob` operator, tool names), compiled once to an RE2 program. */
export function globMatcher(glob: string): TextMatcher {
  if (!glob.includes('*') && !glob.includes('?')) return { source: glob, test: (input) => input === glob };
  const re = compileRegex(globToRegex(glob));
  return { source: glob, test: (input) => re.test(input) };
}
