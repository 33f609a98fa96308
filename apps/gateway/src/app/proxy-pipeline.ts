import type { ProxyPipelineDefinition } from '@ailink/gateway-proxy';
import { ResolveTokenStage } from '@ailink/gateway-tokens';
import { ResolveServiceStage } from '@ailink/gateway-services';
import { InjectCredentialStage } from '@ailink/gateway-credentials';
import { AuditHook } from '@ailink/gateway-audit';
import { SpendSettleHook, SpendStage } from '@ailink/gateway-spend';

/**
 * The proxy pipeline, in order — the one place that decides it (proxy.md §7).
 *   stages:        resolve token → resolve service → spend reservation → (policies, guardrails, rate limits: later issues)
 *   attemptStages: after each attempt's target selection: inject the credential
 *   completions:   after the response (for a stream: after it ended): spend settlement (sets the cost), then audit
 * Target selection, retries, breakers, forwarding and streaming are the proxy library's own steps.
 */
export const PROXY_PIPELINE: ProxyPipelineDefinition = {
  stages: [ResolveTokenStage, ResolveServiceStage, SpendStage],
  attemptStages: [InjectCredentialStage],
  completions: [SpendSettleHook, AuditHook],
};
