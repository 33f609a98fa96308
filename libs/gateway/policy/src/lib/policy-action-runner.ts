import { Injectable, Optional } from '@nestjs/common';
import type { FiredPolicyAction, PolicyActionType, PolicyOutcome, ShadowViolation } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import type { ProxyContext } from '@ailink/gateway-proxy';
import { RedactionReport, appliesTo, compileRedaction, redactJson } from './actions/redaction';
import { decideConditionalRoute, decideDynamicRoute, decideSplit, type RouteDecision } from './actions/routing';
import { refusedTool } from './actions/tool-scope';
import { applyTransform, type HeaderSink } from './actions/transform';
import type { BranchView } from './engine/fields';
import { PolicyRoutingService } from './routing-environment';

/** Actions this runner executes in the pre phase (policies.md §6, §11; proxy.md §11). */
const HANDLED: ReadonlySet<PolicyActionType> = new Set([
  'redact',
  'transform',
  'override',
  'tool_scope',
  'split',
  'dynamic_route',
  'conditional_route',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** 403 `content_blocked` for a redaction with `on_match: block` (proxy.md §6: `{policy, detected_pii[], action}`). */
export function piiBlocked(fired: FiredPolicyAction, detected: readonly string[], side: 'request' | 'response'): GatewayError {
  const what = side === 'request' ? 'Request' : 'Response';
  return new GatewayError(
    ErrorCode.ContentBlocked,
    `${what} blocked by policy '${fired.policy}': sensitive data detected (${detected.join(', ')})`,
    {
      details: { policy: fired.policy, detected_pii: [...detected], action: 'Remove sensitive data and retry' },
    },
  );
}

/** 403 `policy_denied` for an action that refused the request (proxy.md §6). */
export function actionDenied(fired: FiredPolicyAction, reason: string, status = 403): GatewayError {
  return new GatewayError(ErrorCode.PolicyDenied, `Request blocked by policy '${fired.policy}': ${reason}`, {
    status,
    details: { policy: fired.policy, rule_index: fired.rule_index, action: fired.action.action, reason },
  });
}

/** Adds redacted names to the audit record's `fields_redacted` (unique, in order). */
export function recordRedacted(ctx: ProxyContext, names: readonly string[]): void {
  if (names.length === 0) return;
  const list = (ctx.fieldsRedacted ??= []);
  for (const name of names) if (!list.includes(name)) list.push(name);
}

/** The upstream request headers as a transform sees them (policies.md §7; proxy.md §4: applied last). */
function upstreamHeaderSink(ctx: ProxyContext): HeaderSink {
  return {
    set: (name, value) => {
      ctx.upstreamHeaders[name] = value;
      ctx.removedUpstreamHeaders?.delete(name);
    },
    remove: (name) => {
      delete ctx.upstreamHeaders[name];
      (ctx.removedUpstreamHeaders ??= new Set()).add(name);
    },
  };
}

/** `X-AILink-Metadata` as an object (`metadata.*` of conditional_route branches); null when absent or not an object. */
function metadataOf(ctx: ProxyContext): Record<string, unknown> | null {
  const raw = ctx.header('x-ailink-metadata');
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * Executes the pre-phase actions the policy stage does not execute itself (policies.md §6, proxy.md
 * §11): `redact` (request side; response side remembered for the post phase), `transform`,
 * `override`, `tool_scope`, `split`, `dynamic_route`, `conditional_route`. Actions see the
 * mutations of earlier actions (§11 item 1). In shadow mode nothing is executed; the detections
 * (tool scope) raise the rule's shadow violation to `would_block` (§11 item 3).
 */
@Injectable()
export class PolicyActionRunner {
  constructor(@Optional() private readonly routing?: PolicyRoutingService) {}

  handles(type: PolicyActionType): boolean {
    return HANDLED.has(type);
  }

  /** Executes one fired action; returns the error that answers the request when it blocks. */
  async run(ctx: ProxyContext, fired: FiredPolicyAction): Promise<GatewayError | undefined> {
    const action = fired.action;
    fired.status = 'applied';
    switch (action.action) {
      case 'redact': {
        const redaction = compileRedaction(action);
        if (!appliesTo(redaction, 'request') || ctx.json === undefined) return undefined;
        const report = new RedactionReport();
        if (redaction.onMatch === 'block') {
          redactJson(ctx.json, redaction, report, false);
          if (!report.any) return undefined;
          fired.status = 'blocked';
          return piiBlocked(fired, report.matched, 'request');
        }
        ctx.json = redactJson(ctx.json, redaction, report, true);
        if (report.any) {
          ctx.bodyChanged = true;
          recordRedacted(ctx, report.matched);
        }
        return undefined;
      }
      case 'transform': {
        const result = applyTransform(action.operations, ctx.json, upstreamHeaderSink(ctx));
        if (result.changed) this.bodyChanged(ctx, result.body);
        return undefined;
      }
      case 'override':
        if (isObject(ctx.json)) {
          Object.assign(ctx.json, structuredClone(action.set_body_fields));
          this.bodyChanged(ctx, ctx.json);
        }
        return undefined;
      case 'tool_scope': {
        const tool = refusedTool(action, ctx.json);
        if (tool === undefined) return undefined;
        fired.status = 'blocked';
        return actionDenied(fired, action.deny_message ?? 'tool not permitted by policy');
      }
      case 'split':
        this.apply(ctx, decideSplit(action, Math.random));
        return undefined;
      case 'dynamic_route': {
        const env = this.environment(ctx);
        this.apply(
          ctx,
          await decideDynamicRoute(action, env, `${ctx.token?.id ?? '-'}:${fired.policy_id}:${fired.rule_index}:${fired.action_index}`),
        );
        return undefined;
      }
      case 'conditional_route': {
        const view: BranchView = { body: ctx.json, header: (name) => ctx.header(name), metadata: metadataOf(ctx) };
        const decision = decideConditionalRoute(action, view);
        if (!decision) {
          fired.status = 'blocked';
          return actionDenied(fired, 'no routing branch matched the request');
        }
        this.apply(ctx, decision);
        return undefined;
      }
      default:
        fired.status = 'deferred';
        return undefined;
    }
  }

  /**
   * Shadow mode (policies.md §11 item 3): detections run without side effects. A `tool_scope` that
   * would refuse the request raises its rule's violation to `would_block`.
   */
  detectShadow(ctx: ProxyContext, outcome: PolicyOutcome): void {
    for (const fired of outcome.shadow_actions ?? []) {
      if (fired.action.action !== 'tool_scope' || fired.status !== 'pending') continue;
      fired.status = 'applied';
      if (refusedTool(fired.action, ctx.json) !== undefined) raiseShadow(outcome.shadow_violations, fired);
    }
  }

  private environment(ctx: ProxyContext) {
    const routing = this.routing ?? new PolicyRoutingService();
    return routing.environment(ctx);
  }

  private bodyChanged(ctx: ProxyContext, body: unknown): void {
    ctx.json = body;
    ctx.bodyChanged = true;
    ctx.streaming = isObject(body) && body['stream'] === true;
  }

  /** Applies a routing decision: body fields, model, target and credential; headers and audit facts. The last one wins. */
  private apply(ctx: ProxyContext, decision: RouteDecision): void {
    if (decision.setBodyFields && isObject(ctx.json)) {
      Object.assign(ctx.json, structuredClone(decision.setBodyFields));
      this.bodyChanged(ctx, ctx.json);
    }
    const target = decision.target;
    if (target) {
      if (target.model !== undefined && isObject(ctx.json)) {
        ctx.json['model'] = target.model;
        this.bodyChanged(ctx, ctx.json);
      }
      if (target.upstream_url !== undefined || target.credential_id !== undefined) {
        ctx.targetOverride = {
          ...(target.upstream_url !== undefined ? { url: target.upstream_url } : {}),
          ...(target.credential_id !== undefined ? { credentialId: target.credential_id } : {}),
        };
      } else if (decision.strategy !== 'split') {
        ctx.targetOverride = undefined;
      }
      if (target.upstream_url !== undefined) this.routing?.started(ctx, target.upstream_url);
    } else if (decision.strategy !== 'split') {
      // dynamic_route with nothing available and no fallback: the token's own upstreams.
      ctx.targetOverride = undefined;
    }
    ctx.clientHeaders['x-ailink-route-strategy'] = decision.strategy;
    ctx.clientHeaders['x-ailink-route-reason'] = decision.reason;
    ctx.routerInfo = decision.info;
    if (decision.strategy === 'split') {
      ctx.experimentName = decision.experiment;
      ctx.variantName = decision.variant;
    }
  }
}

/** Raises the shadow violation of `fired`'s rule to `would_block`. */
export function raiseShadow(violations: ShadowViolation[], fired: FiredPolicyAction): void {
  const violation = violations.find((v) => v.policy_id === fired.policy_id && v.rule_index === fired.rule_index);
  if (violation) violation.outcome = 'would_block';
}
