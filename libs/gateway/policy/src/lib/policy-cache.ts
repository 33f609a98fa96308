import { Injectable, Logger } from '@nestjs/common';
import type { PolicyMode, PolicyPhase, PolicyRetry, PolicyRule } from '@ailink/shared-contracts';
import { AppConfig } from '@ailink/gateway-core';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import { compilePolicyDocument } from './engine/policy-compiler';
import type { LoadedPolicy } from './engine/policy-engine';
import type { PolicyEntity } from './entities/policy.entity';
import { PoliciesRepository } from './policies.repository';

/** Cache kind of policies: `ailink:res:policy:{id}` (data-model.md, Redis keyspace). */
export const POLICY_CACHE_KIND = 'policy';

/** The L2 form of a policy: the stored row's fields (the compiled form is rebuilt on every L2 read). */
export interface StoredPolicy {
  id: string;
  project_id: string;
  name: string;
  mode: PolicyMode;
  phase: PolicyPhase;
  rules: PolicyRule[];
  retry: PolicyRetry | null;
  buffer_streaming_for_post_flight: boolean;
  version: number;
}

/**
 * An active policy as the proxy resolves it: compiled, or — should a stored document not compile
 * (it was validated when written, so only a damaged row or an incompatible upgrade gets here) —
 * broken, which makes the requests of its tokens fail closed.
 */
export type ResolvedPolicy =
  | { ok: true; policy: LoadedPolicy; stored: StoredPolicy }
  | { ok: false; id: string; projectId: string; name: string; reason: string; stored: StoredPolicy };

export function toStoredPolicy(row: PolicyEntity): StoredPolicy {
  return {
    id: row.id,
    project_id: row.projectId,
    name: row.name,
    mode: row.mode,
    phase: row.phase,
    rules: row.rules,
    retry: row.retry,
    buffer_streaming_for_post_flight: row.bufferStreamingForPostFlight,
    version: row.version,
  };
}

const logger = new Logger('PolicyCache');

/** Compiles a stored policy once (on load from PostgreSQL or L2). Never throws. */
export function resolveStoredPolicy(stored: StoredPolicy): ResolvedPolicy {
  let reason: string;
  try {
    const { problems, compiled } = compilePolicyDocument({
      name: stored.name,
      mode: stored.mode,
      phase: stored.phase,
      rules: stored.rules,
      retry: stored.retry,
      buffer_streaming_for_post_flight: stored.buffer_streaming_for_post_flight,
    });
    if (compiled) {
      return {
        ok: true,
        stored,
        policy: {
          id: stored.id,
          projectId: stored.project_id,
          name: compiled.document.name,
          version: stored.version,
          mode: compiled.document.mode,
          phase: compiled.document.phase,
          rules: compiled.rules,
          retry: compiled.retry,
          usesUsage: compiled.usesUsage,
          bufferStreaming: compiled.document.buffer_streaming_for_post_flight,
        },
      };
    }
    reason = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  logger.error(`Stored policy '${stored.name}' (${stored.id}) cannot be loaded; its tokens fail closed: ${reason}`);
  return { ok: false, id: stored.id, projectId: stored.project_id, name: stored.name, reason, stored };
}

/**
 * Active policies by id through the cache tiers (L1 LRU → Redis → PostgreSQL), compiled once per
 * load: L1 holds the compiled form, L2 the stored document. Missing and inactive ids resolve to
 * null (negatively cached). Every write calls {@link invalidate} after it commits, so an edit
 * reaches every instance within 1 s; the proxy never queries PostgreSQL for a cached policy.
 */
@Injectable()
export class PolicyCache {
  private readonly cache: TieredCache<ResolvedPolicy>;

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: PoliciesRepository) {
    this.cache = factory.create<ResolvedPolicy>({
      kind: POLICY_CACHE_KIND,
      loader: async (id) => {
        const row = await repository.findById(id);
        return row && row.isActive ? resolveStoredPolicy(toStoredPolicy(row)) : null;
      },
      serialize: (value) => JSON.stringify(value.stored),
      deserialize: (raw) => resolveStoredPolicy(JSON.parse(raw) as StoredPolicy),
      l1MaxEntries: config.l1MaxEntries,
      l1TtlMs: Math.max(1, config.l1TtlMs),
      l2TtlSecs: config.l2TtlSecs,
    });
  }

  get(id: string): Promise<ResolvedPolicy | null> {
    return this.cache.get(id);
  }

  /** After a committed change: every instance drops its copy within 1 s. */
  invalidate(id: string, projectId: string): Promise<void> {
    return this.cache.invalidate(id, projectId);
  }
}
