import type { ProxyPipelineDefinition } from '@ailink/gateway-proxy';
import { ResolveTokenStage } from '@ailink/gateway-tokens';
import { ResolveServiceStage } from '@ailink/gateway-services';
import { InjectCredentialStage } from '@ailink/gateway-credentials';
import { AuditHook } from '@ailink/gateway-audit';
import { SpendGuardStage, SpendSettleHook, SpendStage } from '@ailink/gateway-spend';
import { PolicyActionsStage, PolicyAsyncHook, PolicyEvaluateStage, PolicyResponseStage } from '@ailink/gateway-policy';
import { ClientIpStage, RateLimitReleaseHook, RateLimitStage } from '@ailink/gateway-rate-limit';
import { ModelAccessStage } from '@ailink/gateway-identity';
import { ApprovalConsumeStage, ApprovalStage } from '@ailink/gateway-approvals';

/**
 * The proxy pipeline, in order — the one place that decides it (proxy.md §7).
 *   stages:        resolve token → resolve service → client ip (trusted proxies) → policy evaluate (steps 5–6: conditions
 *                  on the request as it arrived) → rate limit (step 7: every fired and default limit plus usage counters in
 *                  one Lua call) → policy actions (step 8: deny, log, tag, throttle, …) → model access (step 9: token,
 *                  access groups, team) → spend guard (step 10: session guard; before an approval, the spend
 *                  pre-check, 402 on a cap already reached) → human approval (step 11: wait or 202) → spend reservation (step 15)
 *                  → approval consumption (step 16)
 *                  → (guardrails, …: later issues)
 *   attemptStages: after each attempt's target selection: inject the credential
 *   responseStages: on the upstream response before it is sent (steps 19–20): the post-phase policies
 *   completions:   after the response (for a stream: after it ended): a 202 awaiting approval takes its rate-limit entries
 *                  back, spend settlement (sets the cost), async policy
 *                  rules (their findings go on the record), then audit
 * Target selection, retries, breakers, forwarding and streaming are the proxy library's own steps.
 */
export const PROXY_PIPELINE: ProxyPipelineDefinition = {
  stages: [
    ResolveTokenStage,
    ResolveServiceStage,
    ClientIpStage,
    PolicyEvaluateStage,
    RateLimitStage,
    PolicyActionsStage,
    ModelAccessStage,
    SpendGuardStage,
    ApprovalStage,
    SpendStage,
    ApprovalConsumeStage,
  ],
  attemptStages: [InjectCredentialStage],
  responseStages: [PolicyResponseStage],
  completions: [RateLimitReleaseHook, SpendSettleHook, PolicyAsyncHook, AuditHook],
};
