import { Injectable } from '@nestjs/common';
import type { DeleteServiceResponse, Service, ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, OutboundUrlGuard, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import type { ServiceEntity } from './entities/service.entity';
import { ServiceCache } from './service-cache';
import type { CreateServiceDto, ListServicesQueryDto, UpdateServiceDto } from './services.dto';
import { SERVICE_NAME_INDEX, ServicesRepository } from './services.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_SERVICE_TYPE = 'generic';

/** The Service object (management-api.md). */
export function toServiceResponse(row: ServiceEntity): Service {
  return {
    id: row.id,
    project_id: row.projectId,
    name: row.name,
    description: row.description,
    base_url: row.baseUrl,
    service_type: row.serviceType,
    credential_id: row.credentialId,
    is_active: row.isActive,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && (constraint === undefined || constraint === SERVICE_NAME_INDEX);
}

/**
 * The service registry's rules (management-api.md "Services"): http(s) base URLs (400), the SSRF
 * rules at write time (422), unique active names per project (409), credentials of the project.
 * Every write invalidates the resolved (project, name) entries.
 */
@Injectable()
export class ServicesService {
  constructor(
    private readonly repository: ServicesRepository,
    private readonly scope: ProjectScope,
    private readonly cache: ServiceCache,
    private readonly guard: OutboundUrlGuard,
  ) {}

  async list(principal: Principal, query: ListServicesQueryDto): Promise<Service[]> {
    const projectId = await this.scope.resolve(principal, query.project_id);
    return (await this.repository.listForProject(projectId)).map(toServiceResponse);
  }

  async get(principal: Principal, id: string): Promise<Service> {
    return toServiceResponse(await this.findVisible(principal, id));
  }

  async create(principal: Principal, dto: CreateServiceDto): Promise<Service> {
    const projectId = await this.scope.resolve(principal, dto.project_id);
    const baseUrl = this.parseBaseUrl(dto.base_url);
    const problems: ValidationProblem[] = [];
    await this.checkSsrf(baseUrl, problems);
    if (dto.credential_id) await this.checkCredential(dto.credential_id, projectId, problems);
    if (problems.length > 0) throw GatewayError.validation(problems);
    await this.assertNameFree(projectId, dto.name);

    let row: ServiceEntity;
    try {
      row = await this.repository.insert({
        projectId,
        name: dto.name,
        description: dto.description ?? null,
        baseUrl: dto.base_url.trim(),
        serviceType: dto.service_type ?? DEFAULT_SERVICE_TYPE,
        credentialId: dto.credential_id ?? null,
        isActive: true,
      });
    } catch (error) {
      throw this.conflictOr(error, dto.name);
    }
    await this.cache.invalidate(projectId, row.name);
    return toServiceResponse(row);
  }

  async update(principal: Principal, id: string, dto: UpdateServiceDto): Promise<Service> {
    const current = await this.findVisible(principal, id);
    const problems: ValidationProblem[] = [];
    for (const field of ['name', 'base_url', 'service_type', 'is_active'] as const) {
      if (dto[field] === null) problems.push({ path: `$.${field}`, message: 'must not be null' });
    }
    const changes: Partial<ServiceEntity> = {};
    if (typeof dto.base_url === 'string') {
      await this.checkSsrf(this.parseBaseUrl(dto.base_url), problems);
      changes.baseUrl = dto.base_url.trim();
    }
    if (dto.credential_id) await this.checkCredential(dto.credential_id, current.projectId, problems);
    if (problems.length > 0) throw GatewayError.validation(problems);

    if (typeof dto.name === 'string') changes.name = dto.name;
    if (dto.description !== undefined) changes.description = dto.description;
    if (typeof dto.service_type === 'string') changes.serviceType = dto.service_type;
    if (dto.credential_id !== undefined) changes.credentialId = dto.credential_id;
    if (typeof dto.is_active === 'boolean') changes.isActive = dto.is_active;
    const name = changes.name ?? current.name;
    const active = changes.isActive ?? current.isActive;
    if (active && (name !== current.name || !current.isActive)) await this.assertNameFree(current.projectId, name, current.id);

    let row: ServiceEntity;
    try {
      row = await this.repository.update(current.id, changes);
    } catch (error) {
      throw this.conflictOr(error, name);
    }
    await this.cache.invalidate(current.projectId, current.name);
    if (row.name !== current.name) await this.cache.invalidate(row.projectId, row.name);
    return toServiceResponse(row);
  }

  async delete(principal: Principal, id: string): Promise<DeleteServiceResponse> {
    const current = await this.findVisible(principal, id);
    await this.repository.delete(current.id);
    await this.cache.invalidate(current.projectId, current.name);
    return { deleted: true };
  }

  private async findVisible(principal: Principal, id: string): Promise<ServiceEntity> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'The service id must be a UUID');
    const row = await this.repository.findInOrg(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    if (!row) throw GatewayError.notFound('Service');
    return row;
  }

  /** 400 unless an absolute http(s) URL. */
  private parseBaseUrl(value: string): URL {
    let url: URL | null = null;
    try {
      url = new URL(value.trim());
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      throw new GatewayError(ErrorCode.BadRequest, '$.base_url must be an absolute http or https URL', {
        details: { errors: [{ path: '$.base_url', message: 'must be an absolute http or https URL' }] },
      });
    }
    return url;
  }

  /** SSRF rules at write time (they apply again before each outbound connection). */
  private async checkSsrf(url: URL, problems: ValidationProblem[]): Promise<void> {
    const verdict = await this.guard.check(url, { rules: 'full' });
    if (!verdict.allowed) {
      problems.push({
        path: '$.base_url',
        message: `${verdict.reason ?? 'host not allowed'} (SSRF protection; see AILINK_ALLOWED_PRIVATE_HOSTS)`,
      });
    }
  }

  private async checkCredential(credentialId: string, projectId: string, problems: ValidationProblem[]): Promise<void> {
    if (!(await this.repository.credentialExists(credentialId, projectId))) {
      problems.push({ path: '$.credential_id', message: `unknown credential ${credentialId}` });
    }
  }

  private async assertNameFree(projectId: string, name: string, exceptId?: string): Promise<void> {
    const existing = await this.repository.findActiveByName(projectId, name);
    if (existing && existing.id !== exceptId) throw this.conflict(name);
  }

  private conflict(name: string): GatewayError {
    return new GatewayError(ErrorCode.Conflict, `A service named '${name}' already exists in this project`);
  }

  private conflictOr(error: unknown, name: string): unknown {
    return isUniqueViolation(error) ? this.conflict(name) : error;
  }
}
