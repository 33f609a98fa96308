import { Injectable, Logger, Optional } from '@nestjs/common';
import type { FiredPolicyAction, PolicyOutcome } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';
import { PolicyActionRunner } from './policy-action-runner';
import { PolicyEvaluator } from './policy-evaluator';

const logger = new Logger('PolicyActions');

export function logAction(fired: FiredPolicyAction, ctx: ProxyContext): void {
  if (fired.action.action !== 'log') return;
  const line = `policy '${fired.policy}' rule #${fired.rule_index} (token ${ctx.token?.id ?? '-'}, ${ctx.method}): log action ${JSON.stringify(fired.action.tags ?? {})}`;
  switch (fired.action.level) {
    case 'debug':
      logger.debug(line);
      break;
    case 'info':
      logger.log(line);
      break;
    case 'error':
      logger.error(line);
      break;
    default:
      logger.warn(line);
  }
}

/**
 * 403 (or the action's `status`) `policy_denied` for a `deny` action (proxy.md §6: message
 * `Request blocked by policy '<name>': <message>`, details `{policy, rule_index, action, reason}`).
 */
export function policyDenied(fired: FiredPolicyAction, status: number | undefined, reason: string): GatewayError {
  return new GatewayError(ErrorCode.PolicyDenied, `Request blocked by policy '${fired.policy}': ${reason}`, {
    status: status ?? 403,
    details: { policy: fired.policy, rule_index: fired.rule_index, action: fired.action.action, reason },
  });
}

/** A `throttle` delay: a deliberate wait, so it is not counted as gateway overhead (proxy.md §16). */
async function throttle(ctx: ProxyContext, delayMs: number): Promise<void> {
  if (delayMs <= 0) return;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
  ctx.deliberateWaitMs += Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * Executes the pre-phase action list in order (policies.md §5 step 4, §6): `allow` (no effect),
 * `deny` (403 or its `status`, `policy_denied`; later actions are skipped), `log` (a server log line;
 * its tags join the audit tags), `tag` (one audit tag), `throttle` (sleeps `delay_ms`, a deliberate
 * wait). Actions another stage already handled (the rate limits of step 7) keep their status; every
 * other action is marked `deferred` for the stage that owns it. Async-rule actions are left
 * `deferred` for the async runner. Shadow violations only ever get recorded. Throws the deny's error
 * after recording the outcome. With a `runner`, the actions it handles (redaction, transforms,
 * overrides, tool scope, routing) execute in list order too, and it judges the shadow detections.
 */
export async function executePolicyActions(ctx: ProxyContext, outcome: PolicyOutcome, runner?: PolicyActionRunner): Promise<void> {
  let blocked: GatewayError | undefined;
  for (const fired of outcome.actions) {
    if (blocked) {
      if (fired.status === 'pending') fired.status = 'skipped';
      continue;
    }
    const action = fired.action;
    switch (action.action) {
      case 'allow':
        fired.status = 'applied';
        break;
      case 'deny':
        fired.status = 'blocked';
        blocked = policyDenied(fired, action.status, action.message ?? 'request blocked by policy');
        break;
      case 'log':
        logAction(fired, ctx);
        Object.assign(outcome.tags, action.tags ?? {});
        fired.status = 'applied';
        break;
      case 'tag':
        outcome.tags[action.key] = action.value;
        fired.status = 'applied';
        break;
      case 'throttle':
        await throttle(ctx, action.delay_ms);
        fired.status = 'applied';
        break;
      default:
        if (runner && fired.status === 'pending' && runner.handles(action.action)) blocked = await runner.run(ctx, fired);
        else if (fired.status === 'pending') fired.status = 'deferred';
    }
  }
  for (const fired of outcome.async_actions) fired.status = 'deferred';
  runner?.detectShadow(ctx, outcome);
  if (blocked) throw blocked;
}

/**
 * Proxy stage `policy-evaluate` (proxy.md §7 steps 5–6): loads the token's policies through the
 * cache tiers, sets the retry configuration, evaluates the pre-phase conditions on the request as
 * it arrived and records the outcome on `ctx.policy`. Executes nothing: put the rate-limit stage
 * (step 7) after it, then {@link PolicyActionsStage}.
 */
@Injectable()
export class PolicyEvaluateStage implements ProxyStage {
  readonly name = 'policy-evaluate';

  constructor(private readonly evaluator: PolicyEvaluator) {}

  async run(ctx: ProxyContext): Promise<void> {
    ctx.policy = await this.evaluator.evaluate(ctx, 'pre');
  }
}

/** Proxy stage `policy-actions` (proxy.md §7 step 8): executes `ctx.policy` (see {@link executePolicyActions}). */
@Injectable()
export class PolicyActionsStage implements ProxyStage {
  readonly name = 'policy-actions';
  private readonly runner: PolicyActionRunner;

  constructor(@Optional() runner?: PolicyActionRunner) {
    this.runner = runner ?? new PolicyActionRunner();
  }

  async run(ctx: ProxyContext): Promise<void> {
    if (ctx.policy) await executePolicyActions(ctx, ctx.policy, this.runner);
  }
}

/**
 * Proxy stage `policy`: {@link PolicyEvaluateStage} and {@link PolicyActionsStage} in one step,
 * for a pipeline with nothing between them. Enforce mode: `deny` answers `policy_denied`; shadow
 * mode: the request proceeds and the would-have-fired rules are in `ctx.policy.shadow_violations`.
 */
@Injectable()
export class PolicyStage implements ProxyStage {
  readonly name = 'policy';
  private readonly runner: PolicyActionRunner;

  constructor(
    private readonly evaluator: PolicyEvaluator,
    @Optional() runner?: PolicyActionRunner,
  ) {
    this.runner = runner ?? new PolicyActionRunner();
  }

  async run(ctx: ProxyContext): Promise<void> {
    const outcome = await this.evaluator.evaluate(ctx, 'pre');
    ctx.policy = outcome;
    await executePolicyActions(ctx, outcome, this.runner);
  }
}
