import { diffLines } from './line-diff';
import { locatePath, parseWithPositions, pathPrefixes } from './policy-json';

const RULES = `[
  {
    "when": { "field": "request.method", "op": "not_in", "value": ["GET"] },
    "then": [
      { "action": "rate_limit", "max_requests": 10 },
      { "action": "tag", "key": "a.b", "value": "x" }
    ]
  }
]`;

describe('parseWithPositions', () => {
  it('parses like JSON.parse and records each value under the gateway’s JSON path', () => {
    const result = parseWithPositions(RULES, '$.rules');
    if (!result.ok) throw new Error(result.message);
    expect(result.value).toEqual(JSON.parse(RULES));
    const at = (path: string) => {
      const p = result.positions.get(path);
      return p ? [p.line, p.column] : null;
    };
    expect(at('$.rules')).toEqual([1, 1]);
    expect(at('$.rules[0]')).toEqual([2, 3]);
    expect(at('$.rules[0].when')).toEqual([3, 5]);
    expect(at('$.rules[0].when.op')).toEqual([3, 42]);
    expect(at('$.rules[0].when.value[0]')).toEqual([3, 68]);
    expect(at('$.rules[0].then[1].key')).toEqual([6, 26]);
    expect(at('$.rules[1]')).toBeNull();
  });

  it('names keys that are not identifiers the way the gateway does', () => {
    const result = parseWithPositions('{"a.b": {"it\'s": 1}}');
    expect(result.ok && Array.from(result.positions.keys())).toEqual(['$', "$['a.b']", "$['a.b']['it\\'s']"]);
  });

  it('reports a syntax error with its line and column instead of throwing', () => {
    const result = parseWithPositions('[\n  { "then": { "action": "log" }, }\n]');
    expect(result).toEqual({ ok: false, message: "expected a quoted key, found '}'", position: { line: 2, column: 34, offset: 35 } });
    expect(parseWithPositions('[1, 2').ok).toBe(false);
    expect(parseWithPositions('"abc').ok).toBe(false);
    expect(parseWithPositions('[1] x')).toMatchObject({ ok: false, message: "unexpected 'x' after the end of the value" });
    expect(parseWithPositions('')).toMatchObject({ ok: false, message: 'unexpected the end of the text' });
  });
});

describe('locatePath', () => {
  const parsed = parseWithPositions(RULES, '$.rules');
  const positions = parsed.ok ? parsed.positions : new Map();

  it('finds a path exactly, or its deepest ancestor for a missing parameter', () => {
    expect(locatePath(positions, '$.rules[0].when.op')).toMatchObject({ position: { line: 3 }, exact: true });
    expect(locatePath(positions, '$.rules[0].then[0].window')).toMatchObject({ position: { line: 5, column: 7 }, exact: false });
    expect(locatePath(positions, '$.name')).toBeNull();
  });

  it('splits paths into their prefixes', () => {
    expect(pathPrefixes("$.rules[0]['a.b'].x")).toEqual(['$', '$.rules', '$.rules[0]', "$.rules[0]['a.b']", "$.rules[0]['a.b'].x"]);
    expect(pathPrefixes('rules')).toEqual([]);
  });
});

describe('diffLines', () => {
  it('marks removed and added lines in order, keeping common ones', () => {
    expect(diffLines('a\nb\nc\nd', 'a\nc\nx\nd')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'd' },
    ]);
    expect(diffLines('same', 'same')).toEqual([{ kind: 'same', text: 'same' }]);
    expect(diffLines('', 'new')).toEqual([
      { kind: 'removed', text: '' },
      { kind: 'added', text: 'new' },
    ]);
  });

  it('shows a change of one value as one line removed and one added', () => {
    const before = JSON.stringify({ mode: 'enforce', rules: [{ then: { action: 'log' } }] }, null, 2);
    const after = JSON.stringify({ mode: 'shadow', rules: [{ then: { action: 'log' } }] }, null, 2);
    const changed = diffLines(before, after).filter((l) => l.kind !== 'same');
    expect(changed).toEqual([
      { kind: 'removed', text: '  "mode": "enforce",' },
      { kind: 'added', text: '  "mode": "shadow",' },
    ]);
  });
});
