import type { PolicyRule } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type AppConfig } from '@ailink/gateway-core';
import type { EventBus } from '@ailink/gateway-events';
import { ProxyContext, type BufferedProxyResponse, type SseEventTransform } from '@ailink/gateway-proxy';
import { CacheInvalidationBus, MemoryKeyValueStore, TieredCacheFactory } from '@ailink/gateway-redis';
import { compilePolicyDocument } from './engine/policy-compiler';
import type { LoadedPolicy } from './engine/policy-engine';
import type { PolicyEntity } from './entities/policy.entity';
import type { PoliciesRepository } from './policies.repository';
import { PolicyAsyncHook } from './policy-async.hook';
import { PolicyCache } from './policy-cache';
import { PolicyEvaluator } from './policy-evaluator';
import { PolicyResponseStage, finalResponses, mustBuffer } from './policy-response.stage';
import { PolicyStage } from './policy.stage';
import { CounterUsageReader } from './usage-reader';

const PROJECT = '00000000-0000-0000-0000-000000000001';
let sequence = 0;

function row(rules: unknown[], overrides: Partial<PolicyEntity> = {}): PolicyEntity {
  sequence += 1;
  return {
    id: `bbbbbbbb-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    projectId: PROJECT,
    name: `post-${sequence}`,
    mode: 'enforce',
    phase: 'post',
    rules: rules as PolicyRule[],
    retry: null,
    bufferStreamingForPostFlight: false,
    managed: false,
    presets: [],
    version: 1,
    isActive: true,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...overrides,
  };
}

function context(policyIds: string[], body: unknown = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }): ProxyContext {
  const ctx = new ProxyContext('req_' + '1'.repeat(32), 'POST', '/v1/chat/completions', {}, '127.0.0.1', '/v1/chat/completions');
  ctx.json = body;
  ctx.token = {
    id: 'tok_' + 'd'.repeat(24),
    projectId: PROJECT,
    name: 'agent',
    credentialId: null,
    upstreams: [],
    policyIds,
    logLevel: 1,
    circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
  ctx.upstreamStatus = 200;
  return ctx;
}

function completion(content: string): Record<string, unknown> {
  return {
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
}

function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): BufferedProxyResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)) };
}

async function refusal(run: Promise<unknown>): Promise<GatewayError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const base = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' };

describe('PolicyResponseStage (post phase, policies.md §5–6, §9, §11)', () => {
  const rows = new Map<string, PolicyEntity>();
  let evaluator: PolicyEvaluator;
  let stage: PolicyResponseStage;
  let pre: PolicyStage;

  function add(rules: unknown[], overrides: Partial<PolicyEntity> = {}): PolicyEntity {
    const r = row(rules, overrides);
    rows.set(r.id, r);
    return r;
  }

  beforeEach(() => {
    rows.clear();
    const store = new MemoryKeyValueStore();
    const factory = new TieredCacheFactory(store, new CacheInvalidationBus(store));
    const repository = { findById: async (id: string) => rows.get(id) ?? null } as unknown as PoliciesRepository;
    const config = { l1MaxEntries: 100, l1TtlMs: 5000, l2TtlSecs: 300 } as AppConfig;
    evaluator = new PolicyEvaluator(new PolicyCache(factory, config, repository), new CounterUsageReader(store));
    stage = new PolicyResponseStage(evaluator);
    pre = new PolicyStage(evaluator);
  });

  it('leaves responses of tokens without post-phase work alone', async () => {
    const p = add([{ then: { action: 'deny' } }], { phase: 'pre' });
    const ctx = context([p.id]);
    const response = jsonResponse(completion('a@b.io'));
    const before = response.body;
    await stage.onResponse(ctx, response);
    expect(response.body).toBe(before);
    expect(ctx.postPolicy).toBeUndefined();
    expect(await stage.onStream(ctx)).toBeUndefined();
  });

  it('redacts the response body and records fields_redacted and the post outcome', async () => {
    const p = add([{ then: { action: 'redact', direction: 'response', patterns: ['email', 'phone'] } }]);
    const ctx = context([p.id]);
    const response = jsonResponse(completion('Mail jane@example.com or call 555-123-4567'));
    await stage.onResponse(ctx, response);
    expect(JSON.parse(response.body.toString()).choices[0].message.content).toBe('Mail [REDACTED_EMAIL] or call [REDACTED_PHONE]');
    expect(ctx.fieldsRedacted).toEqual(['email', 'phone']);
    expect(ctx.postPolicy).toMatchObject({
      phase: 'post',
      mode: 'enforce',
      evaluated: [{ policy_id: p.id, phase: 'post', fired_rules: [0] }],
      actions: [{ status: 'applied' }],
    });
    expect(finalResponses.get(ctx)).toMatchObject({
      choices: [{ message: { content: 'Mail [REDACTED_EMAIL] or call [REDACTED_PHONE]' } }],
    });
  });

  it('applies pre-phase redactions with direction response/both to the response too', async () => {
    const p = add([{ then: { action: 'redact', patterns: ['ssn'] } }], { phase: 'pre' });
    const ctx = context([p.id], { model: 'gpt-4o', messages: [{ role: 'user', content: 'mine is 111-22-3333' }] });
    await pre.run(ctx);
    expect(ctx.json).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'mine is [REDACTED_SSN]' }] });
    const response = jsonResponse(completion('yours is 123-45-6789'));
    await stage.onResponse(ctx, response);
    expect(JSON.parse(response.body.toString()).choices[0].message.content).toBe('yours is [REDACTED_SSN]');
    expect(ctx.fieldsRedacted).toEqual(['ssn']);
  });

  it('a blocking response redaction replaces the response with 403 content_blocked', async () => {
    const p = add([{ then: { action: 'redact', direction: 'response', patterns: ['credit_card'], on_match: 'block' } }]);
    const error = await refusal(stage.onResponse(context([p.id]), jsonResponse(completion('card 4111 1111 1111 1111'))));
    expect([error.code, error.details]).toEqual([
      ErrorCode.ContentBlocked,
      { policy: p.name, detected_pii: ['credit_card'], action: 'Remove sensitive data and retry' },
    ]);
    expect(error.message).toBe(`Response blocked by policy '${p.name}': sensitive data detected (credit_card)`);
  });

  it('deny on response fields suppresses the upstream response; later actions are skipped', async () => {
    const p = add([
      {
        when: { field: 'response.body.choices[0].finish_reason', op: 'eq', value: 'length' },
        then: [
          { action: 'deny', status: 422, message: 'truncated' },
          { action: 'tag', key: 't', value: 'x' },
        ],
      },
      { when: { field: 'response.status', op: 'gte', value: 500 }, then: { action: 'tag', key: 'upstream', value: 'broken' } },
    ]);
    const ok = context([p.id]);
    await stage.onResponse(ok, jsonResponse(completion('fine')));
    expect(ok.postPolicy?.evaluated[0].fired_rules).toEqual([]);

    const truncated = context([p.id]);
    const body = completion('partial');
    (body['choices'] as { finish_reason: string }[])[0].finish_reason = 'length';
    const error = await refusal(stage.onResponse(truncated, jsonResponse(body)));
    expect([error.code, error.status, error.message]).toEqual([
      ErrorCode.PolicyDenied,
      422,
      `Request blocked by policy '${p.name}': truncated`,
    ]);
    expect(truncated.postPolicy?.actions.map((a) => a.status)).toEqual(['blocked', 'skipped']);

    const broken = context([p.id]);
    await stage.onResponse(broken, jsonResponse({ error: { message: 'x' } }, 502));
    expect(broken.postPolicy?.tags).toEqual({ upstream: 'broken' });
  });

  it('transform rewrites the response body and headers', async () => {
    const p = add([
      {
        then: {
          action: 'transform',
          operations: [
            { type: 'regex_replace', pattern: '(?i)acme corp', replacement: 'the vendor' },
            { type: 'set_body_field', path: 'gateway.reviewed', value: true },
            { type: 'set_header', name: 'X-Reviewed', value: 'yes' },
            { type: 'remove_header', name: 'x-internal' },
          ],
        },
      },
    ]);
    const response = jsonResponse(completion('Ask ACME Corp.'), 200, { 'x-internal': 'secret' });
    await stage.onResponse(context([p.id]), response);
    const out = JSON.parse(response.body.toString());
    expect(out.choices[0].message.content).toBe('Ask the vendor.');
    expect(out.gateway).toEqual({ reviewed: true });
    expect(response.headers['x-reviewed']).toBe('yes');
    expect(response.headers['x-internal']).toBeUndefined();
  });

  it('validate_schema: 403 policy_denied with its message or the first schema error', async () => {
    const schema = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } };
    const plain = add([{ then: { action: 'validate_schema', schema } }]);
    await stage.onResponse(context([plain.id]), jsonResponse(completion('```json\n{"answer":"42"}\n```')));
    const error = await refusal(stage.onResponse(context([plain.id]), jsonResponse(completion('{"answer":42}'))));
    expect([error.code, error.status, error.message]).toEqual([
      ErrorCode.PolicyDenied,
      403,
      `Request blocked by policy '${plain.name}': /answer must be string`,
    ]);
    expect(error.details).toMatchObject({ action: 'validate_schema', reason: '/answer must be string' });

    const custom = add([{ then: { action: 'validate_schema', schema, message: 'answer must be JSON' } }]);
    const error2 = await refusal(stage.onResponse(context([custom.id]), jsonResponse(completion('no json'))));
    expect(error2.message).toBe(`Request blocked by policy '${custom.name}': answer must be JSON`);
  });

  it('shadow mode: schema validation runs and is recorded as would_block; nothing changes', async () => {
    const p = add(
      [
        { then: { action: 'validate_schema', schema: { type: 'object' } } },
        { then: { action: 'redact', direction: 'response', patterns: ['email'] } },
      ],
      { mode: 'shadow' },
    );
    const ctx = context([p.id]);
    const response = jsonResponse(completion('not json, a@b.io'));
    const before = response.body;
    await stage.onResponse(ctx, response);
    expect(response.body).toBe(before);
    expect(ctx.postPolicy?.shadow_violations.map((v) => [v.rule_index, v.outcome])).toEqual([
      [0, 'would_block'],
      [1, 'would_redact'],
    ]);
    expect(ctx.fieldsRedacted).toBeUndefined();
  });

  it('log and tag add tags; non-JSON bodies are left as they are', async () => {
    const p = add([
      {
        then: [
          { action: 'log', level: 'debug', tags: { phase: 'post' } },
          { action: 'tag', key: 'checked', value: 'yes' },
          { action: 'redact', direction: 'response', patterns: ['email'] },
        ],
      },
    ]);
    const ctx = context([p.id]);
    const response: BufferedProxyResponse = { status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('a@b.io') };
    await stage.onResponse(ctx, response);
    expect(response.body.toString()).toBe('a@b.io');
    expect(ctx.postPolicy?.tags).toEqual({ phase: 'post', checked: 'yes' });
  });

  it('a buffered stream (SSE body) is assembled for the rules and replayed when changed', async () => {
    const p = add([
      {
        when: { field: 'response.body.choices[0].message.content', op: 'contains', value: '@' },
        then: { action: 'redact', direction: 'response', patterns: ['email'] },
      },
    ]);
    const ctx = context([p.id]);
    ctx.streaming = true;
    const sse =
      chunk({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }) +
      chunk({ ...base, choices: [{ index: 0, delta: { content: 'mail jane@' }, finish_reason: null }] }) +
      chunk({ ...base, choices: [{ index: 0, delta: { content: 'example.com' }, finish_reason: 'stop' }] }) +
      'data: [DONE]\n\n';
    const response: BufferedProxyResponse = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Buffer.from(sse) };
    await stage.onResponse(ctx, response);
    const text = response.body.toString();
    expect(text).toContain('"content":"mail [REDACTED_EMAIL]"');
    expect(text).not.toContain('jane');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(ctx.fieldsRedacted).toEqual(['email']);
  });

  describe('streams (policies.md §11 item 6, guardrails.md §6)', () => {
    function loaded(rules: unknown[], overrides: { mode?: 'enforce' | 'shadow'; buffer?: boolean } = {}): LoadedPolicy {
      const { compiled } = compilePolicyDocument({
        name: 'p',
        phase: 'post',
        mode: overrides.mode ?? 'enforce',
        rules,
        buffer_streaming_for_post_flight: overrides.buffer ?? false,
      });
      if (!compiled) throw new Error('does not compile');
      return {
        id: 'x',
        projectId: PROJECT,
        name: 'p',
        version: 1,
        mode: compiled.document.mode,
        phase: 'post',
        rules: compiled.rules,
        retry: null,
        usesUsage: false,
        bufferStreaming: compiled.document.buffer_streaming_for_post_flight,
      };
    }

    it('decides buffering from the enforce-mode post actions, conditions ignored', () => {
      const never = { when: { always: false } };
      expect(mustBuffer([loaded([{ ...never, then: { action: 'deny' } }])], [], true)).toBe(true);
      expect(mustBuffer([loaded([{ then: { action: 'validate_schema', schema: true } }])], [], true)).toBe(true);
      expect(mustBuffer([loaded([{ then: { action: 'transform', operations: [{ type: 'remove_header', name: 'x' }] } }])], [], true)).toBe(
        true,
      );
      expect(mustBuffer([loaded([{ then: { action: 'redact', patterns: ['email'] } }])], [], true)).toBe(false);
      expect(mustBuffer([loaded([{ then: { action: 'redact', patterns: ['email'] } }])], [], false)).toBe(true); // not chat chunks
      expect(mustBuffer([loaded([{ then: { action: 'redact', patterns: ['ACME-\\d+'] } }])], [], true)).toBe(true); // custom pattern
      expect(mustBuffer([loaded([{ then: { action: 'redact', patterns: ['email'] } }], { buffer: true })], [], true)).toBe(true);
      expect(
        mustBuffer(
          [loaded([{ when: { field: 'response.body.model', op: 'exists' }, then: { action: 'redact', patterns: ['email'] } }])],
          [],
          true,
        ),
      ).toBe(true);
      // Run at the end of the stream instead: log, tag, allow, async and shadow rules.
      expect(
        mustBuffer(
          [
            loaded([
              { when: { field: 'response.body.model', op: 'exists' }, then: [{ action: 'log' }, { action: 'tag', key: 'a', value: 'b' }] },
              { async_check: true, then: { action: 'validate_schema', schema: true } },
            ]),
            loaded([{ then: { action: 'deny' } }], { mode: 'shadow' }),
          ],
          [],
          false,
        ),
      ).toBe(false);
    });

    async function drive(transform: SseEventTransform, text: string): Promise<string> {
      return transform.events(text) + (await transform.end(false));
    }

    it('buffers when a forcing action is attached', async () => {
      const p = add([{ when: { always: false }, then: { action: 'deny' } }]);
      expect(await stage.onStream(context([p.id]))).toBe('buffer');
    });

    it('guards incrementally: redaction on the relayed stream; log/tag/shadow at its end on what was relayed', async () => {
      const p = add([
        { then: { action: 'redact', direction: 'response', patterns: ['email'] } },
        {
          when: { field: 'response.body.choices[0].message.content', op: 'contains', value: 'REDACTED' },
          then: { action: 'tag', key: 'saw', value: 'redacted' },
        },
      ]);
      const shadow = add([{ then: { action: 'validate_schema', schema: { type: 'object' } } }], { mode: 'shadow' });
      const ctx = context([p.id, shadow.id]);
      ctx.streaming = true;
      ctx.responseHeaders = { 'content-type': 'text/event-stream' };
      const transform = await stage.onStream(ctx);
      expect(transform).toBeDefined();
      expect(transform).not.toBe('buffer');
      const out = await drive(
        transform as SseEventTransform,
        chunk({ ...base, choices: [{ index: 0, delta: { content: 'write to ann@example.org' }, finish_reason: 'stop' }] }) +
          'data: [DONE]\n\n',
      );
      expect(out).toContain('write to [REDACTED_EMAIL]');
      expect(out).not.toContain('ann@');
      expect(ctx.fieldsRedacted).toEqual(['email']);
      expect(ctx.postPolicy?.tags).toEqual({ saw: 'redacted' });
      expect(ctx.postPolicy?.actions.map((a) => `${a.action.action}:${a.status}`)).toEqual(['redact:applied', 'tag:applied']);
      expect(ctx.postPolicy?.shadow_violations.map((v) => v.outcome)).toEqual(['would_block']);
      expect(finalResponses.get(ctx)).toMatchObject({ choices: [{ message: { content: 'write to [REDACTED_EMAIL]' } }] });
    });

    it('a blocking redaction on a stream marks the request content_blocked', async () => {
      const p = add([{ then: { action: 'redact', direction: 'response', patterns: ['ssn'], on_match: 'block' } }]);
      const ctx = context([p.id]);
      const transform = (await stage.onStream(ctx)) as SseEventTransform;
      const out = await drive(
        transform,
        chunk({ ...base, choices: [{ index: 0, delta: { content: 'ssn 123-45-6789' }, finish_reason: 'stop' }] }),
      );
      expect(out).toContain('"code":"content_blocked"');
      expect(out).not.toContain('6789');
      expect(ctx.error?.code).toBe(ErrorCode.ContentBlocked);
    });
  });

  describe('async rules (policies.md §9)', () => {
    it('run after the response: findings on the record and policy_violation events; blocking effects ignored', async () => {
      const preAsync = add(
        [
          {
            async_check: true,
            then: [
              { action: 'redact', patterns: ['email'], on_match: 'block' },
              { action: 'tag', key: 'async', value: 'pre' },
            ],
          },
        ],
        { phase: 'pre' },
      );
      const postAsync = add([
        {
          async_check: true,
          then: [
            { action: 'validate_schema', schema: { type: 'object', required: ['ok'] } },
            { action: 'log', tags: { a: 'b' } },
          ],
        },
      ]);
      const ctx = context([preAsync.id, postAsync.id], { model: 'gpt-4o', messages: [{ role: 'user', content: 'I am jane@example.com' }] });
      await pre.run(ctx);
      // Not blocked, not changed: async.
      expect(ctx.json).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'I am jane@example.com' }] });
      const response = jsonResponse(completion('{"nope":1}'));
      await stage.onResponse(ctx, response);
      expect(ctx.postPolicy?.async_actions.map((a) => a.status)).toEqual(['deferred', 'deferred']);

      const emitted: { type: string; details: unknown }[] = [];
      const events = {
        emit: (type: string, input: { details: unknown }) => emitted.push({ type, details: input.details }),
      } as unknown as EventBus;
      new PolicyAsyncHook(events).complete(ctx);
      expect(ctx.asyncFindings).toEqual([
        {
          policy_id: preAsync.id,
          policy: preAsync.name,
          rule_index: 0,
          action: 'redact',
          phase: 'pre',
          reason: 'sensitive data detected: email',
          detected: ['email'],
        },
        {
          policy_id: postAsync.id,
          policy: postAsync.name,
          rule_index: 0,
          action: 'validate_schema',
          phase: 'post',
          reason: "/ must have required property 'ok'",
        },
      ]);
      expect(emitted).toEqual([
        {
          type: 'policy_violation',
          details: {
            policy: preAsync.name,
            rule_index: 0,
            action: 'redact',
            phase: 'pre',
            reason: 'sensitive data detected: email',
            async: true,
          },
        },
        {
          type: 'policy_violation',
          details: {
            policy: postAsync.name,
            rule_index: 0,
            action: 'validate_schema',
            phase: 'post',
            reason: "/ must have required property 'ok'",
            async: true,
          },
        },
      ]);
      expect(ctx.policy?.tags).toEqual({ async: 'pre' });
      expect(ctx.postPolicy?.tags).toEqual({ a: 'b' });
      expect(ctx.policy?.async_actions.map((a) => a.status)).toEqual(['applied', 'applied']);
    });

    it('a passing check records nothing', async () => {
      const postAsync = add([{ async_check: true, then: { action: 'validate_schema', schema: { type: 'object' } } }]);
      const ctx = context([postAsync.id]);
      await stage.onResponse(ctx, jsonResponse(completion('{"fine":true}')));
      new PolicyAsyncHook().complete(ctx);
      expect(ctx.asyncFindings).toBeUndefined();
    });
  });
});
