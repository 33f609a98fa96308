import type { ValidationProblem } from '@ailink/shared-contracts';
import { MAX_RULES_BYTES, compilePolicyDocument, type CompiledDocument } from './policy-compiler';
import { testView } from './test-view';

function problemsOf(doc: unknown, options = {}): ValidationProblem[] {
  const result = compilePolicyDocument(doc, options);
  expect(result.compiled === undefined).toBe(result.problems.length > 0);
  return result.problems;
}

function compiled(doc: unknown): CompiledDocument {
  const result = compilePolicyDocument(doc, { allowProjectId: true });
  expect(result.problems).toEqual([]);
  if (!result.compiled) throw new Error('not compiled');
  return result.compiled;
}

const rule = (when: unknown, then: unknown = { action: 'deny' }): Record<string, unknown> => ({ when, then });
const policy = (rules: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'p', rules, ...extra });
const one = (doc: unknown): ValidationProblem => {
  const found = problemsOf(doc);
  expect(found).toHaveLength(1);
  return found[0] as ValidationProblem;
};

describe('policy validation (policies.md §2)', () => {
  describe('the malformed cases', () => {
    it('bad operator', () => {
      expect(one(policy([rule({ field: 'request.method', op: 'not_in', value: ['GET'] })]))).toEqual({
        path: '$.rules[0].when.op',
        message:
          "unknown operator 'not_in'; expected one of eq, neq, gt, gte, lt, lte, in, contains, starts_with, ends_with, glob, regex, exists",
      });
      expect(one(policy([rule({ field: 'request.method', value: 'GET' })]))).toEqual({
        path: '$.rules[0].when.op',
        message: "missing 'op'",
      });
      expect(one(policy([rule({ field: 'request.method', op: 7, value: 'GET' })])).message).toMatch(/^unknown operator number/);
    });

    it('bad regex', () => {
      expect(one(policy([rule({ field: 'request.path', op: 'regex', value: '([a-z' })]))).toEqual({
        path: '$.rules[0].when.value',
        message: 'invalid regex: missing closing ]: `[a-z`',
      });
    });

    it('regexes RE2 cannot run: backreferences and lookaround', () => {
      expect(one(policy([rule({ field: 'request.body.model', op: 'regex', value: '(gpt)-\\1' })]))).toEqual({
        path: '$.rules[0].when.value',
        message: 'invalid regex: backreferences (\\1, \\k<name>) are not supported: regexes use RE2 syntax',
      });
      for (const pattern of ['gpt(?=-4)', 'gpt(?!-3)', '(?<=x)y', '(?<!x)y']) {
        const problem = one(policy([rule({ field: 'request.body.model', op: 'regex', value: pattern })]));
        expect(problem.path).toBe('$.rules[0].when.value');
        expect(problem.message).toMatch(/lookaround .* is not supported/);
      }
    });

    it('regexes in actions: custom redact patterns and regex_replace', () => {
      const found = problemsOf(
        policy([
          rule({ always: true }, [
            { action: 'redact', patterns: ['email', '(a)\\1'] },
            { action: 'transform', operations: [{ type: 'regex_replace', pattern: 'x(?=y)', replacement: '' }] },
          ]),
        ]),
      );
      expect(found.map((p) => p.path)).toEqual(['$.rules[0].then[0].patterns[1]', '$.rules[0].then[1].operations[0].pattern']);
    });

    it('wrong types', () => {
      const found = problemsOf({
        name: 42,
        mode: true,
        phase: 'pre',
        rules: [{ when: { field: 'request.body_size', op: 'gt', value: 'big' }, then: 'deny', async_check: 'no' }],
        buffer_streaming_for_post_flight: 'yes',
        retry: [],
      });
      expect(found).toEqual([
        { path: '$.name', message: 'expected a string, got number' },
        { path: '$.mode', message: "unknown mode boolean; expected one of 'enforce', 'shadow'" },
        { path: '$.buffer_streaming_for_post_flight', message: 'expected a boolean, got string' },
        { path: '$.retry', message: 'expected an object, got array' },
        { path: '$.rules[0].async_check', message: 'expected a boolean, got string' },
        { path: '$.rules[0].when.value', message: "'gt' needs a numeric value, got string" },
        { path: '$.rules[0].then', message: 'expected an action object or an array of actions, got string' },
      ]);
      expect(one({ name: 'p', rules: {} })).toEqual({ path: '$.rules', message: 'expected an array, got object' });
      expect(one('policy')).toEqual({ path: '$', message: 'expected a policy object, got string' });
      expect(one(policy([rule({ field: 'request.method', op: 'in', value: 'GET' })]))).toEqual({
        path: '$.rules[0].when.value',
        message: "'in' needs an array value, got string",
      });
      expect(one(policy([rule({ field: 'request.method', op: 'eq' })]))).toEqual({
        path: '$.rules[0].when.value',
        message: "missing 'value' for operator 'eq'",
      });
      expect(one(policy([rule({ field: 'request.method', op: 'exists', value: 'yes' })]))).toEqual({
        path: '$.rules[0].when.value',
        message: "'exists' takes no value, or a boolean; got string",
      });
      expect(one(policy([rule({ field: 'request.method', op: 'glob', value: 5 })]))).toEqual({
        path: '$.rules[0].when.value',
        message: "'glob' needs a string value, got number",
      });
      expect(one(policy([rule({ field: 'request.method', op: 'contains', value: { a: 1 } })])).path).toBe('$.rules[0].when.value');
      expect(one(policy([rule({ field: 'request.method', op: 'eq', value: null })])).path).toBe('$.rules[0].when.value');
      expect(one(policy([rule({ always: true }, { action: 'deny', status: '403' })]))).toEqual({
        path: '$.rules[0].then.status',
        message: 'expected an integer, got string',
      });
    });

    it('unknown fields at every level', () => {
      const found = problemsOf({
        name: 'p',
        description: 'not a policy field',
        rules: [
          {
            when: { field: 'request.method', op: 'eq', value: 'GET', case_insensitive: true },
            then: [
              { action: 'deny', reason: 'x' },
              { action: 'transform', operations: [{ type: 'set_header', name: 'x-a', value: 'b', mode: 'x' }] },
            ],
            priority: 1,
          },
        ],
        retry: { max_retries: 2, backoff: 'fast' },
      });
      expect(found).toEqual([
        { path: '$.description', message: "unknown field 'description'" },
        { path: '$.retry.backoff', message: "unknown retry key 'backoff'" },
        { path: '$.rules[0].priority', message: "unknown rule key 'priority'" },
        { path: '$.rules[0].when.case_insensitive', message: "unknown condition key 'case_insensitive'" },
        { path: '$.rules[0].then[0].reason', message: "unknown parameter for action 'deny': 'reason'" },
        { path: '$.rules[0].then[1].operations[0].mode', message: "unknown key for transform 'set_header': 'mode'" },
      ]);
    });

    it('a 1 MB document (size limit)', () => {
      const big = 'x'.repeat(1024);
      const rules = Array.from({ length: 1000 }, (_, i) => rule({ field: 'request.path', op: 'eq', value: `${big}${i}` }));
      const found = problemsOf(policy(rules));
      expect(found).toEqual([{ path: '$.rules', message: 'must hold at most 200 items, got 1000' }]);
      const fewButHuge = Array.from({ length: 10 }, () => rule({ field: 'request.path', op: 'eq', value: 'y'.repeat(100 * 1024) }));
      expect(one(policy(fewButHuge))).toEqual({
        path: '$.rules',
        message: expect.stringMatching(/^rules serialise to \d+ bytes; the limit is 65536 \(64 KiB\)$/),
      });
    });

    it('accepts rules up to 64 KiB', () => {
      const value = 'z'.repeat(MAX_RULES_BYTES - 200);
      expect(problemsOf(policy([rule({ field: 'request.path', op: 'eq', value })]))).toEqual([]);
    });

    it('actions that are not available yet: content_filter, external_guardrail, webhook', () => {
      const found = problemsOf(
        policy([
          rule({ always: true }, [{ action: 'log' }, { action: 'content_filter', block_threshold: 0.5 }]),
          rule({ always: true }, [{ action: 'external_guardrail', vendor: 'x', endpoint: 'https://g.example.com' }]),
          rule({ always: true }, [{ action: 'webhook', url: 'https://hooks.example.com' }]),
        ]),
      );
      expect(found).toEqual([
        { path: '$.rules[0].then[1].action', message: "action 'content_filter' is not available yet" },
        { path: '$.rules[1].then[0].action', message: "action 'external_guardrail' is not available yet" },
        { path: '$.rules[2].then[0].action', message: "action 'webhook' is not available yet" },
      ]);
    });
  });

  it('reports every problem, not the first', () => {
    const found = problemsOf({
      mode: 'audit',
      phase: 'middle',
      rules: [
        rule({ field: 'request.nope', op: 'eq', value: 1 }, [{ action: 'explode' }]),
        rule({ field: 'request.method', op: 'not_in', value: [] }),
      ],
    });
    expect(found).toEqual([
      { path: '$.name', message: "missing required field 'name'" },
      { path: '$.mode', message: "unknown mode 'audit'; expected one of 'enforce', 'shadow'" },
      { path: '$.phase', message: "unknown phase 'middle'; expected one of 'pre', 'post'" },
      { path: '$.rules[0].when.field', message: "unknown field 'request.nope'" },
      { path: '$.rules[0].then[0].action', message: "unknown action 'explode'" },
      { path: '$.rules[1].when.op', message: expect.stringMatching(/^unknown operator 'not_in'/) },
    ]);
  });

  it('checks names, rule counts and required parts', () => {
    expect(one({ rules: [] })).toEqual({ path: '$.name', message: "missing required field 'name'" });
    expect(one({ name: '', rules: [] })).toEqual({ path: '$.name', message: 'must not be empty' });
    expect(one({ name: '   ', rules: [] })).toEqual({ path: '$.name', message: 'must not be empty' });
    expect(one({ name: 'n'.repeat(129), rules: [] })).toEqual({ path: '$.name', message: 'must be at most 128 characters' });
    expect(one({ name: 'p' })).toEqual({ path: '$.rules', message: "missing required field 'rules'" });
    expect(one(policy([{ when: { always: true } }]))).toEqual({
      path: '$.rules[0].then',
      message: "missing 'then': a rule needs at least one action",
    });
    expect(one(policy([{ then: [] }]))).toEqual({ path: '$.rules[0].then', message: 'a rule needs at least one action' });
    expect(one(policy([{ then: [{ stop: true }] }]))).toEqual({ path: '$.rules[0].then[0].action', message: "missing 'action'" });
    expect(problemsOf(policy(Array.from({ length: 200 }, () => ({ then: { action: 'log' } }))))).toEqual([]);
  });

  it('refuses actions outside their phase', () => {
    const pre = problemsOf(policy([rule({ always: true }, [{ action: 'validate_schema', schema: { type: 'object' } }])]));
    expect(pre).toEqual([{ path: '$.rules[0].then[0].action', message: "action 'validate_schema' cannot run in a pre-phase policy" }]);
    const post = problemsOf(
      policy(
        [
          rule({ always: true }, [
            { action: 'rate_limit', window: '1m', max_requests: 5 },
            { action: 'throttle', delay_ms: 10 },
            { action: 'require_approval' },
            { action: 'tool_scope', blocked_tools: ['x'] },
            { action: 'override', set_body_fields: { a: 1 } },
            { action: 'split', variants: [{ weight: 1, set_body_fields: {} }] },
            { action: 'dynamic_route', strategy: 'round_robin', pool: [{ model: 'm', upstream_url: 'https://a.example.com' }] },
            { action: 'conditional_route', branches: [{ condition: { field: 'body.model', op: 'exists' }, target: { model: 'm' } }] },
            { action: 'redact', direction: 'request' },
          ]),
        ],
        { phase: 'post' },
      ),
    );
    expect(post.map((p) => p.path)).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((j) => `$.rules[0].then[${j}].action`).concat('$.rules[0].then[8].direction'),
    );
    expect(post[8]?.message).toBe("direction 'request' is invalid in a post-phase policy");
  });

  it('refuses blocking or mutating actions in async_check rules', () => {
    const found = problemsOf(
      policy([
        {
          when: { always: true },
          async_check: true,
          then: [{ action: 'log' }, { action: 'deny' }, { action: 'tag', key: 'k', value: 'v' }],
        },
        { async_check: true, then: { action: 'redact', patterns: ['email'] } },
        { async_check: true, then: { action: 'transform', operations: [{ type: 'remove_header', name: 'x' }] } },
      ]),
    );
    expect(found).toEqual([
      { path: '$.rules[0].then[1].action', message: expect.stringMatching(/^action 'deny' cannot be used in an async_check rule/) },
      { path: '$.rules[2].then.action', message: expect.stringMatching(/^action 'transform' cannot be used in an async_check rule/) },
    ]);
  });

  describe('action parameters (policies.md §6)', () => {
    const problemsOfAction = (action: Record<string, unknown>, phase = 'pre'): ValidationProblem[] =>
      problemsOf(policy([{ then: [action] }], { phase }));

    it('deny', () => {
      expect(problemsOfAction({ action: 'deny', status: 503 })).toEqual([
        { path: '$.rules[0].then[0].status', message: 'must be between 400 and 499' },
      ]);
      expect(problemsOfAction({ action: 'deny', status: 429, message: 'slow down' })).toEqual([]);
    });

    it('rate_limit', () => {
      expect(problemsOfAction({ action: 'rate_limit', max_requests: 0, window: '5 minutes', key: 'per_planet' })).toEqual([
        { path: '$.rules[0].then[0].window', message: "expected duration like '60s', '5m', '1h', '1d'" },
        { path: '$.rules[0].then[0].max_requests', message: 'must be between 1 and 100000' },
        {
          path: '$.rules[0].then[0].key',
          message: "unknown key 'per_planet'; expected one of 'per_token', 'per_agent', 'per_ip', 'per_user', 'global'",
        },
      ]);
      expect(problemsOfAction({ action: 'rate_limit', window: '31d', max_requests: 1 })).toEqual([
        { path: '$.rules[0].then[0].window', message: 'must be between 1s and 30d' },
      ]);
      expect(problemsOfAction({ action: 'rate_limit' }).map((p) => p.path)).toEqual([
        '$.rules[0].then[0].window',
        '$.rules[0].then[0].max_requests',
      ]);
      expect(problemsOfAction({ action: 'rate_limit', window: '30d', max_requests: 100000, key: 'global' })).toEqual([]);
    });

    it('throttle', () => {
      expect(problemsOfAction({ action: 'throttle', delay_ms: 60001 })).toEqual([
        { path: '$.rules[0].then[0].delay_ms', message: 'must be between 0 and 60000' },
      ]);
      expect(problemsOfAction({ action: 'throttle' })).toEqual([
        { path: '$.rules[0].then[0].delay_ms', message: "missing required parameter 'delay_ms'" },
      ]);
    });

    it('require_approval', () => {
      expect(
        problemsOfAction({
          action: 'require_approval',
          mode: 'later',
          timeout: '8d',
          fallback: 'maybe',
          notify: { type: 'webhook', channel: '#x', extra: 1 },
        }).map((p) => p.path),
      ).toEqual([
        '$.rules[0].then[0].mode',
        '$.rules[0].then[0].timeout',
        '$.rules[0].then[0].fallback',
        '$.rules[0].then[0].notify.extra',
        '$.rules[0].then[0].notify.url',
      ]);
      expect(problemsOfAction({ action: 'require_approval', notify: { type: 'webhook', url: 'ftp://x' } })).toEqual([
        { path: '$.rules[0].then[0].notify.url', message: 'must be an absolute http or https URL' },
      ]);
      expect(
        problemsOfAction({ action: 'require_approval', mode: 'async', timeout: '7d', notify: { type: 'slack', channel: '#ops' } }),
      ).toEqual([]);
    });

    it('redact', () => {
      expect(
        problemsOfAction({ action: 'redact', direction: 'sideways', patterns: 'email', fields: [1], on_match: 'shred' }).map((p) => p.path),
      ).toEqual([
        '$.rules[0].then[0].direction',
        '$.rules[0].then[0].patterns',
        '$.rules[0].then[0].fields[0]',
        '$.rules[0].then[0].on_match',
      ]);
      expect(
        problemsOfAction({ action: 'redact', patterns: ['email', 'ssn', 'ACME-\\d{6}'], fields: ['password'], on_match: 'block' }),
      ).toEqual([]);
      // The tokenization vault is not built yet.
      expect(problemsOfAction({ action: 'redact', patterns: ['email'], on_match: 'tokenize' })).toEqual([
        { path: '$.rules[0].then[0].on_match', message: "on_match 'tokenize' is not available yet" },
      ]);
    });

    it('tool_scope', () => {
      expect(problemsOfAction({ action: 'tool_scope', allowed_tools: ['web_*', 3], deny_message: 5 }).map((p) => p.path)).toEqual([
        '$.rules[0].then[0].allowed_tools[1]',
        '$.rules[0].then[0].deny_message',
      ]);
    });

    it('validate_schema', () => {
      expect(problemsOfAction({ action: 'validate_schema', schema: 'object' }, 'post')).toEqual([
        { path: '$.rules[0].then[0].schema', message: 'expected a JSON Schema (object or boolean), got string' },
      ]);
      expect(problemsOfAction({ action: 'validate_schema' }, 'post')).toEqual([
        { path: '$.rules[0].then[0].schema', message: "missing required parameter 'schema'" },
      ]);
      expect(
        problemsOfAction({ action: 'validate_schema', schema: { type: 'object', required: ['a'] }, not: true, message: 'm' }, 'post'),
      ).toEqual([]);
      expect(problemsOfAction({ action: 'validate_schema', schema: true }, 'post')).toEqual([]);
      // The schema must compile (JSON Schema 2020-12): structural errors, unresolvable references and patterns RE2 cannot run are refused.
      const invalid = problemsOfAction({ action: 'validate_schema', schema: { type: 'objekt' } }, 'post');
      expect(invalid).toEqual([
        { path: '$.rules[0].then[0].schema', message: expect.stringMatching(/^invalid JSON Schema: schema is invalid/) },
      ]);
      // Unknown keywords and formats are annotations in JSON Schema 2020-12: accepted.
      expect(problemsOfAction({ action: 'validate_schema', schema: { type: 'string', format: 'x-custom', 'x-note': 1 } }, 'post')).toEqual(
        [],
      );
      expect(problemsOfAction({ action: 'validate_schema', schema: { type: 'string', pattern: '(a)\\1' } }, 'post')).toEqual([
        { path: '$.rules[0].then[0].schema', message: expect.stringMatching(/backreferences .* are not supported/) },
      ]);
      expect(problemsOfAction({ action: 'validate_schema', schema: { $ref: 'https://example.com/s.json' } }, 'post')).toEqual([
        { path: '$.rules[0].then[0].schema', message: expect.stringMatching(/^invalid JSON Schema: can't resolve reference/) },
      ]);
    });

    it('transform and its operations (policies.md §7)', () => {
      expect(problemsOfAction({ action: 'transform' })).toEqual([
        { path: '$.rules[0].then[0].operations', message: "missing required parameter 'operations'" },
      ]);
      expect(problemsOfAction({ action: 'transform', operations: [] })).toEqual([
        { path: '$.rules[0].then[0].operations', message: 'must hold at least 1 item' },
      ]);
      const found = problemsOfAction({
        action: 'transform',
        operations: [
          { type: 'set_header', name: 'Authorization', value: 'x' },
          { type: 'set_header', name: 'bad header', value: 'x' },
          { type: 'teleport' },
          { name: 'x' },
          { type: 'set_body_field', path: 'a[*].b' },
          { type: 'add_to_message_list', role: 'user', content: 'c', position: 'middle' },
          { type: 'append_system_prompt' },
        ],
      });
      expect(found.map((p) => p.path)).toEqual([
        '$.rules[0].then[0].operations[0].name',
        '$.rules[0].then[0].operations[1].name',
        '$.rules[0].then[0].operations[2].type',
        '$.rules[0].then[0].operations[3].type',
        '$.rules[0].then[0].operations[4].path',
        '$.rules[0].then[0].operations[4].value',
        '$.rules[0].then[0].operations[5].position',
        '$.rules[0].then[0].operations[6].text',
      ]);
      expect(found[0]?.message).toBe("header 'Authorization' cannot be set by a policy");
      expect(found[2]?.message).toMatch(/^unknown transform type 'teleport'/);
      // Nor removed (proxy.md §4: transforms never touch authorization, host, cookie, set-cookie, x-admin-key).
      expect(problemsOfAction({ action: 'transform', operations: [{ type: 'remove_header', name: 'Cookie' }] })).toEqual([
        { path: '$.rules[0].then[0].operations[0].name', message: "header 'Cookie' cannot be removed by a policy" },
      ]);
    });

    it('override, log, tag', () => {
      expect(problemsOfAction({ action: 'override', set_body_fields: [1] })).toEqual([
        { path: '$.rules[0].then[0].set_body_fields', message: 'expected an object, got array' },
      ]);
      expect(problemsOfAction({ action: 'log', level: 'loud', tags: { a: 1 } }).map((p) => p.path)).toEqual([
        '$.rules[0].then[0].level',
        '$.rules[0].then[0].tags.a',
      ]);
      expect(problemsOfAction({ action: 'tag', key: '' }).map((p) => p.path)).toEqual([
        '$.rules[0].then[0].key',
        '$.rules[0].then[0].value',
      ]);
    });

    it('split, dynamic_route, conditional_route', () => {
      expect(
        problemsOfAction({ action: 'split', variants: [{ weight: 0, set_body_fields: {} }, { weight: 1 }] }).map((p) => p.path),
      ).toEqual(['$.rules[0].then[0].variants[0].weight', '$.rules[0].then[0].variants[1].set_body_fields']);
      expect(
        problemsOfAction({
          action: 'dynamic_route',
          strategy: 'cheapest',
          pool: [{ model: 'm', upstream_url: 'not-a-url', credential_id: 'abc' }],
          fallback: {},
        }).map((p) => p.path),
      ).toEqual([
        '$.rules[0].then[0].strategy',
        '$.rules[0].then[0].pool[0].upstream_url',
        '$.rules[0].then[0].pool[0].credential_id',
        '$.rules[0].then[0].fallback',
      ]);
      expect(
        problemsOfAction({
          action: 'conditional_route',
          branches: [
            { condition: { field: 'request.body.model', op: 'eq', value: 'x' }, target: { model: 'm' } },
            { condition: { field: 'header.x-tier', op: 'gt', value: 1 }, target: { model: 'm' } },
            { condition: { field: 'metadata.team', op: 'regex', value: '(?=x)' }, target: { model: 'm' } },
          ],
        }).map((p) => p.path),
      ).toEqual([
        '$.rules[0].then[0].branches[0].condition.field',
        '$.rules[0].then[0].branches[1].condition.op',
        '$.rules[0].then[0].branches[2].condition.value',
      ]);
    });
  });

  it('refuses globs that do not compile within the limits', () => {
    expect(one(policy([rule({ field: 'request.path', op: 'glob', value: 'a?'.repeat(3000) })]))).toEqual({
      path: '$.rules[0].when.value',
      message: expect.stringMatching(/^glob does not compile: regex is \d+ characters long; the limit is 4096$/),
    });
    // Runs of * are one run: a long run is no problem.
    expect(problemsOf(policy([rule({ field: 'request.path', op: 'glob', value: '/v1/' + '*'.repeat(5000) })]))).toEqual([]);
  });

  it('accepts every field of the grammar in conditions', () => {
    const fields = [
      'request.method',
      'request.path',
      'request.body_size',
      'request.body',
      'request.body.messages[*].content',
      'request.headers.X-Custom',
      'request.query.api-version',
      'request.model_alias',
      'agent.name',
      'token.id',
      'token.name',
      'token.project_id',
      'token.team_id',
      'token.tags.env',
      'context.ip',
      'context.time.hour',
      'context.time.weekday',
      'context.time.date',
      'usage.spend_today_usd',
      'usage.spend_month_usd',
      'usage.requests_today',
      'usage.requests_this_hour',
    ];
    const postOnly = ['response.status', 'response.body.choices[0].message.content', 'response.headers.content-type'];
    const conditions = (list: string[]) => ({ any: list.map((field) => ({ field, op: 'exists' })) });
    expect(problemsOf(policy([rule(conditions(fields))]))).toEqual([]);
    expect(problemsOf(policy([rule(conditions([...fields, ...postOnly]))], { phase: 'post' }))).toEqual([]);
  });

  it('accepts every available action type with its parameters', () => {
    const pre = [
      { action: 'allow', stop: false },
      { action: 'deny', status: 400, message: 'm' },
      { action: 'rate_limit', window: '10s', max_requests: 3, key: 'per_agent' },
      { action: 'throttle', delay_ms: 0 },
      {
        action: 'require_approval',
        mode: 'wait',
        timeout: '30m',
        fallback: 'allow',
        notify: { type: 'webhook', url: 'https://h.example.com/x' },
      },
      { action: 'redact', direction: 'response', patterns: ['credit_card', 'iban'], fields: ['ssn'], on_match: 'block' },
      { action: 'tool_scope', allowed_tools: ['web_*', 'calc'], blocked_tools: ['shell?'], deny_message: 'no' },
      {
        action: 'transform',
        operations: [
          { type: 'set_header', name: 'x-team', value: 'red' },
          { type: 'remove_header', name: 'x-debug' },
          { type: 'append_system_prompt', text: 'a' },
          { type: 'prepend_system_prompt', text: 'b' },
          { type: 'regex_replace', pattern: '(?i)secret', replacement: '***', global: false },
          { type: 'set_body_field', path: 'metadata.source', value: { any: ['json'] } },
          { type: 'remove_body_field', path: 'user' },
          { type: 'add_to_message_list', role: 'system', content: 'c', position: 'first' },
        ],
      },
      { action: 'override', set_body_fields: { temperature: 0 } },
      { action: 'log', level: 'error', tags: { a: 'b' } },
      { action: 'tag', key: 'k', value: '' },
      {
        action: 'split',
        experiment: 'e1',
        variants: [
          { weight: 3, name: 'a', set_body_fields: { model: 'x' } },
          { weight: 1, set_body_fields: {} },
        ],
      },
      {
        action: 'dynamic_route',
        strategy: 'weighted_random',
        pool: [{ model: 'm1', upstream_url: 'https://a.example.com/v1' }],
        fallback: { model: 'm2', upstream_url: 'http://b.example.com' },
      },
      {
        action: 'conditional_route',
        branches: [
          { condition: { field: 'body.model', op: 'in', value: ['a', 'b'] }, target: { model: 'c' } },
          { condition: { field: 'metadata.tier', op: 'neq', value: 'free' }, target: { upstream_url: 'https://premium.example.com' } },
          { condition: { field: 'header.x-region', op: 'glob', value: 'eu-*' }, target: { model: 'eu' } },
        ],
        fallback: { model: 'default' },
      },
    ];
    expect(problemsOf(policy([{ then: pre }]))).toEqual([]);
    const post = [
      { action: 'allow' },
      { action: 'deny' },
      { action: 'redact', direction: 'response' },
      { action: 'validate_schema', schema: true },
      { action: 'transform', operations: [{ type: 'set_header', name: 'x-checked', value: '1' }] },
      { action: 'log' },
      { action: 'tag', key: 'k', value: 'v' },
    ];
    expect(problemsOf(policy([{ then: post }], { phase: 'post' }))).toEqual([]);
  });

  describe('retry (policies.md §8)', () => {
    it('refuses out-of-range values', () => {
      const found = problemsOf(
        policy([], { retry: { max_retries: 11, base_backoff_ms: 0, max_backoff_ms: 10, jitter_ms: 10001, status_codes: [200, 503, 'x'] } }),
      );
      expect(found.map((p) => p.path)).toEqual([
        '$.retry.max_retries',
        '$.retry.base_backoff_ms',
        '$.retry.jitter_ms',
        '$.retry.status_codes[0]',
        '$.retry.status_codes[2]',
      ]);
      expect(one(policy([], { retry: { base_backoff_ms: 5000, max_backoff_ms: 1000 } }))).toEqual({
        path: '$.retry.max_backoff_ms',
        message: 'must be at least base_backoff_ms (5000)',
      });
    });

    it('applies defaults', () => {
      expect(compiled(policy([], { retry: { max_retries: 1 } })).retry).toEqual({
        max_retries: 1,
        base_backoff_ms: 500,
        max_backoff_ms: 10000,
        jitter_ms: 200,
        status_codes: [429, 500, 502, 503, 504],
      });
      expect(compiled(policy([], { retry: null })).retry).toBeNull();
      expect(compiled(policy([])).retry).toBeNull();
    });
  });

  describe('accepted documents', () => {
    it('ignores read-only fields, so a GET → PUT round trip works', () => {
      const doc = {
        id: '9b0c1d4e-0000-4000-8000-000000000000',
        project_id: '00000000-0000-0000-0000-000000000001',
        name: 'p',
        mode: 'shadow',
        phase: 'post',
        rules: [],
        retry: null,
        buffer_streaming_for_post_flight: true,
        managed: false,
        presets: [],
        is_active: true,
        version: 3,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      };
      expect(problemsOf(doc)).toEqual([]);
    });

    it('takes project_id on create (and checks it is a UUID)', () => {
      expect(compilePolicyDocument(policy([], { project_id: 'nope' }), { allowProjectId: true }).problems).toEqual([
        { path: '$.project_id', message: 'must be a project UUID' },
      ]);
    });

    it('prefixes paths for imports', () => {
      expect(compilePolicyDocument({ rules: [] }, { basePath: '$.policies[2]' }).problems).toEqual([
        { path: '$.policies[2].name', message: "missing required field 'name'" },
      ]);
    });

    it('defaults mode and phase, keeps the rules as written and applies action defaults', () => {
      const rules = [
        { then: { action: 'deny' } },
        { when: { field: 'request.method', op: 'eq', value: 'GET' }, then: [{ action: 'allow', stop: true }, { action: 'log' }] },
        {
          then: [
            { action: 'rate_limit', window: '1m', max_requests: 10 },
            { action: 'require_approval' },
            { action: 'redact' },
            { action: 'tool_scope' },
            { action: 'tag', key: 'k', value: 'v' },
            {
              action: 'transform',
              operations: [
                { type: 'regex_replace', pattern: 'a', replacement: 'b' },
                { type: 'add_to_message_list', role: 'user', content: 'c' },
              ],
            },
          ],
        },
      ];
      const result = compiled({ name: 'defaults', rules });
      expect(result.document).toEqual({
        name: 'defaults',
        mode: 'enforce',
        phase: 'pre',
        rules,
        retry: null,
        buffer_streaming_for_post_flight: false,
      });
      expect(result.rules.map((r) => r.actionNames)).toEqual([
        ['deny'],
        ['allow', 'log'],
        ['rate_limit', 'require_approval', 'redact', 'tool_scope', 'tag', 'transform'],
      ]);
      expect(result.rules[0]?.actions).toEqual([{ action: 'deny', status: 403, message: 'request blocked by policy' }]);
      expect(result.rules[1]?.stop).toBe(true);
      expect(result.rules[0]?.stop).toBe(false);
      expect(result.rules[1]?.actions[1]).toEqual({ action: 'log', level: 'warn', tags: {} });
      expect(result.rules[2]?.actions).toEqual([
        { action: 'rate_limit', window: '1m', max_requests: 10, key: 'per_token' },
        { action: 'require_approval', mode: 'wait', timeout: '30m', fallback: 'deny' },
        { action: 'redact', direction: 'both', patterns: [], fields: [], on_match: 'redact' },
        { action: 'tool_scope', allowed_tools: [], blocked_tools: [], deny_message: 'tool not permitted by policy' },
        { action: 'tag', key: 'k', value: 'v' },
        {
          action: 'transform',
          operations: [
            { type: 'regex_replace', pattern: 'a', replacement: 'b', global: true },
            { type: 'add_to_message_list', role: 'user', content: 'c', position: 'before_last' },
          ],
        },
      ]);
      expect(result.rules[0]?.test(testView())).toBe(true);
      expect(result.rules[1]?.test(testView())).toBe(false);
    });

    it('collects outbound URLs and credential ids for the write-time checks, and usage.* reads', () => {
      const credential = '11111111-2222-4333-8444-555555555555';
      const result = compiled({
        name: 'refs',
        rules: [
          {
            when: { field: 'usage.requests_today', op: 'gt', value: 100 },
            then: [
              { action: 'require_approval', notify: { type: 'webhook', url: 'https://hooks.example.com/a' } },
              {
                action: 'dynamic_route',
                strategy: 'lowest_cost',
                pool: [{ model: 'm', upstream_url: 'https://u.example.com', credential_id: credential }],
              },
              {
                action: 'conditional_route',
                branches: [
                  { condition: { field: 'header.x-tier', op: 'eq', value: 'gold' }, target: { upstream_url: 'https://gold.example.com' } },
                ],
              },
            ],
          },
        ],
      });
      expect(result.usesUsage).toBe(true);
      expect(result.refs.urls).toEqual([
        { path: '$.rules[0].then[0].notify.url', url: 'https://hooks.example.com/a', rules: 'full' },
        { path: '$.rules[0].then[1].pool[0].upstream_url', url: 'https://u.example.com', rules: 'upstream' },
        { path: '$.rules[0].then[2].branches[0].target.upstream_url', url: 'https://gold.example.com', rules: 'upstream' },
      ]);
      expect(result.refs.credentialIds).toEqual([{ path: '$.rules[0].then[1].pool[0].credential_id', id: credential }]);
    });
  });
});
