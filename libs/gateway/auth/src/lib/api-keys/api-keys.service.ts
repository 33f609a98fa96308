import { Injectable } from '@nestjs/common';
import type { ApiKey, CreateApiKeyResponse, ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal } from '@ailink/gateway-core';
import type { ApiKeyEntity } from '../entities/api-key.entity';
import { ApiKeyCache } from './api-key-cache';
import { mintApiKey } from './api-key-secret';
import { escalationReason, grantedScopes, scopeProblems } from './api-key-scopes';
import { ApiKeyUsage } from './api-key-usage';
import type { CreateApiKeyDto, ListApiKeysQueryDto } from './api-keys.dto';
import { ApiKeysRepository } from './api-keys.repository';

export const CREATE_API_KEY_MESSAGE = 'Store this key now: it is shown only once. Use: Authorization: Bearer <key>';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** The ApiKey object (identity.md §3): never the key or its hash. */
export function toApiKeyResponse(row: ApiKeyEntity, pendingUse: Date | null = null): ApiKey {
  const lastUsed = pendingUse && (!row.lastUsedAt || pendingUse > row.lastUsedAt) ? pendingUse : row.lastUsedAt;
  return {
    id: row.id,
    org_id: row.orgId,
    user_id: row.userId,
    team_id: row.teamId,
    name: row.name,
    key_prefix: row.keyPrefix,
    role: row.role,
    scopes: row.scopes ?? [],
    is_active: row.isActive,
    last_used_at: iso(lastUsed),
    expires_at: iso(row.expiresAt),
    created_at: row.createdAt.toISOString(),
  };
}

/** Who made a change, for `created_by`. */
function actorOf(principal: Principal): string {
  return principal.keyId ?? principal.userId ?? principal.authMethod;
}

function isAdmin(principal: Principal): boolean {
  return principal.role === 'admin' || principal.role === 'superadmin';
}

/**
 * The rules of management API keys (identity.md §3): minting with role, scopes and expiry (no role
 * escalation), listing, and revocation (never the organisation's last active admin key). Every write
 * invalidates the key in the cache tiers after it commits.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly repository: ApiKeysRepository,
    private readonly cache: ApiKeyCache,
    private readonly usage: ApiKeyUsage,
  ) {}

  async list(principal: Principal, query: ListApiKeysQueryDto = {}): Promise<ApiKey[]> {
    const orgId = this.targetOrg(principal, query.org_id);
    const rows = await this.repository.listForOrg(orgId);
    return rows.map((row) => toApiKeyResponse(row, this.usage.pendingUse(row.id)));
  }

  async create(principal: Principal, dto: CreateApiKeyDto): Promise<CreateApiKeyResponse> {
    const orgId = this.targetOrg(principal, dto.org_id);
    if (orgId !== principal.orgId && !(await this.repository.organizationExists(orgId))) throw GatewayError.notFound('Organization');

    const problems: ValidationProblem[] = [];
    const name = dto.name.trim();
    if (!name) problems.push({ path: '$.name', message: 'must not be blank' });
    const scopes = grantedScopes(dto.role, dto.scopes);
    problems.push(...scopeProblems(dto.role, scopes));
    const expiresAt = this.checkExpiry(dto.expires_at, problems);
    const teamId = dto.team_id ? dto.team_id.toLowerCase() : null;
    if (teamId && !(await this.repository.teamExists(teamId, orgId)))
      problems.push({ path: '$.team_id', message: `unknown team ${teamId}` });
    if (problems.length > 0) throw GatewayError.validation(problems);

    const escalation = escalationReason(principal, dto.role, scopes);
    if (escalation) throw new GatewayError(ErrorCode.RoleEscalation, escalation);

    const minted = mintApiKey(orgId);
    const row = await this.repository.insert({
      orgId,
      userId: orgId === principal.orgId ? principal.userId : null,
      teamId,
      name,
      keyHash: minted.keyHash,
      keyPrefix: minted.keyPrefix,
      role: dto.role,
      scopes,
      isActive: true,
      expiresAt,
      createdBy: actorOf(principal),
    });
    // A guess may have cached this hash negatively (vanishingly unlikely, but cheap to rule out).
    await this.cache.invalidate(row.keyHash);
    return {
      id: row.id,
      key: minted.key,
      message: CREATE_API_KEY_MESSAGE,
      name: row.name,
      key_prefix: row.keyPrefix,
      role: row.role,
      scopes: row.scopes,
      expires_at: iso(row.expiresAt),
    };
  }

  /**
   * Revokes (idempotent for an already revoked key). Only admins revoke admin keys (403); the
   * organisation's last active admin key cannot be revoked (422 `last_admin_key`). Every instance
   * refuses the key within 1 s.
   */
  async revoke(principal: Principal, id: string): Promise<void> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'The API key id must be a UUID');
    const found = await this.repository.findInOrg(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    if (!found) throw GatewayError.notFound('API key');
    const revoked = await this.repository.revoke(found.id, found.orgId, (key, otherActiveAdminKeys) => {
      if (key.role === 'admin' && !isAdmin(principal)) throw new GatewayError(ErrorCode.Forbidden, 'Only an admin may revoke an admin key');
      const activeAdmin = key.role === 'admin' && key.isActive && (key.expiresAt === null || key.expiresAt.getTime() > Date.now());
      if (activeAdmin && otherActiveAdminKeys === 0) {
        throw new GatewayError(
          ErrorCode.LastAdminKey,
          'This is the last active admin key of the organisation: mint another admin key first',
        );
      }
    });
    if (!revoked) throw GatewayError.notFound('API key');
    await this.cache.invalidate(revoked.keyHash);
  }

  /**
   * The organisation a call acts on: the caller's, or (super-admin only) the one it names. Anyone
   * else naming another organisation gets 404, exactly as for an unknown one.
   */
  private targetOrg(principal: Principal, orgId: string | undefined): string {
    if (orgId === undefined || orgId.toLowerCase() === principal.orgId) return principal.orgId;
    if (principal.role !== 'superadmin') throw GatewayError.notFound('Organization');
    return orgId.toLowerCase();
  }

  private checkExpiry(value: string | null | undefined, problems: ValidationProblem[]): Date | null {
    if (value === undefined || value === null) return null;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) problems.push({ path: '$.expires_at', message: 'must be an RFC 3339 timestamp' });
    else if (date.getTime() <= Date.now()) problems.push({ path: '$.expires_at', message: 'must be in the future' });
    return Number.isNaN(date.getTime()) ? null : date;
  }
}
