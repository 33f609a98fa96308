import { Injectable } from '@nestjs/common';
import {
  LOG_LEVEL_NAMES,
  type CircuitBreakerConfig,
  type CreateTokenResponse,
  type LogLevel,
  type Token,
  type ValidationProblem,
} from '@ailink/shared-contracts';
import { AppConfig, ErrorCode, GatewayError, OutboundUrlGuard, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import { EventBus } from '@ailink/gateway-events';
import { applyCircuitBreakerConfig, defaultCircuitBreaker } from './circuit-breaker-config';
import type { StoredUpstream, TokenEntity } from './entities/token.entity';
import { TokenCache } from './token-cache';
import { maskToken, mintToken, parseTokenRef, sameDigest } from './token-secret';
import { assertHttpUrls, buildUpstreams, type UpstreamInput } from './token-upstreams';
import type { CreateTokenDto, ListTokensQueryDto, UpdateTokenDto } from './tokens.dto';
import { TokensRepository } from './tokens.repository';

export const CREATE_TOKEN_MESSAGE = 'Use: Authorization: Bearer <token_id>';
const DEFAULT_LIST_LIMIT = 1000;
const DEFAULT_SUSPENDED_REASON = 'Suspended by an administrator';

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** The Token object (management-api.md): never the secret. */
export function toTokenResponse(row: TokenEntity): Token {
  return {
    id: row.id,
    masked: maskToken(row.last4),
    project_id: row.projectId,
    name: row.name,
    credential_id: row.credentialId,
    upstream_url: row.upstreamUrl,
    upstreams: (row.upstreams ?? []).map((u) => ({
      url: u.url,
      weight: u.weight,
      priority: u.priority,
      credential_id: u.credential_id ?? null,
    })),
    scopes: row.scopes ?? [],
    policy_ids: row.policyIds ?? [],
    is_active: row.isActive,
    expires_at: iso(row.expiresAt),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    log_level: (row.logLevel === 0 || row.logLevel === 2 ? row.logLevel : 1) as LogLevel,
    circuit_breaker: row.circuitBreaker ?? null,
    allowed_models: row.allowedModels ?? null,
    allowed_model_group_ids: row.allowedModelGroupIds ?? [],
    team_id: row.teamId,
    tags: row.tags ?? {},
    mcp_allowed_tools: row.mcpAllowedTools ?? null,
    mcp_blocked_tools: row.mcpBlockedTools ?? null,
    suspended_at: iso(row.suspendedAt),
    suspended_reason: row.suspendedReason,
  };
}

interface UrlField {
  path: string;
  value: string | null | undefined;
}

/** The URL fields of a create/update body, with their JSON paths. */
function urlFields(dto: Pick<CreateTokenDto, 'upstream_url' | 'fallback_url' | 'upstreams'> | UpdateTokenDto): UrlField[] {
  return [
    { path: '$.upstream_url', value: dto.upstream_url },
    { path: '$.fallback_url', value: dto.fallback_url },
    ...(dto.upstreams ?? []).map((u, i) => ({ path: `$.upstreams[${i}].url`, value: u.url })),
  ];
}

/** Who made a change, for `created_by`. */
function actorOf(principal: Principal): string {
  return principal.keyId ?? principal.userId ?? principal.authMethod;
}

/**
 * The rules of virtual tokens (management-api.md "Tokens"; proxy.md §11, §13): minting, validation,
 * partial updates, suspension, revocation and circuit-breaker settings. Every write invalidates the
 * token in the cache tiers after it is stored.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly repository: TokensRepository,
    private readonly scope: ProjectScope,
    private readonly cache: TokenCache,
    private readonly config: AppConfig,
    private readonly guard: OutboundUrlGuard,
    private readonly events: EventBus,
  ) {}

  async list(principal: Principal, query: ListTokensQueryDto): Promise<Token[]> {
    const projectId = await this.scope.resolve(principal, query.project_id);
    const rows = await this.repository.list({
      projectId,
      teamId: query.team_id,
      includeInactive: query.include_inactive ?? false,
      limit: query.limit ?? DEFAULT_LIST_LIMIT,
      offset: query.offset ?? 0,
    });
    return rows.map(toTokenResponse);
  }

  async get(principal: Principal, id: string): Promise<Token> {
    return toTokenResponse(await this.findVisible(principal, id));
  }

  async create(principal: Principal, dto: CreateTokenDto): Promise<CreateTokenResponse> {
    const projectId = await this.scope.resolve(principal, dto.project_id);
    assertHttpUrls(urlFields(dto));
    const problems: ValidationProblem[] = [];
    const name = this.checkName(dto.name, problems);
    const built = buildUpstreams(dto.upstream_url, dto.upstreams as UpstreamInput[] | null | undefined, dto.fallback_url);
    problems.push(...built.problems);
    const expiresAt = this.checkExpiry(dto.expires_at, problems);
    const tags = this.checkTags(dto.tags, problems);
    const circuitBreaker = dto.circuit_breaker ? applyCircuitBreakerConfig(dto.circuit_breaker, null, '$.circuit_breaker') : null;
    await this.checkOutbound(urlFields(dto), problems);
    await this.checkReferences(projectId, dto, built.upstreams, problems);
    if (problems.length > 0) throw GatewayError.validation(problems);

    const minted = mintToken(projectId);
    const row = await this.repository.insert({
      id: minted.publicId,
      secretSha256: minted.secretSha256,
      last4: minted.last4,
      projectId,
      name,
      credentialId: dto.credential_id ?? null,
      upstreamUrl: dto.upstream_url.trim(),
      upstreams: built.upstreams,
      policyIds: dto.policy_ids ?? [],
      scopes: dto.scopes ?? [],
      logLevel: this.logLevelOf(dto) ?? 1,
      circuitBreaker,
      allowedModels: dto.allowed_models ?? null,
      allowedModelGroupIds: dto.allowed_model_group_ids ?? [],
      teamId: dto.team_id ?? null,
      tags: tags ?? {},
      mcpAllowedTools: dto.mcp_allowed_tools ?? null,
      mcpBlockedTools: dto.mcp_blocked_tools ?? null,
      expiresAt,
      isActive: true,
      createdBy: actorOf(principal),
    });
    // A spray may have cached this id negatively (vanishingly unlikely, but cheap to rule out).
    await this.cache.invalidate(row.id, projectId);
    this.events.emit('token_created', {
      project_id: projectId,
      token_id: row.id,
      token_name: row.name,
      details: { token_id: row.id, name: row.name, created_by: actorOf(principal) },
    });
    return { token_id: minted.secret, id: row.id, masked: maskToken(row.last4), name: row.name, message: CREATE_TOKEN_MESSAGE };
  }

  async update(principal: Principal, id: string, dto: UpdateTokenDto): Promise<Token> {
    const current = await this.findVisible(principal, id);
    assertHttpUrls(urlFields(dto));
    const problems: ValidationProblem[] = [];
    const changes: Partial<TokenEntity> = {};
    const notNull = (field: keyof UpdateTokenDto) => {
      if (dto[field] === null) problems.push({ path: `$.${field}`, message: 'must not be null' });
      return dto[field] !== undefined && dto[field] !== null;
    };

    if (notNull('name')) changes.name = this.checkName(dto.name as string, problems);
    if (notNull('upstream_url')) changes.upstreamUrl = (dto.upstream_url as string).trim();
    if (dto.upstreams !== undefined || (dto.fallback_url !== undefined && dto.fallback_url !== null)) {
      const base: readonly UpstreamInput[] = dto.upstreams !== undefined ? ((dto.upstreams ?? []) as UpstreamInput[]) : current.upstreams;
      const built = buildUpstreams(changes.upstreamUrl ?? current.upstreamUrl, base, dto.fallback_url);
      problems.push(...built.problems);
      changes.upstreams = built.upstreams;
    }
    if (dto.credential_id !== undefined) changes.credentialId = dto.credential_id;
    if (dto.policy_ids !== undefined) changes.policyIds = dto.policy_ids ?? [];
    if (dto.scopes !== undefined) changes.scopes = dto.scopes ?? [];
    if (dto.log_level === null && dto.log_level_name == null) problems.push({ path: '$.log_level', message: 'must not be null' });
    const level = this.logLevelOf(dto);
    if (level !== undefined) changes.logLevel = level;
    if (dto.circuit_breaker !== undefined) {
      changes.circuitBreaker =
        dto.circuit_breaker === null ? null : applyCircuitBreakerConfig(dto.circuit_breaker, null, '$.circuit_breaker');
    }
    if (dto.allowed_models !== undefined) changes.allowedModels = dto.allowed_models;
    if (dto.allowed_model_group_ids !== undefined) changes.allowedModelGroupIds = dto.allowed_model_group_ids ?? [];
    if (dto.team_id !== undefined) changes.teamId = dto.team_id;
    if (dto.tags !== undefined) changes.tags = this.checkTags(dto.tags, problems) ?? {};
    if (dto.mcp_allowed_tools !== undefined) changes.mcpAllowedTools = dto.mcp_allowed_tools;
    if (dto.mcp_blocked_tools !== undefined) changes.mcpBlockedTools = dto.mcp_blocked_tools;
    if (dto.expires_at !== undefined) changes.expiresAt = this.checkExpiry(dto.expires_at, problems);
    if (notNull('suspended')) {
      if (dto.suspended) {
        changes.suspendedAt = current.suspendedAt ?? new Date();
        changes.suspendedReason = dto.suspended_reason ?? current.suspendedReason ?? DEFAULT_SUSPENDED_REASON;
      } else {
        changes.suspendedAt = null;
        changes.suspendedReason = null;
      }
    } else if (dto.suspended_reason !== undefined && current.suspendedAt) {
      changes.suspendedReason = dto.suspended_reason;
    }

    await this.checkOutbound(urlFields(dto), problems);
    await this.checkReferences(
      current.projectId,
      {
        credential_id: dto.credential_id,
        policy_ids: dto.policy_ids,
        team_id: dto.team_id,
        allowed_model_group_ids: dto.allowed_model_group_ids,
      },
      changes.upstreams ?? [],
      problems,
    );
    if (problems.length > 0) throw GatewayError.validation(problems);

    const row = await this.repository.update(current.id, changes);
    await this.cache.invalidate(row.id, row.projectId);
    return toTokenResponse(row);
  }

  /** Revokes (idempotent): the proxy answers 401 for it on every instance within 1 s. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const current = await this.findVisible(principal, id);
    const revoked = await this.repository.deactivate(current.id);
    await this.cache.invalidate(current.id, current.projectId);
    // Once per token: repeating the call changes nothing and emits nothing.
    if (revoked) {
      this.events.emit('token_revoked', {
        project_id: current.projectId,
        token_id: current.id,
        token_name: current.name,
        details: { token_id: current.id, name: current.name, revoked_by: actorOf(principal) },
      });
    }
  }

  async getCircuitBreaker(principal: Principal, id: string): Promise<CircuitBreakerConfig> {
    const current = await this.findVisible(principal, id);
    return current.circuitBreaker ?? defaultCircuitBreaker();
  }

  /** Merges the given keys into the stored config (or the defaults); 422 `invalid_config` when out of range. */
  async updateCircuitBreaker(principal: Principal, id: string, body: unknown): Promise<CircuitBreakerConfig> {
    const current = await this.findVisible(principal, id);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new GatewayError(ErrorCode.BadRequest, 'The request body must be a JSON object');
    }
    const config = applyCircuitBreakerConfig(body, current.circuitBreaker);
    const row = await this.repository.update(current.id, { circuitBreaker: config });
    await this.cache.invalidate(row.id, row.projectId);
    return row.circuitBreaker ?? config;
  }

  /** A token the caller may see: by public id or bearer secret; other organisations' tokens are 404. */
  private async findVisible(principal: Principal, id: string): Promise<TokenEntity> {
    const ref = parseTokenRef(id);
    const row = ref ? await this.repository.findInOrg(ref.publicId, principal.role === 'superadmin' ? null : principal.orgId) : null;
    if (!row || (ref?.secretSha256 && !sameDigest(ref.secretSha256, row.secretSha256))) throw GatewayError.notFound('Token');
    return row;
  }

  private checkName(name: string, problems: ValidationProblem[]): string {
    const trimmed = name.trim();
    if (!trimmed) problems.push({ path: '$.name', message: 'must not be blank' });
    return trimmed;
  }

  private checkExpiry(value: string | null | undefined, problems: ValidationProblem[]): Date | null {
    if (value === undefined || value === null) return null;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) problems.push({ path: '$.expires_at', message: 'must be an RFC 3339 timestamp' });
    else if (date.getTime() <= Date.now()) problems.push({ path: '$.expires_at', message: 'must be in the future' });
    return date;
  }

  private checkTags(tags: Record<string, unknown> | null | undefined, problems: ValidationProblem[]): Record<string, string> | null {
    if (!tags) return null;
    for (const [key, value] of Object.entries(tags)) {
      if (typeof value !== 'string') problems.push({ path: `$.tags.${key}`, message: 'must be a string' });
    }
    return tags as Record<string, string>;
  }

  /** `log_level_name` wins over `log_level`. */
  private logLevelOf(dto: { log_level?: number | null; log_level_name?: string | null }): number | undefined {
    if (dto.log_level_name) return LOG_LEVEL_NAMES.indexOf(dto.log_level_name as (typeof LOG_LEVEL_NAMES)[number]);
    return dto.log_level ?? undefined;
  }

  /**
   * Token upstreams are operator configuration: any http(s) host, but never a cloud metadata service
   * (unless allowed); with `AILINK_BLOCK_PRIVATE_UPSTREAMS=true` the full SSRF rules apply.
   */
  private async checkOutbound(fields: readonly UrlField[], problems: ValidationProblem[]): Promise<void> {
    const rules = this.config.blockPrivateUpstreams ? 'full' : 'metadata';
    for (const { path, value } of fields) {
      if (!value) continue;
      const verdict = await this.guard.check(value.trim(), { rules, resolve: rules === 'full' });
      if (!verdict.allowed) problems.push({ path, message: verdict.reason ?? 'this host is not allowed' });
    }
  }

  /** 422 for referenced ids that do not exist (in the project / organisation). */
  private async checkReferences(
    projectId: string,
    dto: Pick<CreateTokenDto, 'credential_id' | 'policy_ids' | 'team_id' | 'allowed_model_group_ids'>,
    upstreams: readonly StoredUpstream[],
    problems: ValidationProblem[],
  ): Promise<void> {
    const credentialIds = [dto.credential_id, ...upstreams.map((u) => u.credential_id)].filter((v): v is string => !!v);
    const missingCredentials = new Set(await this.repository.missingReferences('credentials', credentialIds, projectId));
    if (dto.credential_id && missingCredentials.has(dto.credential_id.toLowerCase())) {
      problems.push({ path: '$.credential_id', message: `unknown credential ${dto.credential_id}` });
    }
    upstreams.forEach((u, i) => {
      if (u.credential_id && missingCredentials.has(u.credential_id.toLowerCase())) {
        problems.push({ path: `$.upstreams[${i}].credential_id`, message: `unknown credential ${u.credential_id}` });
      }
    });
    for (const id of await this.repository.missingReferences('policies', dto.policy_ids ?? [], projectId)) {
      problems.push({ path: '$.policy_ids', message: `unknown policy ${id}` });
    }
    for (const id of await this.repository.missingReferences('model_access_groups', dto.allowed_model_group_ids ?? [], projectId)) {
      problems.push({ path: '$.allowed_model_group_ids', message: `unknown model access group ${id}` });
    }
    if (dto.team_id && (await this.repository.missingReferences('teams', [dto.team_id], projectId)).length > 0) {
      problems.push({ path: '$.team_id', message: `unknown team ${dto.team_id}` });
    }
  }
}
