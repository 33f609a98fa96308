import { Injectable, Logger, Optional } from '@nestjs/common';
import type { AsyncFinding, FiredPolicyAction, PolicyOutcome, PolicyPhase } from '@ailink/shared-contracts';
import { EventBus } from '@ailink/gateway-events';
import type { ProxyCompletionHook, ProxyContext } from '@ailink/gateway-proxy';
import { RedactionReport, appliesTo, compileRedaction, redactJson } from './actions/redaction';
import { schemaViolation } from './actions/schema-check';
import { finalResponses } from './policy-response.stage';
import { PolicyRoutingService } from './routing-environment';
import { logAction } from './policy.stage';

function parsedResponse(ctx: ProxyContext): unknown {
  if (finalResponses.has(ctx)) return finalResponses.get(ctx);
  const body = ctx.responseBody;
  if (!body || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Async rules (policies.md §9) as a completion hook: after the response was sent (for a stream, after
 * it ended) and before the audit record is built, runs the `async_check` rules' actions of both
 * phases against the final request and response. `redact` (detection only) and `validate_schema`
 * findings go to the audit record's `async_findings` and emit `policy_violation` with
 * `details.async = true`; `log` writes its line and `tag` adds its tag. Blocking effects are
 * ignored. Also ends the request's in-flight count for `least_busy` routing.
 */
@Injectable()
export class PolicyAsyncHook implements ProxyCompletionHook {
  readonly name = 'policy-async';
  private readonly logger = new Logger('PolicyAsync');

  constructor(
    @Optional() private readonly events?: EventBus,
    @Optional() private readonly routing?: PolicyRoutingService,
  ) {}

  complete(ctx: ProxyContext): void {
    this.routing?.finished(ctx);
    for (const [outcome, phase] of [
      [ctx.policy, 'pre'],
      [ctx.postPolicy, 'post'],
    ] as const) {
      if (!outcome || outcome.async_actions.length === 0) continue;
      for (const fired of outcome.async_actions) {
        try {
          this.run(ctx, outcome, fired, phase);
        } catch (error) {
          this.logger.error(`async rule of policy '${fired.policy}' #${fired.rule_index} failed: ${String(error)}`);
        }
      }
    }
  }

  private run(ctx: ProxyContext, outcome: PolicyOutcome, fired: FiredPolicyAction, phase: PolicyPhase): void {
    const action = fired.action;
    fired.status = 'applied';
    switch (action.action) {
      case 'log':
        logAction(fired, ctx);
        Object.assign(outcome.tags, action.tags ?? {});
        return;
      case 'tag':
        outcome.tags[action.key] = action.value;
        return;
      case 'redact': {
        const redaction = compileRedaction(action);
        const report = new RedactionReport();
        if (appliesTo(redaction, 'request') && phase === 'pre') redactJson(ctx.json, redaction, report, false);
        if (appliesTo(redaction, 'response')) redactJson(parsedResponse(ctx), redaction, report, false);
        if (report.any) this.found(ctx, fired, phase, `sensitive data detected: ${report.matched.join(', ')}`, report.matched);
        return;
      }
      case 'validate_schema': {
        if (ctx.error || ctx.upstreamStatus === undefined) return; // no upstream response to check
        const violation = schemaViolation(action, parsedResponse(ctx), ctx.responseBody?.toString('utf8'));
        if (violation !== undefined) this.found(ctx, fired, phase, action.message ?? violation);
        return;
      }
      default:
        fired.status = 'skipped';
    }
  }

  private found(ctx: ProxyContext, fired: FiredPolicyAction, phase: PolicyPhase, reason: string, detected?: string[]): void {
    const finding: AsyncFinding = {
      policy_id: fired.policy_id,
      policy: fired.policy,
      rule_index: fired.rule_index,
      action: fired.action.action,
      phase,
      reason,
      ...(detected ? { detected } : {}),
    };
    (ctx.asyncFindings ??= []).push(finding);
    const token = ctx.token;
    if (!this.events || !token) return;
    try {
      this.events.emit('policy_violation', {
        project_id: token.projectId,
        token_id: token.id,
        token_name: token.name,
        details: { policy: fired.policy, rule_index: fired.rule_index, action: fired.action.action, phase, reason, async: true },
      });
    } catch (error) {
      this.logger.warn(`Could not emit policy_violation: ${String(error)}`);
    }
  }
}
