import { Injectable, Logger } from '@nestjs/common';
import type { FiredPolicyAction, PolicyOutcome } from '@ailink/shared-contracts';
import type { GatewayError } from '@ailink/gateway-core';
import type { BufferedProxyResponse, ProxyContext, ProxyResponseStage, SseEventTransform } from '@ailink/gateway-proxy';
import { RedactionReport, appliesTo, compileRedaction, redactJson, type CompiledRedaction } from './actions/redaction';
import { schemaViolation } from './actions/schema-check';
import { assembleChatStream, replayChatStream } from './actions/sse';
import { StreamGuard } from './actions/stream-guard';
import { applyTransform, type HeaderSink } from './actions/transform';
import { headerReader, type PolicyResponseView } from './engine/request-view';
import type { LoadedPolicy } from './engine/policy-engine';
import { actionDenied, piiBlocked, raiseShadow, recordRedacted } from './policy-action-runner';
import { PolicyEvaluator } from './policy-evaluator';
import { logAction, policyDenied } from './policy.stage';

/**
 * The response as the post phase left it (what the client received), for the async rules that run
 * after the response (policies.md §9). Keyed by the request's context; gone with it.
 */
export const finalResponses = new WeakMap<ProxyContext, unknown>();

/** Pre-phase `redact` actions with `direction: response|both` that ran on the request: applied to the response too (policies.md §6). */
export function rememberedRedactions(ctx: ProxyContext): FiredPolicyAction[] {
  return (ctx.policy?.actions ?? []).filter(
    (fired) => fired.action.action === 'redact' && fired.status === 'applied' && (fired.action.direction ?? 'both') !== 'request',
  );
}

function isChatPath(ctx: ProxyContext): boolean {
  return ctx.route === 'catch_all' && /\/chat\/completions$/.test(ctx.upstreamPath);
}

type RedactAction = Extract<FiredPolicyAction['action'], { action: 'redact' }>;

function redactionOf(fired: FiredPolicyAction): CompiledRedaction {
  return compileRedaction(fired.action as RedactAction);
}

/** What the post phase works on: the parsed body (changed in place or replaced) and the response headers. */
interface ResponseState {
  body: unknown;
  changed: boolean;
  raw: () => string | undefined;
  headers?: HeaderSink;
}

/**
 * Does a streamed response have to be buffered for the post phase (policies.md §11 item 6,
 * guardrails.md §6)? Decided before its first byte from the enforce-mode post actions with
 * conditions ignored: `deny`, `validate_schema` and `transform` force buffering; so does a response
 * redaction with custom patterns, on a `buffer_streaming_for_post_flight` policy, or whose rule
 * reads `response.body.*`; and any response redaction when the stream is not chat chunks. Log, tag,
 * allow, async and shadow rules run at the stream's end on what was relayed.
 */
export function mustBuffer(policies: readonly LoadedPolicy[], remembered: readonly FiredPolicyAction[], chat: boolean): boolean {
  let redacts = remembered.length > 0;
  if (remembered.some((fired) => redactionOf(fired).hasCustomPatterns)) return true;
  for (const policy of policies) {
    if (policy.phase !== 'post' || policy.mode !== 'enforce') continue;
    for (const rule of policy.rules) {
      if (rule.async) continue;
      for (const action of rule.actions) {
        if (action.action === 'deny' || action.action === 'validate_schema' || action.action === 'transform') return true;
        if (action.action === 'redact') {
          redacts = true;
          if (policy.bufferStreaming || rule.readsResponseBody || compileRedaction(action).hasCustomPatterns) return true;
        }
      }
    }
  }
  return redacts && !chat;
}

/**
 * The post phase (policies.md §5 step 5, §6; proxy.md §7 steps 19–20) as a proxy response stage:
 * evaluates the post-phase policies on the translated upstream response and executes their
 * actions in list order — `allow`, `deny` (replaces the response with 403 `policy_denied`), `log`,
 * `tag`, `redact` (response body; `on_match: block` → 403 `content_blocked`), `transform` (response
 * body and headers), `validate_schema` (403 `policy_denied`) — after the response-side redactions
 * remembered from the pre phase. Buffered responses are processed whole before they are sent;
 * streams are guarded incrementally or buffered (see {@link mustBuffer}). The outcome goes to
 * `ctx.postPolicy` for the audit record; async rules are left `deferred` for {@link PolicyAsyncHook}.
 */
@Injectable()
export class PolicyResponseStage implements ProxyResponseStage {
  readonly name = 'policy-post';
  private readonly logger = new Logger('PolicyPost');

  constructor(private readonly evaluator: PolicyEvaluator) {}

  async onResponse(ctx: ProxyContext, response: BufferedProxyResponse): Promise<void> {
    const token = ctx.token;
    if (!token) return;
    const remembered = rememberedRedactions(ctx);
    const policies = await this.evaluator.load(token);
    if (remembered.length === 0 && !policies.some((p) => p.phase === 'post')) return;
    const type = String(response.headers['content-type'] ?? '');
    const sse = type.includes('text/event-stream');
    let text: string | undefined;
    const raw = (): string | undefined => (text ??= response.body.length > 0 ? response.body.toString('utf8') : undefined);
    let parsed = false;
    let body: unknown;
    const parse = (): unknown => {
      if (parsed) return body;
      parsed = true;
      const t = raw();
      if (t === undefined) return undefined;
      if (sse) body = assembleChatStream(t);
      else if (type.includes('json')) {
        try {
          body = JSON.parse(t);
        } catch {
          body = undefined;
        }
      }
      return body;
    };
    const view: PolicyResponseView = {
      status: response.status,
      get body() {
        return parse();
      },
      header: (name) => {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : value;
      },
    };
    const outcome = await this.evaluator.evaluate(ctx, 'post', view);
    if (outcome.evaluated.length > 0) ctx.postPolicy = outcome;
    const state: ResponseState = {
      body: parse(),
      changed: false,
      raw,
      headers: {
        set: (name, value) => {
          response.headers[name] = value;
        },
        remove: (name) => {
          delete response.headers[name];
        },
      },
    };
    const blocked = execute(ctx, outcome, remembered, state, false);
    if (blocked) throw blocked;
    if (state.changed && state.body !== undefined) {
      const isObjectBody = typeof state.body === 'object' && state.body !== null;
      response.body = Buffer.from(
        sse && isObjectBody ? replayChatStream(state.body as Record<string, unknown>) : JSON.stringify(state.body),
      );
    }
    finalResponses.set(ctx, state.body);
  }

  async onStream(ctx: ProxyContext): Promise<SseEventTransform | 'buffer' | undefined> {
    const token = ctx.token;
    if (!token) return undefined;
    const remembered = rememberedRedactions(ctx);
    const policies = await this.evaluator.load(token);
    if (remembered.length === 0 && !policies.some((p) => p.phase === 'post')) return undefined;
    if (mustBuffer(policies, remembered, isChatPath(ctx))) return 'buffer';
    const headers = ctx.responseHeaders ?? {};
    const view = (body: unknown): PolicyResponseView => ({
      status: ctx.upstreamStatus ?? 200,
      body,
      header: headerReader(headers),
    });
    // Redactions are decided now (their rules read no response body, or the stream is buffered).
    const start = await this.evaluator.evaluate(ctx, 'post', view(undefined));
    const guarded = [...remembered, ...start.actions.filter((fired) => fired.action.action === 'redact')];
    const redactions = guarded.map(redactionOf).filter((r) => appliesTo(r, 'response'));
    const owners = guarded.filter((fired) => appliesTo(redactionOf(fired), 'response'));
    return new StreamGuard(redactions, {
      redacted: (names) => recordRedacted(ctx, names),
      blocked: (owner, detected) => {
        const fired = owners[owner];
        fired.status = 'blocked';
        ctx.error = piiBlocked(fired, detected, 'response');
        return ctx.error.message;
      },
      ended: async (completion) => {
        // Log, tag, allow and shadow detections at the end, on what the client received.
        finalResponses.set(ctx, completion);
        try {
          const outcome = await this.evaluator.evaluate(ctx, 'post', view(completion));
          if (outcome.evaluated.length > 0) ctx.postPolicy = outcome;
          execute(ctx, outcome, [], { body: completion, changed: false, raw: () => undefined }, true);
        } catch (error) {
          // The stream has been relayed: nothing can be refused any more.
          this.logger.error(`post phase at the end of a stream failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    });
  }
}

/** Redacts the response body with one redaction; the block error, if it blocks. */
function redactResponse(ctx: ProxyContext, fired: FiredPolicyAction, state: ResponseState): GatewayError | undefined {
  const redaction = redactionOf(fired);
  if (!appliesTo(redaction, 'response') || state.body === undefined) return undefined;
  const report = new RedactionReport();
  if (redaction.onMatch === 'block') {
    redactJson(state.body, redaction, report, false);
    if (!report.any) return undefined;
    fired.status = 'blocked';
    return piiBlocked(fired, report.matched, 'response');
  }
  state.body = redactJson(state.body, redaction, report, true);
  if (report.any) {
    state.changed = true;
    recordRedacted(ctx, report.matched);
  }
  return undefined;
}

/**
 * Executes the post-phase action list in order (policies.md §5 step 4): the remembered pre-phase
 * redactions first, then the post actions. The first blocking action's error is returned; later
 * actions are `skipped`. `streamEnd`: at the end of a guarded stream, where redaction already ran
 * incrementally and nothing can block any more.
 */
function execute(
  ctx: ProxyContext,
  outcome: PolicyOutcome,
  remembered: readonly FiredPolicyAction[],
  state: ResponseState,
  streamEnd: boolean,
): GatewayError | undefined {
  let blocked: GatewayError | undefined;
  for (const fired of remembered) {
    blocked = redactResponse(ctx, fired, state);
    if (blocked) break;
  }
  for (const fired of outcome.actions) {
    if (blocked) {
      if (fired.status === 'pending') fired.status = 'skipped';
      continue;
    }
    const action = fired.action;
    fired.status = 'applied';
    switch (action.action) {
      case 'allow':
        break;
      case 'deny':
        fired.status = 'blocked';
        blocked = policyDenied(fired, action.status, action.message ?? 'request blocked by policy');
        break;
      case 'log':
        logAction(fired, ctx);
        Object.assign(outcome.tags, action.tags ?? {});
        break;
      case 'tag':
        outcome.tags[action.key] = action.value;
        break;
      case 'redact':
        if (!streamEnd) blocked = redactResponse(ctx, fired, state);
        break;
      case 'transform': {
        const result = applyTransform(action.operations, state.body, state.headers);
        if (result.changed) {
          state.body = result.body;
          state.changed = true;
        }
        break;
      }
      case 'validate_schema': {
        const violation = schemaViolation(action, state.body, state.raw());
        if (violation !== undefined) {
          fired.status = 'blocked';
          blocked = actionDenied(fired, action.message ?? violation);
        }
        break;
      }
      default:
        fired.status = 'deferred';
    }
  }
  for (const fired of outcome.async_actions) fired.status = 'deferred';
  // Shadow mode: schema validation runs and records what it would have done (policies.md §11 item 3).
  for (const fired of outcome.shadow_actions ?? []) {
    if (fired.action.action !== 'validate_schema' || fired.status !== 'pending') continue;
    fired.status = 'applied';
    if (schemaViolation(fired.action, state.body, state.raw()) !== undefined) raiseShadow(outcome.shadow_violations, fired);
  }
  return streamEnd ? undefined : blocked;
}
