import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  MANAGEMENT_SCOPES,
  SCOPE_RESOURCES,
  type OidcClaimMapping,
  type OidcProvider,
  type SsoProviderSummary,
  type TestOidcProviderResponse,
  type UserRole,
  type ValidationProblem,
} from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal } from '@ailink/gateway-core';
import { EncryptedTableRegistry, VaultService } from '@ailink/gateway-vault';
import type { OidcProviderEntity } from '../entities/oidc-provider.entity';
import { UUID, isUniqueViolation, uuidParam } from '../identity-util';
import { normaliseRole } from '../users/users.service';
import { OidcDiscovery } from './oidc-discovery';
import { OidcHttp, OidcHttpError } from './oidc-http';
import { OidcProviderCache } from './oidc-provider-cache';
import type { CreateOidcProviderDto, TestOidcProviderDto, UpdateOidcProviderDto } from './oidc-providers.dto';
import { OidcProvidersRepository, PROVIDER_ISSUER_INDEX } from './oidc-providers.repository';

export const DEFAULT_OIDC_SCOPES = 'openid email profile';
const KNOWN_SCOPES: ReadonlySet<string> = new Set<string>([...MANAGEMENT_SCOPES, '*', ...SCOPE_RESOURCES.map((r) => `${r}:*`)]);
const MAPPING_STRING_KEYS = ['role', 'scopes', 'groups', 'email', 'name'] as const;
/** The public SSO listing is kept this long in memory (a login page cannot load the database). */
const SSO_LIST_TTL_MS = 5000;

/** The OidcProvider object (identity.md §4): never the client secret. */
export function toOidcProviderResponse(row: OidcProviderEntity): OidcProvider {
  return {
    id: row.id,
    org_id: row.orgId,
    name: row.name,
    issuer_url: row.issuerUrl,
    client_id: row.clientId,
    has_client_secret: row.clientSecretEnc !== null,
    jwks_uri: row.jwksUri,
    audience: row.audience,
    scopes: row.scopes,
    claim_mapping: row.claimMapping ?? {},
    default_role: row.defaultRole,
    default_scopes: row.defaultScopes ?? [],
    enabled: row.enabled,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** 400 unless an absolute http(s) URL (the scheme rule of production is a 422, checked by OidcHttp). */
function parseUrl(value: string, path: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(value.trim());
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new GatewayError(ErrorCode.BadRequest, `${path} must be an absolute http or https URL`, {
      details: { errors: [{ path, message: 'must be an absolute http or https URL' }] },
    });
  }
  return url;
}

/**
 * OIDC providers (identity.md §4): admin-only CRUD, the client secret sealed by the vault
 * (`client_secret_enc`, write-only), discovery fetched when no `jwks_uri` is given (unreachable →
 * 422), `issuer_url` unique per organisation (409). Every write invalidates the provider and its
 * issuers in the cache tiers, so bearer JWTs and sessions see the change on every instance within 1 s.
 */
@Injectable()
export class OidcProvidersService implements OnModuleInit {
  private readonly logger = new Logger(OidcProvidersService.name);
  private ssoList?: { at: number; value: Promise<SsoProviderSummary[]> };

  constructor(
    private readonly repository: OidcProvidersRepository,
    private readonly cache: OidcProviderCache,
    private readonly discovery: OidcDiscovery,
    private readonly http: OidcHttp,
    private readonly vault: VaultService,
    private readonly registry: EncryptedTableRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({ table: 'oidc_providers', format: 'compact', column: 'client_secret_enc' });
  }

  async list(principal: Principal): Promise<OidcProvider[]> {
    return (await this.repository.listForOrg(principal.orgId)).map(toOidcProviderResponse);
  }

  async get(principal: Principal, id: string): Promise<OidcProvider> {
    return toOidcProviderResponse(await this.findVisible(principal, id));
  }

  /** `GET /auth/sso/providers` (public): enabled providers' ids and names, nothing else. */
  ssoProviders(): Promise<SsoProviderSummary[]> {
    const now = Date.now();
    if (!this.ssoList || now - this.ssoList.at >= SSO_LIST_TTL_MS) {
      const value = this.repository.listEnabled().then((rows) => rows.map((r) => ({ id: r.id, name: r.name })));
      value.catch(() => (this.ssoList = undefined));
      this.ssoList = { at: now, value };
    }
    return this.ssoList.value;
  }

  async create(principal: Principal, dto: CreateOidcProviderDto): Promise<OidcProvider> {
    const problems: ValidationProblem[] = [];
    const issuerUrl = this.checkIssuer(dto.issuer_url, problems);
    const jwksUri = dto.jwks_uri ? this.checkJwksUri(dto.jwks_uri, problems) : null;
    const scopes = this.checkScopes(dto.scopes ?? DEFAULT_OIDC_SCOPES, problems);
    const mapping = await this.checkMapping(dto.claim_mapping ?? {}, principal.orgId, problems);
    const defaultRole = this.checkRole(dto.default_role ?? 'readonly', problems);
    const defaultScopes = this.checkDefaultScopes(dto.default_scopes ?? [], problems);
    if (problems.length > 0) throw GatewayError.validation(problems);
    if (!jwksUri) await this.assertDiscoverable(issuerUrl);
    else await this.assertReachableHost(jwksUri);
    if (await this.repository.findByOrgIssuer(principal.orgId, issuerUrl)) throw this.conflict(issuerUrl);

    let row: OidcProviderEntity;
    try {
      row = await this.repository.insert({
        orgId: principal.orgId,
        name: dto.name.trim(),
        issuerUrl,
        clientId: dto.client_id.trim(),
        clientSecretEnc: dto.client_secret ? this.seal(dto.client_secret) : null,
        jwksUri,
        audience: dto.audience?.trim() || null,
        scopes,
        claimMapping: mapping,
        defaultRole,
        defaultScopes,
        enabled: dto.enabled ?? true,
      });
    } catch (error) {
      throw isUniqueViolation(error, PROVIDER_ISSUER_INDEX) ? this.conflict(issuerUrl) : error;
    }
    await this.afterWrite(row.id, [row.issuerUrl]);
    return toOidcProviderResponse(row);
  }

  async update(principal: Principal, id: string, dto: UpdateOidcProviderDto): Promise<OidcProvider> {
    const current = await this.findVisible(principal, id);
    const problems: ValidationProblem[] = [];
    for (const field of [
      'name',
      'issuer_url',
      'client_id',
      'scopes',
      'claim_mapping',
      'default_role',
      'default_scopes',
      'enabled',
    ] as const) {
      if (dto[field] === null) problems.push({ path: `$.${field}`, message: 'must not be null' });
    }
    const changes: Partial<OidcProviderEntity> = {};
    if (typeof dto.name === 'string') changes.name = dto.name.trim();
    if (typeof dto.issuer_url === 'string') changes.issuerUrl = this.checkIssuer(dto.issuer_url, problems);
    if (typeof dto.client_id === 'string') changes.clientId = dto.client_id.trim();
    if (dto.jwks_uri !== undefined) changes.jwksUri = dto.jwks_uri ? this.checkJwksUri(dto.jwks_uri, problems) : null;
    if (dto.audience !== undefined) changes.audience = dto.audience?.trim() || null;
    if (typeof dto.scopes === 'string') changes.scopes = this.checkScopes(dto.scopes, problems);
    if (dto.claim_mapping) changes.claimMapping = await this.checkMapping(dto.claim_mapping, current.orgId, problems);
    if (typeof dto.default_role === 'string') changes.defaultRole = this.checkRole(dto.default_role, problems);
    if (Array.isArray(dto.default_scopes)) changes.defaultScopes = this.checkDefaultScopes(dto.default_scopes, problems);
    if (typeof dto.enabled === 'boolean') changes.enabled = dto.enabled;
    if (problems.length > 0) throw GatewayError.validation(problems);

    const issuerUrl = changes.issuerUrl ?? current.issuerUrl;
    const jwksUri = changes.jwksUri !== undefined ? changes.jwksUri : current.jwksUri;
    const endpointsChanged = changes.issuerUrl !== undefined || changes.jwksUri !== undefined;
    if (endpointsChanged && !jwksUri) await this.assertDiscoverable(issuerUrl);
    if (changes.jwksUri) await this.assertReachableHost(changes.jwksUri);
    if (issuerUrl !== current.issuerUrl) {
      const clash = await this.repository.findByOrgIssuer(current.orgId, issuerUrl);
      if (clash && clash.id !== current.id) throw this.conflict(issuerUrl);
    }
    if (dto.client_secret !== undefined) changes.clientSecretEnc = dto.client_secret ? this.seal(dto.client_secret) : null;

    let row: OidcProviderEntity;
    try {
      row = await this.repository.update(current.id, changes);
    } catch (error) {
      throw isUniqueViolation(error, PROVIDER_ISSUER_INDEX) ? this.conflict(issuerUrl) : error;
    }
    await this.afterWrite(row.id, [current.issuerUrl, row.issuerUrl]);
    return toOidcProviderResponse(row);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const current = await this.findVisible(principal, id);
    await this.repository.delete(current.id);
    await this.afterWrite(current.id, [current.issuerUrl]);
  }

  /** `POST /oidc/providers/test`: fetches `{issuer_url}/.well-known/openid-configuration` now; stores nothing. */
  async test(dto: TestOidcProviderDto): Promise<TestOidcProviderResponse> {
    const url = parseUrl(dto.issuer_url, '$.issuer_url');
    const issuerUrl = dto.issuer_url.trim();
    try {
      await this.http.assertAllowed(url);
      const document = await this.discovery.fetch(issuerUrl);
      return {
        ok: true,
        issuer: document.issuer,
        jwks_uri: document.jwks_uri,
        ...(document.authorization_endpoint ? { authorization_endpoint: document.authorization_endpoint } : {}),
      };
    } catch (error) {
      if (error instanceof OidcHttpError) return { ok: false, error: error.message };
      throw error;
    }
  }

  /** The stored client secret, opened by the vault (the caller zeroes the Buffer), or null. */
  openSecret(row: OidcProviderEntity): Buffer | null {
    return row.clientSecretEnc ? this.vault.openCompact(row.clientSecretEnc) : null;
  }

  private async afterWrite(id: string, issuers: string[]): Promise<void> {
    this.ssoList = undefined;
    for (const issuer of issuers) this.discovery.forget(issuer);
    await this.cache.invalidate(id, issuers);
  }

  private seal(secret: string): Buffer {
    const plaintext = Buffer.from(secret, 'utf8');
    try {
      return this.vault.sealCompact(plaintext);
    } finally {
      plaintext.fill(0);
    }
  }

  private async findVisible(principal: Principal, id: string): Promise<OidcProviderEntity> {
    const row = await this.repository.findInOrg(uuidParam(id, 'OIDC provider'), principal.role === 'superadmin' ? null : principal.orgId);
    if (!row) throw GatewayError.notFound('OIDC provider');
    return row;
  }

  private checkIssuer(value: string, problems: ValidationProblem[]): string {
    const url = parseUrl(value, '$.issuer_url');
    const scheme = this.http.schemeProblem(url);
    if (scheme) problems.push({ path: '$.issuer_url', message: scheme });
    return value.trim();
  }

  private checkJwksUri(value: string, problems: ValidationProblem[]): string {
    const url = parseUrl(value, '$.jwks_uri');
    const scheme = this.http.schemeProblem(url);
    if (scheme) problems.push({ path: '$.jwks_uri', message: scheme });
    return url.toString();
  }

  private checkScopes(value: string, problems: ValidationProblem[]): string {
    const scopes = value.split(/\s+/).filter(Boolean);
    if (!scopes.includes('openid')) problems.push({ path: '$.scopes', message: 'must include openid' });
    return scopes.join(' ');
  }

  private checkRole(value: string, problems: ValidationProblem[]): UserRole {
    const role = normaliseRole(value);
    if (!role) problems.push({ path: '$.default_role', message: 'must be admin, member, readonly or viewer' });
    return role ?? 'readonly';
  }

  private checkDefaultScopes(scopes: string[], problems: ValidationProblem[]): string[] {
    scopes.forEach((scope, i) => {
      if (!KNOWN_SCOPES.has(scope)) problems.push({ path: `$.default_scopes[${i}]`, message: `unknown scope ${scope}` });
    });
    return Array.from(new Set(scopes));
  }

  /** A claim mapping with known keys only, role values that are roles, and group → team ids of the organisation. */
  private async checkMapping(raw: Record<string, unknown>, orgId: string, problems: ValidationProblem[]): Promise<OidcClaimMapping> {
    const mapping: OidcClaimMapping = {};
    for (const key of MAPPING_STRING_KEYS) {
      const value = raw[key];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
        problems.push({ path: `$.claim_mapping.${key}`, message: 'must be a claim name (1–200 characters)' });
      } else mapping[key] = value.trim();
    }
    const roleValues = raw['role_values'];
    if (roleValues !== undefined && roleValues !== null) {
      if (typeof roleValues !== 'object' || Array.isArray(roleValues)) {
        problems.push({ path: '$.claim_mapping.role_values', message: 'must be an object of claim value → role' });
      } else {
        const table: Record<string, string> = {};
        for (const [value, role] of Object.entries(roleValues)) {
          const normalised = typeof role === 'string' ? normaliseRole(role) : null;
          if (!normalised)
            problems.push({ path: `$.claim_mapping.role_values.${value}`, message: 'must be admin, member, readonly or viewer' });
          else table[value] = normalised;
        }
        mapping.role_values = table;
      }
    }
    const groupTeams = raw['group_teams'];
    if (groupTeams !== undefined && groupTeams !== null) {
      if (typeof groupTeams !== 'object' || Array.isArray(groupTeams)) {
        problems.push({ path: '$.claim_mapping.group_teams', message: 'must be an object of group name → team id' });
      } else {
        const entries = Object.entries(groupTeams);
        const ids = entries.map(([, id]) => (typeof id === 'string' ? id.toLowerCase() : '')).filter((id) => UUID.test(id));
        const known = await this.repository.existingTeamIds(ids, orgId);
        const table: Record<string, string> = {};
        for (const [group, id] of entries) {
          const teamId = typeof id === 'string' ? id.toLowerCase() : '';
          if (!known.has(teamId)) problems.push({ path: `$.claim_mapping.group_teams.${group}`, message: `unknown team ${String(id)}` });
          else table[group] = teamId;
        }
        mapping.group_teams = table;
      }
    }
    return mapping;
  }

  private async assertDiscoverable(issuerUrl: string): Promise<void> {
    try {
      await this.discovery.fetch(issuerUrl);
    } catch (error) {
      const message = error instanceof OidcHttpError ? error.message : 'the discovery document could not be read';
      this.logger.warn(`OIDC discovery of ${issuerUrl} failed: ${message}`);
      throw GatewayError.validation([{ path: '$.issuer_url', message: `discovery failed: ${message}` }]);
    }
  }

  private async assertReachableHost(jwksUri: string): Promise<void> {
    try {
      await this.http.assertAllowed(new URL(jwksUri));
    } catch (error) {
      if (error instanceof OidcHttpError) throw GatewayError.validation([{ path: '$.jwks_uri', message: error.message }]);
      throw error;
    }
  }

  private conflict(issuerUrl: string): GatewayError {
    return new GatewayError(ErrorCode.Conflict, `A provider with the issuer ${issuerUrl} already exists in this organisation`);
  }
}
