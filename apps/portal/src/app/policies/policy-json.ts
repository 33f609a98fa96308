/**
 * JSON with positions, for the policy editor: parses the text of the `rules` textarea and records
 * where each value starts, under the JSON path the gateway uses in its 422 problems
 * (`$.rules[0].when.op`; keys that are not identifiers as `$['a.b']`), so that every problem can be
 * shown at its line.
 */

/** 1-based line and column, and the 0-based offset in the text. */
export interface TextPosition {
  line: number;
  column: number;
  offset: number;
}

export type JsonParseResult =
  | { ok: true; value: unknown; positions: ReadonlyMap<string, TextPosition> }
  | { ok: false; message: string; position: TextPosition };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The gateway's JSON path of a member (json-path.ts in the policy library). */
export function childPath(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return `${parent}.${key}`;
  return `${parent}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Line and column of an offset. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}

/**
 * Parses `text` as JSON (strict: what `JSON.parse` accepts), recording the position of every value
 * under its path below `rootPath`; for an object member, the position of its key. A syntax error
 * comes back with its line and column instead of throwing.
 */
export function parseWithPositions(text: string, rootPath = '$'): JsonParseResult {
  const offsets = new Map<string, number>();
  let i = 0;

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, at);
  };
  const skip = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const describe = (): string => (i >= text.length ? 'the end of the text' : `'${text[i]}'`);

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        try {
          return JSON.parse(text.slice(start, i)) as string;
        } catch {
          return fail('invalid escape in a string', start);
        }
      }
      if (c === '\\') i += 2;
      else if (c !== undefined && c < ' ') return fail('control character in a string');
      else i++;
    }
    return fail('unterminated string', start);
  };

  const parseValue = (path: string, record = true): unknown => {
    skip();
    if (record && !offsets.has(path)) offsets.set(path, i);
    const c = text[i];
    if (c === '{') {
      i++;
      const result: Record<string, unknown> = {};
      skip();
      if (text[i] === '}') {
        i++;
        return result;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail(`expected a quoted key, found ${describe()}`);
        const keyAt = i;
        const key = parseString();
        const member = childPath(path, key);
        offsets.set(member, keyAt);
        skip();
        if (text[i] !== ':') fail(`expected ':' after the key, found ${describe()}`);
        i++;
        result[key] = parseValue(member, false);
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return result;
        }
        fail(`expected ',' or '}', found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const result: unknown[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return result;
      }
      for (;;) {
        result.push(parseValue(`${path}[${result.length}]`));
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return result;
        }
        fail(`expected ',' or ']', found ${describe()}`);
      }
    }
    if (c === '"') return parseString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!literal) return fail(`unexpected ${describe()}`);
    i += literal[0].length;
    return JSON.parse(literal[0]) as unknown;
  };

  try {
    const value = parseValue(rootPath);
    skip();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the value`);
    const positions = new Map<string, TextPosition>();
    for (const [path, offset] of offsets) positions.set(path, positionAt(text, offset));
    return { ok: true, value, positions };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message, position: positionAt(text, error.offset) };
    throw error;
  }
}

/** `$.rules[0]['a.b'].x` → [`$`, `$.rules`, `$.rules[0]`, `$.rules[0]['a.b']`, `$.rules[0]['a.b'].x`]. */
export function pathPrefixes(path: string): string[] {
  const prefixes: string[] = [];
  const segment = /\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\['(?:[^'\\]|\\.)*'\]/y;
  if (!path.startsWith('$')) return prefixes;
  let at = 1;
  prefixes.push('$');
  while (at < path.length) {
    segment.lastIndex = at;
    const match = segment.exec(path);
    if (!match) break;
    at += match[0].length;
    prefixes.push(path.slice(0, at));
  }
  return prefixes;
}

/**
 * Where a problem's path points in the text: the value (or member key) at the path, else at its
 * deepest existing ancestor (a missing parameter is reported at the path it should have); null when
 * no part of the path is in the text.
 */
export function locatePath(positions: ReadonlyMap<string, TextPosition>, path: string): { position: TextPosition; exact: boolean } | null {
  const prefixes = pathPrefixes(path);
  for (let k = prefixes.length - 1; k >= 0; k--) {
    const position = positions.get(prefixes[k] ?? '');
    if (position) return { position, exact: k === prefixes.length - 1 };
  }
  return null;
}
