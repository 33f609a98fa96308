import { FIELD_GRAMMAR, parseBranchField, parseField, parsePath, resolvePath, type ParsedField } from './fields';
import { testView } from './test-view';

function field(name: string): ParsedField {
  const parsed = parseField(name);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function read(name: string, view = testView()): unknown {
  const result = field(name).read(view);
  return result.found ? result.value : '<not found>';
}

describe('parsePath', () => {
  it('parses keys, [n] and [*]', () => {
    expect(parsePath('messages[*].content')).toEqual([{ kind: 'key', key: 'messages' }, { kind: 'all' }, { kind: 'key', key: 'content' }]);
    expect(parsePath('a[0][2].b')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'index', index: 0 },
      { kind: 'index', index: 2 },
      { kind: 'key', key: 'b' },
    ]);
    expect(parsePath('x-y_z')).toEqual([{ kind: 'key', key: 'x-y_z' }]);
  });

  it('rejects malformed paths', () => {
    for (const bad of ['', '.a', 'a.', 'a..b', 'a[', 'a[x]', 'a[-1]', '[0]', 'a]b', 'a[0]b']) expect(parsePath(bad)).toBeNull();
  });
});

describe('resolvePath', () => {
  const body = { a: { b: [{ c: 1 }, { c: 2 }, { d: 3 }], n: null }, list: [[1, 2], [3]] };

  it('reads keys and indexes', () => {
    expect(resolvePath(body, parsePath('a.b[1].c') ?? [])).toEqual({ found: true, value: 2 });
    expect(resolvePath(body, parsePath('a.b[5].c') ?? [])).toEqual({ found: false });
    expect(resolvePath(body, parsePath('a.missing') ?? [])).toEqual({ found: false });
  });

  it('treats null as not resolving', () => {
    expect(resolvePath(body, parsePath('a.n') ?? [])).toEqual({ found: false });
  });

  it('collects [*] across elements, skipping elements without the key', () => {
    expect(resolvePath(body, parsePath('a.b[*].c') ?? [])).toEqual({ found: true, value: [1, 2] });
    expect(resolvePath(body, parsePath('list[*][*]') ?? [])).toEqual({ found: true, value: [1, 2, 3] });
    expect(resolvePath(body, parsePath('a.b[*].zzz') ?? [])).toEqual({ found: false });
    expect(resolvePath({ a: { b: [] } }, parsePath('a.b[*]') ?? [])).toEqual({ found: false });
  });

  it('does not read inherited properties', () => {
    expect(resolvePath({}, parsePath('constructor') ?? [])).toEqual({ found: false });
  });
});

describe('parseField (policies.md §4)', () => {
  it('reads every scalar field', () => {
    expect(read('request.method')).toBe('POST');
    expect(read('request.path')).toBe('/v1/chat/completions');
    expect(read('request.body_size')).toBe(120);
    expect(read('request.model_alias')).toBe('fast');
    expect(read('agent.name')).toBe('billing-bot');
    expect(read('token.id')).toBe('tok_' + 'a'.repeat(24));
    expect(read('token.name')).toBe('agent-1');
    expect(read('token.project_id')).toBe('00000000-0000-0000-0000-000000000001');
    expect(read('token.team_id')).toBe('<not found>');
    expect(read('context.ip')).toBe('203.0.113.7');
    expect(read('context.time.hour')).toBe(14);
    expect(read('context.time.weekday')).toBe('wed');
    expect(read('context.time.date')).toBe('2026-03-04');
    expect(read('usage.spend_today_usd')).toBe(1.25);
    expect(read('usage.spend_month_usd')).toBe(30);
    expect(read('usage.requests_today')).toBe(41);
    expect(read('usage.requests_this_hour')).toBe(3);
    expect((read('request.body') as { model: string }).model).toBe('gpt-4o');
  });

  it('reads body paths, headers (case-insensitive), query parameters and tags', () => {
    expect(read('request.body.model')).toBe('gpt-4o');
    expect(read('request.body.messages[1].role')).toBe('user');
    expect(read('request.body.messages[*].role')).toEqual(['system', 'user']);
    expect(read('request.body.tools[*].function.name')).toEqual(['sql_exec', 'web_search']);
    expect(read('request.body.metadata.user')).toBe('<not found>');
    expect(read('request.headers.Content-Type')).toBe('application/json');
    expect(read('request.headers.x-multi')).toBe('a, b');
    expect(read('request.headers.x-absent')).toBe('<not found>');
    expect(read('request.query.api-version')).toBe('2024-02-01');
    expect(read('request.query.tag')).toBe('one');
    expect(read('token.tags.env')).toBe('prod');
    expect(read('token.tags.nope')).toBe('<not found>');
  });

  it('reads response fields in the post phase, marking them post-only', () => {
    const view = testView({
      response: {
        status: 502,
        body: { choices: [{ message: { content: 'hi' } }] },
        header: (n) => (n === 'x-upstream' ? 'u1' : undefined),
      },
    });
    expect(field('response.status').phase).toBe('post');
    expect(field('response.body.choices[0].message.content').phase).toBe('post');
    expect(field('response.headers.X-Upstream').phase).toBe('post');
    expect(read('response.status', view)).toBe(502);
    expect(read('response.body.choices[0].message.content', view)).toBe('hi');
    expect(read('response.headers.X-Upstream', view)).toBe('u1');
    expect(read('response.status')).toBe('<not found>');
    expect(field('request.method').phase).toBe('both');
  });

  it('flags usage.* fields', () => {
    expect(field('usage.requests_today').usesUsage).toBe(true);
    expect(field('request.method').usesUsage).toBe(false);
  });

  it('rejects fields outside the grammar', () => {
    expect(parseField('request.bodyx')).toBe("unknown field 'request.bodyx'");
    expect(parseField('model')).toBe("unknown field 'model'");
    expect(parseField('request.body.')).toMatch(/malformed body path/);
    expect(parseField('request.body.a[x]')).toMatch(/malformed body path/);
    expect(parseField('request.headers.')).toMatch(/invalid header name/);
    expect(parseField('request.headers.bad name')).toMatch(/invalid header name/);
    expect(parseField('request.query.')).toBe('missing query parameter name');
    expect(parseField('token.tags.')).toBe('missing tag key');
    expect(parseField('response.body')).toBe("unknown field 'response.body'");
    expect(parseField('usage.spend_year_usd')).toBe("unknown field 'usage.spend_year_usd'");
  });

  it('lists every form of the grammar', () => {
    expect(FIELD_GRAMMAR).toHaveLength(25);
  });
});

describe('parseBranchField (proxy.md §11)', () => {
  const view = {
    body: { model: 'gpt-4o', n: [1, 2] },
    header: (n: string) => (n === 'x-tier' ? 'gold' : undefined),
    metadata: { team: 'red' },
  };

  it('reads body, header and metadata fields', () => {
    const body = parseBranchField('body.model');
    const header = parseBranchField('header.X-Tier');
    const meta = parseBranchField('metadata.team');
    if (typeof body === 'string' || typeof header === 'string' || typeof meta === 'string') throw new Error('parse failed');
    expect(body(view)).toEqual({ found: true, value: 'gpt-4o' });
    expect(header(view)).toEqual({ found: true, value: 'gold' });
    expect(meta(view)).toEqual({ found: true, value: 'red' });
    expect(meta({ ...view, metadata: null })).toEqual({ found: false });
  });

  it('rejects other fields', () => {
    expect(parseBranchField('request.body.model')).toMatch(/unknown branch field/);
    expect(parseBranchField('metadata.')).toBe('missing metadata key');
  });
});
