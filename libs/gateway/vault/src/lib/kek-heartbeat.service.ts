import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import { KeyValueStore } from '@ailink/gateway-redis';
import { SystemStateKey, SystemStateRepository, type SqlExecutor } from './system-state.repository';
import { VaultService } from './vault.service';

/** Heartbeat period and lifetime (data-model.md, `ailink:kek:heartbeat:{instance}`). */
export const KEK_HEARTBEAT_INTERVAL_MS = 10_000;
export const KEK_HEARTBEAT_TTL_SECS = 30;
/** How often an instance re-registers in the `kek_instances` directory. */
const DIRECTORY_REFRESH_MS = 60_000;
/** Directory entries without a heartbeat and older than this are dropped. */
const DIRECTORY_STALE_MS = 10 * 60_000;

export function kekHeartbeatKey(instanceId: string): string {
  return `ailink:kek:heartbeat:${instanceId}`;
}

/** The JSON of a heartbeat key. */
export interface KekHeartbeat {
  instance_id: string;
  kek_ids: string[];
  active_kek_id: string;
  at: string;
}

/**
 * Tells the other instances which KEKs this one holds, so that the master-key rotation switches
 * `active_kek_id` only when every live instance can open both keys (vault-and-spend.md §8.3).
 *
 * Every 10 s: writes `ailink:kek:heartbeat:{instance}` (TTL 30 s) and re-reads `active_kek_id` from
 * PostgreSQL. The key-value store cannot list keys, so instances also register their id in the
 * `kek_instances` entry of `system_state` (atomic jsonb merge); readers look up those ids' heartbeats.
 */
@Injectable()
export class KekHeartbeatService {
  readonly instanceId = `${hostname()
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 64)}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private lastRegisteredAt = 0;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly vault: VaultService,
    private readonly store: KeyValueStore,
    private readonly state: SystemStateRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** First beat now (awaited), then every 10 s. */
  async start(): Promise<void> {
    await this.beat();
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), KEK_HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops beating and withdraws this instance (best effort). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating?.catch(() => undefined);
    await this.store.del(kekHeartbeatKey(this.instanceId)).catch(() => undefined);
    await this.state.removeFields(SystemStateKey.KekInstances, [this.instanceId]).catch(() => undefined);
  }

  /** One heartbeat: refresh `active_kek_id`, publish the loaded KEKs, register in the directory. */
  beat(): Promise<void> {
    if (this.beating) return this.beating;
    this.beating = this.doBeat().finally(() => (this.beating = undefined));
    return this.beating;
  }

  /**
   * Heartbeats of every live instance (this one included). Pass the executor of a held connection
   * when calling with one (the embedded pool has a single connection).
   */
  async liveInstances(exec?: SqlExecutor): Promise<KekHeartbeat[]> {
    const directory = (await this.state.get<Record<string, string>>(SystemStateKey.KekInstances, exec)) ?? {};
    const ids = [...new Set([...Object.keys(directory), this.instanceId])];
    const values = await this.store.mget(ids.map(kekHeartbeatKey));
    const live: KekHeartbeat[] = [];
    const stale: string[] = [];
    ids.forEach((id, i) => {
      const raw = values[i];
      if (raw === null) {
        const registered = Date.parse(directory[id] ?? '');
        if (id !== this.instanceId && (!Number.isFinite(registered) || Date.now() - registered > DIRECTORY_STALE_MS)) stale.push(id);
        return;
      }
      try {
        const beat = JSON.parse(raw) as KekHeartbeat;
        live.push({ ...beat, instance_id: beat.instance_id ?? id, kek_ids: Array.isArray(beat.kek_ids) ? beat.kek_ids : [] });
      } catch {
        live.push({ instance_id: id, kek_ids: [], active_kek_id: '', at: '' });
      }
    });
    if (stale.length) await this.state.removeFields(SystemStateKey.KekInstances, stale, exec).catch(() => undefined);
    return live;
  }

  /** Re-reads `active_kek_id` and adopts it when this instance holds that key. */
  async refreshActiveKek(): Promise<void> {
    const active = await this.state.get<string>(SystemStateKey.ActiveKekId);
    if (typeof active === 'string' && active !== this.vault.sealingKekId) {
      if (!this.vault.useActiveKek(active)) {
        this.logger.warn(
          { active_kek_id: active, loaded_kek_ids: this.vault.loadedKekIds },
          'active_kek_id names a master key this instance does not hold: new secrets are sealed with AILINK_MASTER_KEY',
        );
      }
    }
  }

  private async doBeat(): Promise<void> {
    try {
      await this.refreshActiveKek();
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not refresh active_kek_id from PostgreSQL');
    }
    const beat: KekHeartbeat = {
      instance_id: this.instanceId,
      kek_ids: this.vault.loadedKekIds,
      active_kek_id: this.vault.sealingKekId,
      at: new Date().toISOString(),
    };
    try {
      await this.store.set(kekHeartbeatKey(this.instanceId), JSON.stringify(beat), KEK_HEARTBEAT_TTL_SECS);
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not write the KEK heartbeat');
    }
    if (Date.now() - this.lastRegisteredAt >= DIRECTORY_REFRESH_MS) {
      try {
        await this.state.merge(SystemStateKey.KekInstances, { [this.instanceId]: beat.at });
        this.lastRegisteredAt = Date.now();
      } catch (error) {
        this.logger.warn({ err: error }, 'Could not register this instance for KEK heartbeats');
      }
    }
  }
}
