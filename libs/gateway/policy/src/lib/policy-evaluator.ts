import { Injectable, Logger } from '@nestjs/common';
import type { PolicyOutcome, PolicyPhase } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import type { ProxyContext, ProxyToken } from '@ailink/gateway-proxy';
import { PolicyEvaluationError, evaluatePolicies, retryFromPolicies, type LoadedPolicy } from './engine/policy-engine';
import { headerReader, queryReader, type PolicyRequestView, type PolicyResponseView, type PolicyUsageView } from './engine/request-view';
import { PolicyCache } from './policy-cache';
import { PolicyUsageReader } from './usage-reader';

const WARN_INTERVAL_MS = 10_000;

/** The request view of a proxied request (policies.md §4), read lazily from the context. */
export function requestViewOf(
  ctx: ProxyContext,
  now: Date,
  usage: PolicyUsageView | null,
  response?: PolicyResponseView | null,
): PolicyRequestView {
  const token = ctx.token;
  return {
    method: ctx.method,
    path: ctx.path,
    bodySize: ctx.body?.length ?? 0,
    body: ctx.json,
    header: headerReader(ctx.headers),
    query: queryReader(ctx.query),
    modelAlias: null,
    agentName: ctx.header('x-ailink-agent-name') ?? ctx.header('user-agent') ?? null,
    token: token ? { id: token.id, name: token.name, projectId: token.projectId, teamId: token.teamId, tags: token.tags } : null,
    clientIp: ctx.clientIp,
    now,
    usage,
    response: response ?? null,
  };
}

/** 422 `invalid_config` naming the policy (policies.md §2: stored policies that fail, fail closed). */
export function policyInvalidConfig(id: string, name: string): GatewayError {
  return new GatewayError(ErrorCode.InvalidConfig, `Policy '${name}' (${id}) cannot be applied to this request`);
}

/**
 * Loads a token's policies through the cache tiers (never PostgreSQL on a warm path) and
 * evaluates one phase's rules on a request. Shared by the policy stages.
 */
@Injectable()
export class PolicyEvaluator {
  private readonly logger = new Logger('PolicyEvaluator');
  private lastUsageWarnAt = 0;

  constructor(
    private readonly cache: PolicyCache,
    private readonly usage: PolicyUsageReader,
  ) {}

  /**
   * The token's active policies in `policy_ids` order (missing, inactive and other-project ids
   * skipped). Throws 422 `invalid_config` when one of them cannot be loaded.
   */
  async load(token: ProxyToken): Promise<LoadedPolicy[]> {
    if (token.policyIds.length === 0) return [];
    const resolved = await Promise.all(token.policyIds.map((id) => this.cache.get(id.toLowerCase())));
    const policies: LoadedPolicy[] = [];
    for (const entry of resolved) {
      if (!entry) continue;
      if (!entry.ok) {
        if (entry.projectId !== token.projectId) continue;
        throw policyInvalidConfig(entry.id, entry.name);
      }
      if (entry.policy.projectId === token.projectId) policies.push(entry.policy);
    }
    return policies;
  }

  /**
   * Evaluates `phase` on the request: loads the policies, takes the retry configuration from them,
   * reads usage counters when a policy of the phase needs them, and returns the outcome (actions
   * not executed yet). A policy failing at run time → 422 `invalid_config`, logged.
   */
  async evaluate(ctx: ProxyContext, phase: PolicyPhase, response?: PolicyResponseView | null): Promise<PolicyOutcome> {
    const token = ctx.token;
    const empty: PolicyOutcome = { phase, mode: null, evaluated: [], actions: [], async_actions: [], shadow_violations: [], tags: {} };
    if (!token) return empty;
    const policies = await this.load(token);
    if (policies.length === 0) return empty;
    const retry = retryFromPolicies(policies);
    if (retry) ctx.retry = retry;
    const now = new Date();
    const usage = policies.some((p) => p.phase === phase && p.usesUsage) ? await this.readUsage(token.id, now) : null;
    try {
      const outcome = evaluatePolicies(policies, requestViewOf(ctx, now, usage, response), phase);
      if (policies.some((p) => p.usesUsage)) outcome.uses_usage = true;
      return outcome;
    } catch (error) {
      if (error instanceof PolicyEvaluationError) {
        this.logger.error(error.message);
        throw policyInvalidConfig(error.policyId, error.policyName);
      }
      throw error;
    }
  }

  /** Usage for `usage.*`; when Redis cannot answer, those fields do not resolve (and a warning is logged). */
  private async readUsage(tokenId: string, now: Date): Promise<PolicyUsageView | null> {
    try {
      return await this.usage.read(tokenId, now);
    } catch (error) {
      const at = Date.now();
      if (at - this.lastUsageWarnAt >= WARN_INTERVAL_MS) {
        this.lastUsageWarnAt = at;
        this.logger.warn(`Usage counters unavailable for usage.* conditions: ${error instanceof Error ? error.message : String(error)}`);
      }
      return null;
    }
  }
}
