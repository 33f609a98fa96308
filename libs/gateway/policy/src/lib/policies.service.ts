import { Injectable } from '@nestjs/common';
import type {
  CreatePolicyResponse,
  DeletePolicyResponse,
  Policy,
  PolicyVersion,
  UpdatePolicyResponse,
  ValidatePolicyResponse,
  ValidationProblem,
} from '@ailink/shared-contracts';
import { AppConfig, ErrorCode, GatewayError, OutboundUrlGuard, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import { isObject } from './engine/checker';
import { compilePolicyDocument, type CompiledDocument } from './engine/policy-compiler';
import type { PolicyVersionEntity } from './entities/policy-version.entity';
import type { PolicyEntity } from './entities/policy.entity';
import { POLICY_NAME_INDEX, PoliciesRepository } from './policies.repository';
import { PolicyCache } from './policy-cache';
import { TokenCacheInvalidator } from './token-cache-invalidator';
import type { ListPoliciesQueryDto } from './policies.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Policy object (management-api.md). */
export function toPolicyResponse(row: PolicyEntity): Policy {
  return {
    id: row.id,
    project_id: row.projectId,
    name: row.name,
    mode: row.mode,
    phase: row.phase,
    rules: row.rules,
    retry: row.retry,
    buffer_streaming_for_post_flight: row.bufferStreamingForPostFlight,
    managed: row.managed,
    presets: row.presets ?? [],
    is_active: row.isActive,
    version: row.version,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toPolicyVersionResponse(row: PolicyVersionEntity): PolicyVersion {
  return {
    id: row.id,
    policy_id: row.policyId,
    version: row.version,
    name: row.name,
    mode: row.mode,
    phase: row.phase,
    rules: row.rules,
    retry: row.retry,
    changed_by: row.changedBy,
    created_at: row.createdAt.toISOString(),
  };
}

function actorOf(principal: Principal): string {
  return principal.keyId ?? principal.userId ?? principal.authMethod;
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && (constraint === undefined || constraint === POLICY_NAME_INDEX);
}

/** 422 `validation_error` listing every problem (policies.md §2). */
export function policyValidationError(problems: ValidationProblem[]): GatewayError {
  const message = problems.length === 1 ? 'policy has 1 problem' : `policy has ${problems.length} problems`;
  return GatewayError.validation(problems, message);
}

/**
 * The rules of policies (policies.md; management-api.md "Policies"): strict validation of every
 * write (create, the merged result of an update, `validate`), unique active names per project
 * (409), a version row per create and update, soft delete that detaches the policy from its tokens.
 * Every write invalidates the policy (and detached tokens) in the cache tiers after it commits.
 */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly repository: PoliciesRepository,
    private readonly scope: ProjectScope,
    private readonly cache: PolicyCache,
    private readonly tokens: TokenCacheInvalidator,
    private readonly guard: OutboundUrlGuard,
    private readonly config: AppConfig,
  ) {}

  async list(principal: Principal, query: ListPoliciesQueryDto): Promise<Policy[]> {
    const projectId = await this.scope.resolve(principal, query.project_id);
    return (await this.repository.listForProject(projectId, query.include_inactive === true)).map(toPolicyResponse);
  }

  async get(principal: Principal, id: string): Promise<Policy> {
    return toPolicyResponse(await this.findVisible(principal, id));
  }

  /** `POST /policies/validate`: the checks of a create, without storing anything. */
  async validate(principal: Principal, body: unknown): Promise<ValidatePolicyResponse> {
    const compiled = this.compile(body, true);
    const projectId = await this.scope.resolve(principal, isObject(body) ? (body['project_id'] as string | undefined) : undefined);
    await this.checkReferences(compiled, projectId);
    return { valid: true };
  }

  async create(principal: Principal, body: unknown): Promise<CreatePolicyResponse> {
    const compiled = this.compile(body, true);
    const projectId = await this.scope.resolve(principal, isObject(body) ? (body['project_id'] as string | undefined) : undefined);
    await this.checkReferences(compiled, projectId);
    const { document } = compiled;
    await this.assertNameFree(projectId, document.name);
    let row: PolicyEntity;
    try {
      row = await this.repository.create(projectId, document, actorOf(principal));
    } catch (error) {
      throw this.conflictOr(error, document.name);
    }
    await this.cache.invalidate(row.id, row.projectId);
    return { id: row.id, name: row.name, message: 'Policy created' };
  }

  /** `PUT`/`PATCH`: partial; the merged document is validated as a whole. */
  async update(principal: Principal, id: string, body: unknown): Promise<UpdatePolicyResponse> {
    const current = await this.findVisible(principal, id);
    if (!current.isActive) throw GatewayError.notFound('Policy');
    if (!isObject(body)) throw policyValidationError([{ path: '$', message: 'expected a JSON object' }]);
    const merged: Record<string, unknown> = {
      name: current.name,
      mode: current.mode,
      phase: current.phase,
      rules: current.rules,
      retry: current.retry,
      buffer_streaming_for_post_flight: current.bufferStreamingForPostFlight,
      ...body,
    };
    const compiled = this.compile(merged, false);
    await this.checkReferences(compiled, current.projectId);
    const { document } = compiled;
    if (document.name !== current.name) await this.assertNameFree(current.projectId, document.name, current.id);
    let row: PolicyEntity | null;
    try {
      row = await this.repository.update(current.id, document, actorOf(principal));
    } catch (error) {
      throw this.conflictOr(error, document.name);
    }
    if (!row) throw GatewayError.notFound('Policy');
    await this.cache.invalidate(row.id, row.projectId);
    return { id: row.id, name: row.name, message: 'Policy updated' };
  }

  /** Soft delete; the policy is removed from every token's `policy_ids`. */
  async delete(principal: Principal, id: string): Promise<DeletePolicyResponse> {
    const current = await this.findVisible(principal, id);
    const detached = await this.repository.deactivate(current.id);
    if (detached === null) throw GatewayError.notFound('Policy');
    await this.cache.invalidate(current.id, current.projectId);
    for (const token of detached) await this.tokens.invalidate(token.id, token.projectId);
    return { id: current.id, deleted: true };
  }

  async versions(principal: Principal, id: string): Promise<PolicyVersion[]> {
    const current = await this.findVisible(principal, id);
    return (await this.repository.listVersions(current.id)).map(toPolicyVersionResponse);
  }

  private compile(body: unknown, create: boolean): CompiledDocument {
    const { problems, compiled } = compilePolicyDocument(body, { allowProjectId: create });
    if (!compiled) throw policyValidationError(problems);
    return compiled;
  }

  /** Write-time checks that need the network or the database: SSRF rules and credential ids. */
  private async checkReferences(compiled: CompiledDocument, projectId: string): Promise<void> {
    const problems: ValidationProblem[] = [];
    const upstreamRules = this.config.blockPrivateUpstreams ? 'full' : 'metadata';
    for (const ref of compiled.refs.urls) {
      const rules = ref.rules === 'full' ? 'full' : upstreamRules;
      const verdict = await this.guard.check(ref.url, { rules, resolve: rules === 'full' });
      if (!verdict.allowed) {
        problems.push({
          path: ref.path,
          message: `${verdict.reason ?? 'host not allowed'} (SSRF protection; see AILINK_ALLOWED_PRIVATE_HOSTS)`,
        });
      }
    }
    const missing = new Set(
      await this.repository.missingCredentials(
        compiled.refs.credentialIds.map((c) => c.id),
        projectId,
      ),
    );
    for (const ref of compiled.refs.credentialIds) {
      if (missing.has(ref.id)) problems.push({ path: ref.path, message: `unknown credential ${ref.id}` });
    }
    if (problems.length > 0) throw policyValidationError(problems);
  }

  /** A policy the caller may see (any state); other organisations' policies are 404. */
  private async findVisible(principal: Principal, id: string): Promise<PolicyEntity> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'The policy id must be a UUID');
    const row = await this.repository.findInOrg(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    if (!row) throw GatewayError.notFound('Policy');
    return row;
  }

  private async assertNameFree(projectId: string, name: string, exceptId?: string): Promise<void> {
    const existing = await this.repository.findActiveByName(projectId, name);
    if (existing && existing.id !== exceptId) throw this.conflict(name);
  }

  private conflict(name: string): GatewayError {
    return new GatewayError(ErrorCode.Conflict, `A policy named '${name}' already exists in this project`);
  }

  private conflictOr(error: unknown, name: string): unknown {
    return isUniqueViolation(error) ? this.conflict(name) : error;
  }
}
