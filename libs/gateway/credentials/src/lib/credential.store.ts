import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { CredentialInjectionMode } from '@ailink/shared-contracts';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import type { SealedSecret } from '@ailink/gateway-vault';
import { CredentialsRepository } from './credentials.repository';
import type { CredentialEntity } from './entities/credential.entity';

/** Resource kind in cache keys and invalidation messages. */
export const CREDENTIAL_CACHE_KIND = 'credential';

/**
 * What the proxy resolves for a credential: metadata and ciphertext, never the plaintext secret.
 * Values handed out are shared cache entries: never mutate them.
 */
export interface ResolvedCredential {
  id: string;
  projectId: string;
  name: string;
  provider: string;
  mode: CredentialInjectionMode;
  header: string | null;
  isActive: boolean;
  version: number;
  sealed: SealedSecret;
}

/** The L2 (Redis) encoding: ciphertext as base64. */
interface SerializedCredential extends Omit<ResolvedCredential, 'sealed'> {
  sealed: { encryptedDek: string; dekNonce: string; encryptedSecret: string; secretNonce: string; kekId: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Resolves credentials through the cache tiers (L1 → Redis → PostgreSQL) as metadata + ciphertext
 * (spec README, "Resolution through cache tiers"); secrets are decrypted per request by the caller.
 * Every write to a credential calls {@link invalidate} after its commit.
 */
@Injectable()
export class CredentialStore {
  private readonly cache: TieredCache<ResolvedCredential>;

  constructor(
    factory: TieredCacheFactory,
    config: AppConfig,
    private readonly repository: CredentialsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.cache = factory.create<ResolvedCredential>({
      kind: CREDENTIAL_CACHE_KIND,
      loader: (id) => this.load(id),
      l1MaxEntries: config.l1MaxEntries,
      l1TtlMs: Math.max(1, config.l1TtlMs),
      l2TtlSecs: config.l2TtlSecs,
      serialize,
      deserialize,
    });
  }

  /** The live (not deleted) credential, active or not; null when unknown, deleted or not a UUID. */
  get(id: string): Promise<ResolvedCredential | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.cache.get(id.toLowerCase());
  }

  /** Drops every cached copy, then loads the credential again (e.g. after an unknown `kek_id`). */
  async reload(id: string, projectId: string | null = null): Promise<ResolvedCredential | null> {
    if (!UUID.test(id)) return null;
    await this.invalidate(id, projectId);
    return this.cache.get(id.toLowerCase());
  }

  /**
   * After a committed change: bump the version, drop L2, evict L1 here and on every instance.
   * A Redis failure is logged (this instance's L1 is evicted regardless; L2 expires by its TTL).
   */
  async invalidate(id: string, projectId: string | null = null): Promise<void> {
    try {
      await this.cache.invalidate(id.toLowerCase(), projectId);
    } catch (error) {
      this.logger.warn({ err: error, credential_id: id }, 'Credential cache invalidation failed');
    }
  }

  private async load(id: string): Promise<ResolvedCredential | null> {
    const row = await this.repository.findForProxy(id);
    return row ? toResolved(row) : null;
  }
}

export function toResolved(row: CredentialEntity): ResolvedCredential {
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    provider: row.provider,
    mode: row.injectionMode,
    header: row.injectionHeader,
    isActive: row.isActive,
    version: row.version,
    sealed: {
      encryptedDek: row.encryptedDek,
      dekNonce: row.dekNonce,
      encryptedSecret: row.encryptedSecret,
      secretNonce: row.secretNonce,
      kekId: row.kekId,
    },
  };
}

function serialize(value: ResolvedCredential): string {
  const { sealed, ...meta } = value;
  const out: SerializedCredential = {
    ...meta,
    sealed: {
      encryptedDek: sealed.encryptedDek.toString('base64'),
      dekNonce: sealed.dekNonce.toString('base64'),
      encryptedSecret: sealed.encryptedSecret.toString('base64'),
      secretNonce: sealed.secretNonce.toString('base64'),
      kekId: sealed.kekId,
    },
  };
  return JSON.stringify(out);
}

function deserialize(raw: string): ResolvedCredential {
  const parsed = JSON.parse(raw) as SerializedCredential;
  const { sealed, ...meta } = parsed;
  if (!sealed || typeof sealed.kekId !== 'string') throw new Error('not a credential entry');
  return {
    ...meta,
    sealed: {
      encryptedDek: Buffer.from(sealed.encryptedDek, 'base64'),
      dekNonce: Buffer.from(sealed.dekNonce, 'base64'),
      encryptedSecret: Buffer.from(sealed.encryptedSecret, 'base64'),
      secretNonce: Buffer.from(sealed.secretNonce, 'base64'),
      kekId: sealed.kekId,
    },
  };
}
