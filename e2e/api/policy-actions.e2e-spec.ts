import type { ServerResponse } from 'node:http';
import { MockUpstream, type RecordedRequest } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

/**
 * The policy actions beyond allow/deny/log/tag/rate limits, through the built gateway against local
 * upstreams (policies.md §6–7, §9, §11; proxy.md §7, §11; guardrails.md §4, §6): redact (request,
 * response, block, streamed), transform (request and response), override, tool_scope,
 * validate_schema, split, dynamic_route, conditional_route, post-phase rules on buffered and streamed
 * responses, and async rules. Each test checks what the upstream received, what the client received
 * and the audit record.
 */
type Json = any;

/**
 * Answers chat completions with the content named in `x-mock-content` (URI-encoded), as JSON or SSE
 * in small pieces, after `x-mock-delay-ms`.
 */
async function scripted(req: RecordedRequest, res: ServerResponse): Promise<boolean> {
  const header = req.headers['x-mock-content'];
  if (typeof header !== 'string' || !req.url.endsWith('/chat/completions')) return false;
  const delay = Number(req.headers['x-mock-delay-ms'] ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  const content = decodeURIComponent(header);
  const body = JSON.parse(req.body || '{}');
  const model = body.model ?? 'gpt-4o-mini';
  if (body.stream === true) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const base = { id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1700000000, model };
    res.write(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`,
    );
    for (let i = 0; i < content.length; i += 5) {
      res.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: content.slice(i, i + 5) }, finish_reason: null }] })}\n\n`,
      );
    }
    res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    if (body.stream_options?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
    return true;
  }
  const text = JSON.stringify({
    id: 'chatcmpl-j',
    object: 'chat.completion',
    created: 1700000000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-upstream-internal': 'yes' });
  res.end(text);
  return true;
}

/** The content of an SSE chat stream as the client received it. */
function streamedContent(text: string): string {
  let out = '';
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice(6));
    for (const c of chunk.choices ?? []) if (typeof c.delta?.content === 'string') out += c.delta.content;
  }
  return out;
}

describe('policy actions through the built gateway (external mode)', () => {
  const upstream = new MockUpstream({ handler: scripted });
  const second = new MockUpstream({ handler: scripted });
  let gw: GatewayProcess;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const r = await fetch(`${gw.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-admin-key': gw.adminKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  }

  async function policy(name: string, rules: unknown[], extra: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
    const created = await api('POST', '/policies', { name: `${name}-${Date.now()}-${Math.random()}`, rules, ...extra });
    expect(created.status).toBe(201);
    return { id: created.json.id, name: created.json.name };
  }

  async function token(policyIds: string[]): Promise<{ id: string; secret: string }> {
    const created = await api('POST', '/tokens', {
      name: `actions-e2e-${Date.now()}`,
      upstream_url: `${upstream.url}/v1`,
      policy_ids: policyIds,
    });
    expect(created.status).toBe(201);
    return { id: created.json.id, secret: created.json.token_id };
  }

  function chat(secret: string, body: Record<string, unknown>, headers: Record<string, string> = {}, reply?: string): Promise<Response> {
    return fetch(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secret}`,
        'content-type': 'application/json',
        ...(reply !== undefined ? { 'x-mock-content': encodeURIComponent(reply) } : {}),
        ...headers,
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], ...body }),
    });
  }

  /** The audit details of a token's requests, oldest first, once `count` of them (with `ready`) were written. */
  async function audits(tokenId: string, count: number, ready: (records: Json[]) => boolean = () => true): Promise<Json[]> {
    const deadline = Date.now() + 15_000;
    let details: Json[] = [];
    while (Date.now() < deadline) {
      const list: Json[] = (await api('GET', `/audit?token_id=${tokenId}&limit=200`)).json;
      if (list.length >= count) {
        details = (await Promise.all(list.map(async (s: Json) => (await api('GET', `/audit/${s.id}`)).json))).reverse();
        if (ready(details)) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(details).toHaveLength(count);
    return details;
  }

  const lastSeen = (mock: MockUpstream): RecordedRequest => mock.requests[mock.requests.length - 1];

  beforeAll(async () => {
    await upstream.start();
    await second.start();
    gw = await startGateway({ env: { AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', AILINK_DEFAULT_RPM: '10000' } });
  });

  afterAll(async () => {
    await gw?.stop();
    await upstream.stop();
    await second.stop();
  });

  it('redact: request PII replaced before the upstream, response PII replaced before the client, fields_redacted audited', async () => {
    const p = await policy('redact', [{ then: { action: 'redact', patterns: ['email', 'ssn', 'ACME-\\d{4}'], fields: ['password'] } }]);
    const t = await token([p.id]);
    const r = await chat(
      t.secret,
      { messages: [{ role: 'user', content: 'I am jane@example.com, ticket ACME-1234' }], metadata: { password: 'hunter2' } },
      {},
      'Your SSN 123-45-6789 is on file for jane@example.com.',
    );
    expect(r.status).toBe(200);
    const sent = JSON.parse(lastSeen(upstream).body);
    expect(sent.messages[0].content).toBe('I am [REDACTED_EMAIL], ticket [REDACTED_CUSTOM_2]');
    expect(sent.metadata).toEqual({ password: '[REDACTED]' });
    const body = (await r.json()) as Json;
    expect(body.choices[0].message.content).toBe('Your SSN [REDACTED_SSN] is on file for [REDACTED_EMAIL].');
    const [record] = await audits(t.id, 1);
    expect(record.fields_redacted).toEqual(['email', 'custom_2', 'field:password', 'ssn']);
    expect(record.policy_result).toBe('allowed');
  });

  it('redact with on_match: block refuses with 403 content_blocked and never reaches the upstream', async () => {
    const p = await policy('pii-block', [
      { then: { action: 'redact', direction: 'request', patterns: ['credit_card'], on_match: 'block' } },
    ]);
    const t = await token([p.id]);
    const seen = upstream.requests.length;
    const r = await chat(t.secret, { messages: [{ role: 'user', content: 'card 4111 1111 1111 1111' }] });
    expect(r.status).toBe(403);
    expect(((await r.json()) as Json).error).toMatchObject({
      code: 'content_blocked',
      type: 'content_policy_error',
      details: { policy: p.name, detected_pii: ['credit_card'], action: 'Remove sensitive data and retry' },
    });
    expect(upstream.requests.length).toBe(seen);
    expect((await chat(t.secret, {})).status).toBe(200);
    const [blocked, passed] = await audits(t.id, 2);
    expect(blocked).toMatchObject({ policy_result: 'denied', error_type: 'content_blocked' });
    expect(passed).toMatchObject({ policy_result: 'allowed', fields_redacted: [] });
  });

  it('transform and override mutate the request in list order; a post-phase transform rewrites the response', async () => {
    const pre = await policy('transform-pre', [
      {
        then: [
          { action: 'override', set_body_fields: { temperature: 0, user: 'bob smith' } },
          {
            action: 'transform',
            operations: [
              { type: 'set_header', name: 'X-Tenant', value: 'acme' },
              { type: 'remove_header', name: 'X-Debug' },
              { type: 'prepend_system_prompt', text: 'Follow the policy.' },
              { type: 'regex_replace', pattern: '(?i)bob', replacement: 'B.' },
              { type: 'set_body_field', path: 'metadata.source', value: 'gateway' },
            ],
          },
        ],
      },
    ]);
    const post = await policy(
      'transform-post',
      [
        {
          then: {
            action: 'transform',
            operations: [
              { type: 'regex_replace', pattern: 'internal', replacement: 'public' },
              { type: 'set_header', name: 'X-Reviewed', value: 'yes' },
              { type: 'remove_header', name: 'X-Upstream-Internal' },
            ],
          },
        },
      ],
      { phase: 'post' },
    );
    const t = await token([pre.id, post.id]);
    const r = await chat(t.secret, { messages: [{ role: 'user', content: 'hi, I am Bob' }] }, { 'x-debug': '1' }, 'an internal answer');
    expect(r.status).toBe(200);
    const seen = lastSeen(upstream);
    expect(seen.headers['x-tenant']).toBe('acme');
    expect(seen.headers['x-debug']).toBeUndefined();
    expect(JSON.parse(seen.body)).toMatchObject({
      temperature: 0,
      user: 'B. smith',
      metadata: { source: 'gateway' },
      messages: [
        { role: 'system', content: 'Follow the policy.' },
        { role: 'user', content: 'hi, I am B.' },
      ],
    });
    expect(r.headers.get('x-reviewed')).toBe('yes');
    expect(r.headers.get('x-upstream-internal')).toBeNull();
    expect(((await r.json()) as Json).choices[0].message.content).toBe('an public answer');
    const [record] = await audits(t.id, 1);
    expect(record.policies_evaluated.map((e: Json) => [e.policy_id, e.phase])).toEqual([
      [pre.id, 'pre'],
      [post.id, 'post'],
    ]);
  });

  it('tool_scope refuses a blocked tool with 403 policy_denied and lets allowed tools through', async () => {
    const p = await policy('tools', [
      { then: { action: 'tool_scope', allowed_tools: ['web_*'], blocked_tools: ['web_admin'], deny_message: 'tool not allowed here' } },
    ]);
    const t = await token([p.id]);
    const tools = (...names: string[]) => names.map((name) => ({ type: 'function', function: { name, parameters: { type: 'object' } } }));
    const seen = upstream.requests.length;
    const refused = await chat(t.secret, { tools: tools('web_search', 'shell_exec') });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as Json).error).toMatchObject({
      code: 'policy_denied',
      message: `Request blocked by policy '${p.name}': tool not allowed here`,
      details: { policy: p.name, rule_index: 0, action: 'tool_scope', reason: 'tool not allowed here' },
    });
    expect((await chat(t.secret, { tools: tools('web_admin') })).status).toBe(403);
    expect(upstream.requests.length).toBe(seen);
    expect((await chat(t.secret, { tools: tools('web_search', 'web_fetch') })).status).toBe(200);
    const records = await audits(t.id, 3);
    expect(records.map((r) => r.policy_result)).toEqual(['denied', 'denied', 'allowed']);
  });

  it('validate_schema (post): a response that fails the schema is replaced by 403 policy_denied; shadow mode only records', async () => {
    const schema = {
      type: 'object',
      required: ['city'],
      properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 0 } },
    };
    const p = await policy('schema', [{ then: { action: 'validate_schema', schema } }], { phase: 'post' });
    const shadow = await policy(
      'schema-shadow',
      [{ then: { action: 'validate_schema', schema: { type: 'object', required: ['country'] } } }],
      {
        phase: 'post',
        mode: 'shadow',
      },
    );
    const t = await token([p.id, shadow.id]);
    const good = await chat(t.secret, {}, {}, '```json\n{"city":"Lyon","population":500000}\n```');
    expect(good.status).toBe(200);
    const bad = await chat(t.secret, {}, {}, '{"city":"Lyon","population":-1}');
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as Json).error).toMatchObject({
      code: 'policy_denied',
      message: `Request blocked by policy '${p.name}': /population must be >= 0`,
      details: { action: 'validate_schema', reason: '/population must be >= 0' },
    });
    const [passed, refused] = await audits(t.id, 2);
    expect(passed).toMatchObject({ policy_result: 'allowed', upstream_status: 200 });
    expect(passed.shadow_violations).toEqual([
      { policy_id: shadow.id, policy: shadow.name, rule_index: 0, actions: ['validate_schema'], outcome: 'would_block' },
    ]);
    expect(refused).toMatchObject({ policy_result: 'denied', error_type: 'policy_denied' });
    // An invalid schema is refused when written (422, with its path).
    const invalid = await api('POST', '/policies', {
      name: `bad-${Date.now()}`,
      phase: 'post',
      rules: [{ then: { action: 'validate_schema', schema: { type: 'nope' } } }],
    });
    expect(invalid.status).toBe(422);
    expect(invalid.json.error.details.errors[0].path).toBe('$.rules[0].then.schema');
  });

  it('split picks a variant, sets its fields, and records the experiment, the variant and router_info', async () => {
    const p = await policy('split', [
      {
        then: {
          action: 'split',
          experiment: 'model-ab',
          variants: [{ weight: 1, name: 'treatment', set_body_fields: { model: 'gpt-4o', temperature: 0.2 } }],
        },
      },
    ]);
    const t = await token([p.id]);
    const r = await chat(t.secret, {});
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ailink-route-strategy')).toBe('split');
    expect(r.headers.get('x-ailink-route-reason')).toBe('variant treatment');
    expect(JSON.parse(lastSeen(upstream).body)).toMatchObject({ model: 'gpt-4o', temperature: 0.2 });
    const [record] = await audits(t.id, 1);
    expect(record).toMatchObject({
      experiment_name: 'model-ab',
      variant_name: 'treatment',
      model: 'gpt-4o',
      router_info: { strategy: 'split', reason: 'variant treatment', target: 'gpt-4o' },
    });
  });

  it('dynamic_route round_robin alternates between pool targets, setting model and upstream', async () => {
    const p = await policy('dynamic', [
      {
        then: {
          action: 'dynamic_route',
          strategy: 'round_robin',
          pool: [
            { model: 'model-a', upstream_url: `${upstream.url}/v1` },
            { model: 'model-b', upstream_url: `${second.url}/v1` },
          ],
        },
      },
    ]);
    const t = await token([p.id]);
    const before = [upstream.requests.length, second.requests.length];
    const first = await chat(t.secret, {});
    const secondResponse = await chat(t.secret, {});
    expect([first.status, secondResponse.status]).toEqual([200, 200]);
    expect(first.headers.get('x-ailink-upstream')).toBe(`${upstream.url}/v1/chat/completions`);
    expect(secondResponse.headers.get('x-ailink-upstream')).toBe(`${second.url}/v1/chat/completions`);
    expect(first.headers.get('x-ailink-route-strategy')).toBe('round_robin');
    expect([upstream.requests.length - before[0], second.requests.length - before[1]]).toEqual([1, 1]);
    expect(JSON.parse(lastSeen(upstream).body).model).toBe('model-a');
    expect(JSON.parse(lastSeen(second).body).model).toBe('model-b');
    const records = await audits(t.id, 2);
    expect(records.map((r) => [r.router_info?.strategy, r.router_info?.target, r.upstream_url])).toEqual([
      ['round_robin', `${upstream.url}/v1`, `${upstream.url}/v1/chat/completions`],
      ['round_robin', `${second.url}/v1`, `${second.url}/v1/chat/completions`],
    ]);
    expect(records[0].router_info.candidates).toHaveLength(2);
  });

  it('dynamic_route lowest_cost takes the cheaper model by the price list', async () => {
    const p = await policy('cheapest', [
      {
        then: {
          action: 'dynamic_route',
          strategy: 'lowest_cost',
          pool: [
            { model: 'gpt-4o', upstream_url: `${upstream.url}/v1` },
            { model: 'gpt-4o-mini', upstream_url: `${second.url}/v1` },
          ],
        },
      },
    ]);
    const t = await token([p.id]);
    const r = await chat(t.secret, { model: 'gpt-4o' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ailink-upstream')).toBe(`${second.url}/v1/chat/completions`);
    expect(r.headers.get('x-ailink-route-reason')).toBe('lowest_cost');
    expect(JSON.parse(lastSeen(second).body).model).toBe('gpt-4o-mini');
  });

  it('dynamic_route lowest_cost reads the organisation’s /pricing overrides', async () => {
    const suffix = Date.now().toString(36);
    const [dear, cheap] = [`gpt-house-dear-${suffix}`, `gpt-house-cheap-${suffix}`];
    // The default organisation's price list is shared with the other e2e files: the overrides go again at the end.
    const overrides: string[] = [];
    try {
      for (const [model, price] of [
        [dear, 50],
        [cheap, 0.5],
      ] as const) {
        const put = await api('PUT', '/pricing', { provider: 'openai', model_pattern: model, input_per_m: price, output_per_m: price });
        expect(put.status).toBe(200);
        overrides.push(put.json.id);
      }
      const p = await policy('house-cheapest', [
        {
          then: {
            action: 'dynamic_route',
            strategy: 'lowest_cost',
            pool: [
              { model: dear, upstream_url: `${upstream.url}/v1` },
              { model: cheap, upstream_url: `${second.url}/v1` },
            ],
          },
        },
      ]);
      const t = await token([p.id]);
      const r = await chat(t.secret, { model: dear });
      expect(r.status).toBe(200);
      // No built-in row knows these models: only the overrides can put the second one first.
      expect(r.headers.get('x-ailink-upstream')).toBe(`${second.url}/v1/chat/completions`);
      expect(JSON.parse(lastSeen(second).body).model).toBe(cheap);
    } finally {
      for (const id of overrides) expect((await api('DELETE', `/pricing/${id}`)).status).toBeLessThan(300);
    }
  });

  it('dynamic_route lowest_latency learns the p50 per model from the audit records of the last hour', async () => {
    const suffix = Date.now().toString(36);
    const [slow, fast] = [`slow-${suffix}`, `fast-${suffix}`];
    const plain = await token([]);
    for (let i = 0; i < 3; i++) {
      expect((await chat(plain.secret, { model: slow }, { 'x-mock-delay-ms': '400' }, 'slow')).status).toBe(200);
      expect((await chat(plain.secret, { model: fast }, {}, 'fast')).status).toBe(200);
    }
    await audits(plain.id, 6);
    const p = await policy('latency', [
      {
        then: {
          action: 'dynamic_route',
          strategy: 'lowest_latency',
          pool: [
            { model: slow, upstream_url: `${upstream.url}/v1` },
            { model: fast, upstream_url: `${second.url}/v1` },
          ],
        },
      },
    ]);
    const t = await token([p.id]);
    // The statistics load in the background on first use; then the faster model wins every time.
    const picked: string[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && picked.at(-1) !== fast) {
      const r = await chat(t.secret, {}, {}, 'x');
      expect(r.status).toBe(200);
      picked.push(
        JSON.parse((r.headers.get('x-ailink-upstream') ?? '').startsWith(second.url) ? lastSeen(second).body : lastSeen(upstream).body)
          .model,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(picked.at(-1)).toBe(fast);
    for (let i = 0; i < 2; i++) {
      const r = await chat(t.secret, {}, {}, 'x');
      expect(r.headers.get('x-ailink-upstream')).toBe(`${second.url}/v1/chat/completions`);
      expect(r.headers.get('x-ailink-route-strategy')).toBe('lowest_latency');
    }
  });

  it('conditional_route routes on metadata, headers and body; no match and no fallback → 403', async () => {
    const p = await policy('conditional', [
      {
        then: {
          action: 'conditional_route',
          branches: [
            {
              condition: { field: 'metadata.tier', op: 'eq', value: 'gold' },
              target: { upstream_url: `${second.url}/v1`, model: 'gold-model' },
            },
            { condition: { field: 'header.x-region', op: 'in', value: ['eu'] }, target: { model: 'eu-model' } },
            { condition: { field: 'body.user', op: 'starts_with', value: 'svc-' }, target: { model: 'service-model' } },
          ],
        },
      },
    ]);
    const t = await token([p.id]);
    const gold = await chat(t.secret, {}, { 'x-ailink-metadata': '{"tier":"gold"}' });
    expect(gold.status).toBe(200);
    expect(gold.headers.get('x-ailink-route-reason')).toBe('branch 0');
    expect(JSON.parse(lastSeen(second).body).model).toBe('gold-model');
    const eu = await chat(t.secret, {}, { 'x-region': 'eu' });
    expect(eu.headers.get('x-ailink-upstream')).toBe(`${upstream.url}/v1/chat/completions`);
    expect(JSON.parse(lastSeen(upstream).body).model).toBe('eu-model');
    const none = await chat(t.secret, { user: 'human' });
    expect(none.status).toBe(403);
    expect(((await none.json()) as Json).error).toMatchObject({
      code: 'policy_denied',
      details: { action: 'conditional_route', reason: 'no routing branch matched the request' },
    });
    const records = await audits(t.id, 3);
    expect(records.map((r) => r.router_info?.reason ?? null)).toEqual(['branch 0', 'branch 1', null]);
    expect(records[2].policy_result).toBe('denied');
  });

  it('post phase on a stream: redaction on the relayed stream, tags at its end, audited; a forcing rule buffers and can refuse', async () => {
    const p = await policy(
      'stream-post',
      [
        { then: { action: 'redact', direction: 'response', patterns: ['email', 'phone'] } },
        {
          when: { field: 'response.body.choices[0].message.content', op: 'contains', value: 'REDACTED' },
          then: { action: 'tag', key: 'output', value: 'redacted' },
        },
      ],
      { phase: 'post' },
    );
    const t = await token([p.id]);
    const reply = 'Sure. ' + 'Lorem ipsum dolor sit amet. '.repeat(15) + 'Write to jane.doe@example.com or call (555) 123-4567. Bye.';
    const r = await chat(t.secret, { stream: true }, {}, reply);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const text = await r.text();
    expect(streamedContent(text)).toBe(
      reply.replace('jane.doe@example.com', '[REDACTED_EMAIL]').replace('(555) 123-4567', '[REDACTED_PHONE]'),
    );
    expect(text).not.toMatch(/jane|example\.com|4567/);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const [record] = await audits(t.id, 1);
    expect(record).toMatchObject({
      is_streaming: true,
      policy_result: 'allowed',
      fields_redacted: ['email', 'phone'],
      tags: { output: 'redacted' },
    });
    expect(record.policies_evaluated[0]).toMatchObject({ policy_id: p.id, phase: 'post', fired_rules: [0, 1] });

    // deny forces buffering: the stream is collected, and a refusal is a real 403.
    const deny = await policy(
      'stream-deny',
      [
        {
          when: { field: 'response.body.choices[0].message.content', op: 'contains', value: 'forbidden' },
          then: { action: 'deny', message: 'no forbidden words' },
        },
      ],
      {
        phase: 'post',
      },
    );
    const t2 = await token([deny.id]);
    const refused = await chat(t2.secret, { stream: true }, {}, 'this is a forbidden answer');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as Json).error.message).toBe(`Request blocked by policy '${deny.name}': no forbidden words`);
    const allowed = await chat(t2.secret, { stream: true }, {}, 'a fine answer');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('content-type')).toContain('text/event-stream');
    expect(streamedContent(await allowed.text())).toBe('a fine answer');
    const records = await audits(t2.id, 2);
    expect(records.map((x) => [x.policy_result, x.is_streaming])).toEqual([
      ['denied', true],
      ['allowed', true],
    ]);
  });

  it('a blocking redaction on a stream ends it with a content_blocked error event', async () => {
    const p = await policy('stream-block', [{ then: { action: 'redact', direction: 'response', patterns: ['ssn'], on_match: 'block' } }], {
      phase: 'post',
    });
    const t = await token([p.id]);
    const r = await chat(t.secret, { stream: true }, {}, 'The number is 123-45-6789, keep it safe.');
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('"code":"content_blocked"');
    expect(text).not.toContain('6789');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const [record] = await audits(t.id, 1);
    expect(record).toMatchObject({ policy_result: 'denied', error_type: 'content_blocked' });
  });

  it('async rules on a streamed response: the response is untouched, findings land on the audit record', async () => {
    const pre = await policy('async-pre', [
      {
        async_check: true,
        then: [
          { action: 'redact', patterns: ['email'] },
          { action: 'tag', key: 'async', value: 'checked' },
        ],
      },
    ]);
    const post = await policy(
      'async-post',
      [
        {
          async_check: true,
          then: { action: 'validate_schema', schema: { type: 'object', required: ['answer'] }, message: 'answer is not JSON' },
        },
      ],
      { phase: 'post' },
    );
    const t = await token([pre.id, post.id]);
    const started = Date.now();
    const r = await chat(
      t.secret,
      { stream: true, messages: [{ role: 'user', content: 'mail me at ann@example.org' }] },
      {},
      'plain text, not JSON',
    );
    expect(r.status).toBe(200);
    expect(streamedContent(await r.text())).toBe('plain text, not JSON');
    expect(Date.now() - started).toBeLessThan(5000);
    // The request went out unchanged: async rules never mutate.
    expect(JSON.parse(lastSeen(upstream).body).messages[0].content).toBe('mail me at ann@example.org');
    const [record] = await audits(t.id, 1, (records) => records[0]?.async_findings?.length === 2);
    expect(record.policy_result).toBe('allowed');
    expect(record.fields_redacted).toEqual([]);
    expect(record.tags).toMatchObject({ async: 'checked' });
    expect(record.async_findings).toEqual([
      {
        policy_id: pre.id,
        policy: pre.name,
        rule_index: 0,
        action: 'redact',
        phase: 'pre',
        reason: 'sensitive data detected: email',
        detected: ['email'],
      },
      { policy_id: post.id, policy: post.name, rule_index: 0, action: 'validate_schema', phase: 'post', reason: 'answer is not JSON' },
    ]);
  });
});
