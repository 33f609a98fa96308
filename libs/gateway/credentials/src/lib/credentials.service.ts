import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type {
  CreateCredentialResponse,
  CredentialMeta,
  DeleteCredentialResponse,
  RotateCredentialResponse,
} from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, LOGGER, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import { EventBus } from '@ailink/gateway-events';
import { SecretDecryptError, VaultService, type SealedSecret } from '@ailink/gateway-vault';
import { defaultHeaderFor, parseInjectionHeader, parseInjectionMode, resolveInjection } from './credential-injection';
import { CredentialStore } from './credential.store';
import { CredentialsRepository, isNameClash, type CredentialMetaRow } from './credentials.repository';
import type { CreateCredentialDto, RotateCredentialDto, UpdateCredentialDto } from './credentials.dto';
import type { CredentialEntity } from './entities/credential.entity';
import type { RotationTrigger } from './entities/rotation-log.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Control characters would break the header or URL the secret is written into. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The credential rules (management-api.md "Credentials", vault-and-spend.md §2–3). Secrets are
 * write-only: they are sealed on receipt, never returned, logged or cached in plaintext.
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly repository: CredentialsRepository,
    private readonly scope: ProjectScope,
    private readonly vault: VaultService,
    private readonly store: CredentialStore,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly events: EventBus,
  ) {}

  async list(principal: Principal, projectId?: string): Promise<CredentialMeta[]> {
    const project = await this.scope.resolve(principal, projectId);
    return (await this.repository.listByProject(project)).map(toMeta);
  }

  async get(principal: Principal, id: string): Promise<CredentialMeta> {
    return toMeta(await this.findVisible(principal, id));
  }

  async create(principal: Principal, dto: CreateCredentialDto): Promise<CreateCredentialResponse> {
    const projectId = await this.scope.resolve(principal, dto.project_id);
    const injection = resolveInjection(dto.provider, dto.injection_mode, dto.injection_header);
    const name = requireName(dto.name);
    assertUsableSecret(dto.secret, '$.secret');
    if (await this.repository.nameTaken(projectId, name)) throw nameClash(name);

    const sealed = this.sealString(dto.secret);
    let row: CredentialMetaRow;
    try {
      row = await this.repository.insert({
        projectId,
        name,
        provider: dto.provider.trim(),
        injectionMode: injection.mode,
        injectionHeader: injection.header,
        ...sealed,
        rotationEnabled: dto.rotation_enabled ?? false,
        rotationIntervalSecs: dto.rotation_interval_secs ?? null,
      });
    } catch (error) {
      if (isNameClash(error)) throw nameClash(name);
      throw error;
    }
    await this.store.invalidate(row.id, projectId);
    this.logger.info({ credential_id: row.id, project_id: projectId, provider: row.provider }, 'Credential created');
    return { id: row.id, name: row.name, message: 'Credential encrypted and stored' };
  }

  async update(principal: Principal, id: string, dto: UpdateCredentialDto): Promise<CredentialMeta> {
    const current = await this.findVisible(principal, id);
    const patch: Parameters<CredentialsRepository['updateMeta']>[1] = {};

    if (dto.name !== undefined) {
      const name = requireName(dto.name);
      if (name !== current.name) {
        if (await this.repository.nameTaken(current.projectId, name, current.id)) throw nameClash(name);
        patch.name = name;
      }
    }
    const modeGiven = dto.injection_mode !== undefined;
    const headerGiven = dto.injection_header !== undefined;
    if (modeGiven || headerGiven) {
      const mode = modeGiven ? parseInjectionMode(dto.injection_mode) : current.injectionMode;
      let header: string | null;
      if (mode === 'sigv4') header = null;
      else if (headerGiven && dto.injection_header !== null) header = parseInjectionHeader(dto.injection_header, mode);
      else if (headerGiven || mode !== current.injectionMode) header = defaultHeaderFor(mode, current.provider);
      else header = current.injectionHeader;
      patch.injectionMode = mode;
      patch.injectionHeader = header;
    }
    if (dto.rotation_enabled !== undefined) patch.rotationEnabled = dto.rotation_enabled;
    if (dto.rotation_interval_secs !== undefined) patch.rotationIntervalSecs = dto.rotation_interval_secs;

    let updated: CredentialMetaRow | null;
    try {
      updated = await this.repository.updateMeta(current.id, patch);
    } catch (error) {
      if (isNameClash(error)) throw nameClash(patch.name ?? current.name);
      throw error;
    }
    if (!updated) throw GatewayError.notFound('Credential');
    await this.store.invalidate(updated.id, updated.projectId);
    return toMeta(updated);
  }

  async remove(principal: Principal, id: string): Promise<DeleteCredentialResponse> {
    const current = await this.findVisible(principal, id);
    if (!(await this.repository.softDelete(current.id))) throw GatewayError.notFound('Credential');
    await this.store.invalidate(current.id, current.projectId);
    this.logger.info({ credential_id: current.id, project_id: current.projectId }, 'Credential deleted');
    return { id: current.id, deleted: true };
  }

  /**
   * `POST /credentials/{id}/rotate`: with `secret` (or `api_key`) the secret is replaced, without it
   * the same secret is re-encrypted under a new DEK. Either way `version + 1`, `last_rotated_at`, a
   * `rotation_log` row, and the caches are invalidated.
   */
  async rotate(principal: Principal, id: string, dto: RotateCredentialDto): Promise<RotateCredentialResponse> {
    const visible = await this.findVisible(principal, id);
    const secret = dto.secret ?? dto.api_key;
    if (secret !== undefined) assertUsableSecret(secret, dto.secret !== undefined ? '$.secret' : '$.api_key');
    const result = await this.rotateById(visible.id, 'api', secret);
    return {
      id: visible.id,
      version: result.version,
      rotated_at: result.rotatedAt.toISOString(),
      message:
        secret !== undefined
          ? 'Credential secret replaced and encrypted under a new data key'
          : 'Credential re-encrypted under a new data key',
    };
  }

  /**
   * Rotates one credential (also for the scheduled job): a new secret, or a DEK refresh when
   * `secret` is undefined. A failure is recorded in `rotation_log` and rethrown. After the commit,
   * `credential_rotated` is emitted with `trigger`. `on` runs the work on that manager's connection
   * (the scheduled job's, which holds its advisory lock); default: a pooled connection.
   */
  async rotateById(
    id: string,
    trigger: RotationTrigger,
    secret?: string,
    on?: EntityManager,
  ): Promise<{ version: number; rotatedAt: Date; projectId: string }> {
    let oldVersion = 0;
    try {
      const result = await (on ?? this.dataSource.manager).transaction(async (manager) => {
        const row = await this.repository.lockForRotation(manager, id);
        if (!row) throw GatewayError.notFound('Credential');
        oldVersion = row.version;
        const sealed = secret !== undefined ? this.sealString(secret) : this.vault.reseal(sealedOf(row));
        const version = row.version + 1;
        const rotatedAt = new Date();
        await this.repository.saveRotation(manager, row.id, sealed, version, rotatedAt);
        await this.repository.insertRotationLog(
          { credentialId: row.id, oldVersion: row.version, newVersion: version, trigger, status: 'success', error: null, rotatedAt },
          manager,
        );
        return { version, rotatedAt, projectId: row.projectId, name: row.name };
      });
      await this.store.invalidate(id, result.projectId);
      this.events.emit('credential_rotated', {
        project_id: result.projectId,
        details: { credential_id: id, name: result.name, version: result.version, trigger },
      });
      this.logger.info(
        { credential_id: id, version: result.version, trigger, kind: secret !== undefined ? 'secret_replacement' : 'dek_refresh' },
        'Credential rotated',
      );
      return { version: result.version, rotatedAt: result.rotatedAt, projectId: result.projectId };
    } catch (error) {
      if (error instanceof SecretDecryptError) {
        await this.repository
          .insertRotationLog(
            {
              credentialId: id,
              oldVersion,
              newVersion: oldVersion,
              trigger,
              status: 'failed',
              error: 'The stored secret could not be decrypted',
              rotatedAt: new Date(),
            },
            on,
          )
          .catch((logError: unknown) => this.logger.warn({ err: logError }, 'Could not record the failed rotation'));
      }
      throw error;
    }
  }

  /** A live credential the principal may see; 400 for a non-UUID id, 404 otherwise. */
  private async findVisible(principal: Principal, id: string): Promise<CredentialMetaRow> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'Credential id must be a UUID');
    const row = await this.repository.findVisible(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    if (!row) throw GatewayError.notFound('Credential');
    return row;
  }

  /** Seals a string secret; the intermediate Buffer is zeroed. */
  private sealString(secret: string): SealedSecret {
    const plaintext = Buffer.from(secret, 'utf8');
    try {
      return this.vault.seal(plaintext);
    } finally {
      plaintext.fill(0);
    }
  }
}

export function toMeta(row: CredentialMetaRow): CredentialMeta {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    version: row.version,
    is_active: row.isActive,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    injection_mode: row.injectionMode,
    injection_header: row.injectionHeader,
    rotation_enabled: row.rotationEnabled,
    rotation_interval_secs: row.rotationIntervalSecs,
    last_rotated_at: row.lastRotatedAt ? row.lastRotatedAt.toISOString() : null,
  };
}

function sealedOf(row: CredentialEntity): SealedSecret {
  return {
    encryptedDek: row.encryptedDek,
    dekNonce: row.dekNonce,
    encryptedSecret: row.encryptedSecret,
    secretNonce: row.secretNonce,
    kekId: row.kekId,
  };
}

function nameClash(name: string): GatewayError {
  return new GatewayError(ErrorCode.Conflict, `A credential named ${JSON.stringify(name)} already exists in this project`);
}

/** The trimmed name; 422 when only whitespace is left. */
function requireName(raw: string): string {
  const name = raw.trim();
  if (!name) throw GatewayError.validation([{ path: '$.name', message: 'name should not be empty' }]);
  return name;
}

/** 422 for a secret that cannot be written into a header or URL (never quoting it). */
function assertUsableSecret(secret: string, path: string): void {
  if (CONTROL.test(secret)) {
    throw GatewayError.validation([{ path, message: 'must not contain control characters (line breaks, tabs, NUL)' }]);
  }
}
