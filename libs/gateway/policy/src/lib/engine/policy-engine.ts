import type {
  EvaluatedPolicy,
  FiredPolicyAction,
  PolicyAction,
  PolicyMode,
  PolicyOutcome,
  PolicyPhase,
  ShadowOutcome,
  ShadowViolation,
} from '@ailink/shared-contracts';
import type { CompiledRule, EffectiveRetry } from './policy-compiler';
import type { PolicyRequestView } from './request-view';

/** A stored policy, compiled once when loaded (what the cache tiers hand out). Never mutate. */
export interface LoadedPolicy {
  id: string;
  projectId: string;
  name: string;
  version: number;
  mode: PolicyMode;
  phase: PolicyPhase;
  rules: readonly CompiledRule[];
  retry: EffectiveRetry | null;
  usesUsage: boolean;
  /** `buffer_streaming_for_post_flight` (post phase). */
  bufferStreaming?: boolean;
}

/**
 * A policy failed while its rules were evaluated: requests of every token it is attached to fail
 * closed (422 `invalid_config` naming the policy, policies.md §2) instead of crashing.
 */
export class PolicyEvaluationError extends Error {
  constructor(
    readonly policyId: string,
    readonly policyName: string,
    readonly reason: string,
  ) {
    super(`policy '${policyName}' (${policyId}) failed to evaluate: ${reason}`);
    this.name = 'PolicyEvaluationError';
  }
}

const ROUTING_ACTIONS = new Set(['split', 'dynamic_route', 'conditional_route']);

/**
 * What a rule would have done in shadow mode, judged from its actions alone: `deny` and
 * `require_approval` block, routing actions route, `redact` redacts (or blocks with
 * `on_match: block`), anything else fires. Detections (rate-limit counts, tool scope, schema
 * checks) are owned by their stages, which may raise an entry to `would_block`.
 */
export function shadowOutcomeOf(actions: readonly PolicyAction[]): ShadowOutcome {
  let outcome: ShadowOutcome = 'would_fire';
  for (const action of actions) {
    if (action.action === 'deny' || action.action === 'require_approval') return 'would_block';
    if (action.action === 'redact' && action.on_match === 'block') return 'would_block';
    if (ROUTING_ACTIONS.has(action.action)) outcome = 'would_route';
    else if (action.action === 'redact' && outcome === 'would_fire') outcome = 'would_redact';
  }
  return outcome;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Evaluates the policies of one phase on a request (policies.md §5): policies in the given
 * (`policy_ids`) order, only those of `phase`; rules in order; every rule whose condition holds
 * fires. Enforce mode appends the rule's actions to the action list (or to the async list for
 * `async_check` rules); shadow mode appends a shadow violation (and the rule's actions to
 * `shadow_actions`, for the stages that detect what they would have done) and nothing else. A firing rule with
 * `allow` + `stop: true` ends the evaluation of its policy (in shadow mode too).
 *
 * Pure: executes no action. Every fired action comes back with status `pending`. Throws
 * {@link PolicyEvaluationError} when a policy fails at run time.
 */
export function evaluatePolicies(policies: readonly LoadedPolicy[], view: PolicyRequestView, phase: PolicyPhase): PolicyOutcome {
  const outcome: PolicyOutcome = { phase, mode: null, evaluated: [], actions: [], async_actions: [], shadow_violations: [], tags: {} };
  for (const policy of policies) {
    if (policy.phase !== phase) continue;
    const evaluated: EvaluatedPolicy = {
      policy_id: policy.id,
      policy: policy.name,
      version: policy.version,
      mode: policy.mode,
      phase: policy.phase,
      fired_rules: [],
    };
    outcome.evaluated.push(evaluated);
    if (policy.mode === 'enforce') outcome.mode = 'enforce';
    else if (outcome.mode === null) outcome.mode = 'shadow';
    for (const rule of policy.rules) {
      let fires: boolean;
      try {
        fires = rule.test(view);
      } catch (error) {
        throw new PolicyEvaluationError(policy.id, policy.name, `rule #${rule.index}: ${describe(error)}`);
      }
      if (!fires) continue;
      evaluated.fired_rules.push(rule.index);
      if (policy.mode === 'shadow') {
        const violation: ShadowViolation = {
          policy_id: policy.id,
          policy: policy.name,
          rule_index: rule.index,
          actions: [...rule.actionNames],
          outcome: shadowOutcomeOf(rule.actions),
        };
        outcome.shadow_violations.push(violation);
        const shadowActions = (outcome.shadow_actions ??= []);
        rule.actions.forEach((action, actionIndex) => {
          shadowActions.push({
            policy_id: policy.id,
            policy: policy.name,
            policy_version: policy.version,
            rule_index: rule.index,
            action_index: actionIndex,
            action,
            status: 'pending',
          });
        });
      } else {
        const list = rule.async ? outcome.async_actions : outcome.actions;
        rule.actions.forEach((action, actionIndex) => {
          const fired: FiredPolicyAction = {
            policy_id: policy.id,
            policy: policy.name,
            policy_version: policy.version,
            rule_index: rule.index,
            action_index: actionIndex,
            action,
            status: 'pending',
          };
          list.push(fired);
        });
      }
      if (rule.stop) break;
    }
  }
  return outcome;
}

/**
 * The retry configuration a token's policies supply: the first active enforce-mode policy, in
 * `policy_ids` order, that has a `retry` block (policies.md §8, §11 item 4); null when none has.
 */
export function retryFromPolicies(policies: readonly LoadedPolicy[]): EffectiveRetry | null {
  for (const policy of policies) {
    if (policy.mode === 'enforce' && policy.retry) return policy.retry;
  }
  return null;
}
