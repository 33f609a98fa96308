import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource, QueryRunner } from 'typeorm';
import type { MasterKeyStatus, RewrapState } from '@ailink/shared-contracts';
import { ConfigError, ErrorCode, GatewayError, LOGGER } from '@ailink/gateway-core';
import { EncryptedRowsRepository, type LockedRow, type RewrappedValue } from './encrypted-rows.repository';
import { EncryptedTableRegistry, type EncryptedTable } from './encrypted-table.registry';
import { KEK_HEARTBEAT_INTERVAL_MS, KekHeartbeatService } from './kek-heartbeat.service';
import { SystemStateKey, SystemStateRepository, type SqlExecutor } from './system-state.repository';
import { VaultService } from './vault.service';

/** Advisory-lock key of the re-wrap singleton ("AIKW"). */
export const REWRAP_LOCK_KEY = 0x41494b57;
/** Rows per re-wrap transaction (vault-and-spend.md §3). */
export const REWRAP_BATCH_SIZE = 500;
/** After switching `active_kek_id`, other instances adopt it within one heartbeat; wait that long (plus margin) before the last pass. */
const ACTIVE_SETTLE_MS = KEK_HEARTBEAT_INTERVAL_MS + 5_000;
/** Rows still locked by other transactions are retried for this long before the run fails. */
const LOCKED_ROWS_TIMEOUT_MS = 60_000;
const RETRY_DELAY_MS = 200;

/** Progress of the re-wrap, kept in `system_state` under `kek_rewrap`. */
export interface RewrapProgress {
  state: RewrapState;
  rewrapped: number;
  remaining: number;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  from_kek_id?: string;
  to_kek_id?: string;
  trigger?: string;
}

export type RotationTrigger = 'api' | 'startup';

/**
 * Master-key rotation (vault-and-spend.md §3 and §8.3).
 *
 * `rotate()` needs a previous key (else 422), takes the `pg_try_advisory_lock` singleton (else 409),
 * checks that every live instance's heartbeat lists both keys (else 409), switches `active_kek_id` to
 * the current key and answers; the re-wrap then runs in the background on the lock's connection:
 * for every registered table, batches of 500 rows `WHERE kek_id = $prev … FOR UPDATE SKIP LOCKED`,
 * each re-wrapped with the guarded UPDATE in its own transaction together with the progress row.
 * Passes repeat until one finds nothing and no row under the previous key is left. A crashed or
 * stopped run leaves `state: running` with the lock released; the next call (or the next start)
 * resumes it. Running it again once done is a no-op.
 */
@Injectable()
export class MasterKeyRotationService {
  /** Rows per transaction; tests lower it. */
  batchSize = REWRAP_BATCH_SIZE;
  /** How long passes continue after switching `active_kek_id` while other instances are live; tests lower it. */
  settleMs = ACTIVE_SETTLE_MS;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly vault: VaultService,
    private readonly registry: EncryptedTableRegistry,
    private readonly rows: EncryptedRowsRepository,
    private readonly state: SystemStateRepository,
    private readonly heartbeat: KekHeartbeatService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `GET /system/master-key`. */
  async status(exec: SqlExecutor = this.dataSource): Promise<MasterKeyStatus> {
    const rowsByKek: Record<string, number> = {};
    for (const table of this.registry.list()) {
      for (const [kekId, n] of Object.entries(await this.rows.countByKek(table, {}, exec))) rowsByKek[kekId] = (rowsByKek[kekId] ?? 0) + n;
    }
    const previous = this.vault.previousKekId;
    const remaining = previous ? (rowsByKek[previous] ?? 0) : 0;
    const progress = await this.state.get<RewrapProgress>(SystemStateKey.KekRewrap, exec);
    const active = await this.state.get<string>(SystemStateKey.ActiveKekId, exec);
    return {
      current_kek_id: this.vault.currentKekId,
      previous_kek_id: previous,
      active_kek_id: typeof active === 'string' ? active : this.vault.sealingKekId,
      rows_by_kek_id: rowsByKek,
      rewrap: {
        state: progress?.state ?? 'idle',
        rewrapped: progress?.rewrapped ?? 0,
        remaining,
        started_at: progress?.started_at ?? null,
        finished_at: progress?.finished_at ?? null,
        error: progress?.error ?? null,
      },
    };
  }

  /** `POST /system/master-key/rotate`: starts (or resumes) the re-wrap and answers its status (202). */
  async rotate(trigger: RotationTrigger = 'api'): Promise<MasterKeyStatus> {
    const previous = this.vault.previousKekId;
    const current = this.vault.currentKekId;
    if (!previous) {
      throw new GatewayError(
        ErrorCode.InvalidConfig,
        'No previous master key is configured: set AILINK_MASTER_KEY to the new key and AILINK_MASTER_KEY_PREVIOUS to the old one on every instance, then rotate',
      );
    }
    if (this.running) throw new GatewayError(ErrorCode.Conflict, 'A master-key re-wrap is already running');

    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let locked = false;
    let handedOff = false;
    try {
      [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS "locked"', [REWRAP_LOCK_KEY])) as { locked: boolean }[];
      if (!locked) throw new GatewayError(ErrorCode.Conflict, 'A master-key re-wrap is already running on another instance');
      await this.assertEveryInstanceHoldsBothKeys(runner, current, previous);
      // Switch the sealing key first: from now on no new row is wrapped under the previous key.
      const switched = (await this.state.get<string>(SystemStateKey.ActiveKekId, runner)) !== current;
      await this.state.set(SystemStateKey.ActiveKekId, current, runner);
      this.vault.useActiveKek(current);
      const others = (await this.heartbeat.liveInstances(runner)).some((b) => b.instance_id !== this.heartbeat.instanceId);

      const before = await this.state.get<RewrapProgress>(SystemStateKey.KekRewrap, runner);
      const resume =
        !!before &&
        (before.state === 'running' || before.state === 'failed') &&
        before.from_kek_id === previous &&
        before.to_kek_id === current;
      const progress: RewrapProgress = {
        state: 'running',
        rewrapped: resume ? before.rewrapped : 0,
        remaining: await this.countRemaining(previous, runner),
        started_at: resume && before.started_at ? before.started_at : new Date().toISOString(),
        finished_at: null,
        error: null,
        from_kek_id: previous,
        to_kek_id: current,
        trigger,
      };
      await this.state.set(SystemStateKey.KekRewrap, progress, runner);
      const status = await this.status(runner);
      this.logger.info(
        { from_kek_id: previous, to_kek_id: current, remaining: progress.remaining, resumed: resume, trigger },
        'Master-key rotation started: re-wrapping data keys under the current master key',
      );
      this.stopping = false;
      // The background run owns the connection (and the lock) from here and releases both.
      handedOff = true;
      // Other instances adopt a switched key within one heartbeat: keep passing until then.
      const settleUntil = others && switched ? Date.now() + this.settleMs : 0;
      this.running = this.run(runner, previous, current, progress, settleUntil).finally(() => (this.running = undefined));
      return status;
    } finally {
      if (!handedOff) {
        if (locked) await runner.query('SELECT pg_advisory_unlock($1)', [REWRAP_LOCK_KEY]).catch(() => undefined);
        await runner.release();
      }
    }
  }

  /** Resolves when no re-wrap runs in this process. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Asks a running re-wrap to stop after its current batch (shutdown); it stays resumable. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /**
   * Startup check (vault-and-spend.md §3): a live row sealed under a `kek_id` this instance does not
   * hold means the master key is wrong or the previous key is missing; refuse to start.
   */
  async verifyKnownKeks(exec: SqlExecutor = this.dataSource): Promise<void> {
    const unknown: Record<string, number> = {};
    for (const table of this.registry.list()) {
      let counts: Record<string, number>;
      try {
        counts = await this.rows.countByKek(table, { liveOnly: true }, exec);
      } catch (error) {
        if ((error as { code?: string }).code === '42P01') {
          this.logger.warn(`Table ${table.table} does not exist yet (migrations not applied?): skipping its master-key check`);
          continue;
        }
        throw error;
      }
      for (const [kekId, n] of Object.entries(counts)) if (!this.vault.hasKek(kekId)) unknown[kekId] = (unknown[kekId] ?? 0) + n;
    }
    const ids = Object.keys(unknown);
    if (ids.length === 0) return;
    const total = Object.values(unknown).reduce((a, b) => a + b, 0);
    throw new ConfigError(
      'AILINK_MASTER_KEY',
      `does not match ${total} stored secret(s) sealed under kek_id ${ids.join(', ')} (this instance holds ${this.vault.loadedKekIds.join(', ')}). ` +
        'Set AILINK_MASTER_KEY to the key they were sealed with, or during a rotation set AILINK_MASTER_KEY_PREVIOUS to the old key',
    );
  }

  /** Reads (or first sets) `active_kek_id` and adopts it when this instance holds it. */
  async initActiveKek(): Promise<void> {
    const stored = await this.state.setIfAbsent<string>(SystemStateKey.ActiveKekId, this.vault.currentKekId);
    if (this.vault.useActiveKek(stored)) return;
    // The active key is unknown here (and, as the startup check passed, seals no live row we need):
    // take over with the current key.
    const swapped = await this.state.compareAndSet(SystemStateKey.ActiveKekId, stored, this.vault.currentKekId);
    this.logger.warn(
      { previous_active_kek_id: stored, active_kek_id: this.vault.currentKekId, switched: swapped },
      'active_kek_id named a master key this instance does not hold: new secrets are sealed with AILINK_MASTER_KEY',
    );
  }

  /** Startup: `AILINK_MASTER_KEY_ROTATE_ON_START`, or resuming an interrupted re-wrap. */
  async onStartup(rotateOnStart: boolean): Promise<void> {
    const progress = await this.state.get<RewrapProgress>(SystemStateKey.KekRewrap);
    const interrupted = progress?.state === 'running';
    if (!rotateOnStart && !interrupted) return;
    if (!this.vault.previousKekId) {
      if (rotateOnStart)
        this.logger.info('AILINK_MASTER_KEY_ROTATE_ON_START is set but AILINK_MASTER_KEY_PREVIOUS is not: nothing to re-wrap');
      else this.logger.warn('An interrupted master-key re-wrap cannot resume: AILINK_MASTER_KEY_PREVIOUS is not set');
      return;
    }
    try {
      await this.rotate('startup');
    } catch (error) {
      if (error instanceof GatewayError) this.logger.warn(`Master-key re-wrap not started at startup: ${error.message}`);
      else throw error;
    }
  }

  /**
   * Every live instance must hold the current key (re-wrapped rows) and, while any row is still
   * under the previous key or sealing has not switched yet, the previous key too.
   */
  private async assertEveryInstanceHoldsBothKeys(exec: SqlExecutor, current: string, previous: string): Promise<void> {
    let live;
    try {
      // Only through `exec`: the caller holds a connection (the embedded pool has no other one).
      live = await this.heartbeat.liveInstances(exec);
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not read the KEK heartbeats');
      throw new GatewayError(ErrorCode.DependencyUnavailable, 'Cannot verify which master keys the instances hold (Redis unavailable)');
    }
    const active = await this.state.get<string>(SystemStateKey.ActiveKekId, exec);
    const previousStillNeeded = active !== current || (await this.countRemaining(previous, exec)) > 0;
    const required = previousStillNeeded ? [current, previous] : [current];
    const lacking = live.filter((b) => b.instance_id !== this.heartbeat.instanceId && !required.every((k) => b.kek_ids.includes(k)));
    if (lacking.length) {
      throw new GatewayError(
        ErrorCode.Conflict,
        `Instance(s) ${lacking.map((b) => b.instance_id).join(', ')} have not loaded both master keys (current ${current}, previous ${previous}): ` +
          'set AILINK_MASTER_KEY and AILINK_MASTER_KEY_PREVIOUS on every instance, then retry',
      );
    }
  }

  private async countRemaining(previous: string, exec: SqlExecutor): Promise<number> {
    let n = 0;
    for (const table of this.registry.list()) n += await this.rows.countUnder(table, previous, exec);
    return n;
  }

  private async run(runner: QueryRunner, previous: string, current: string, progress: RewrapProgress, settleUntil: number): Promise<void> {
    let lockedSince = 0;
    try {
      for (;;) {
        let found = 0;
        for (const table of this.registry.list()) {
          for (;;) {
            if (this.stopping) {
              this.logger.info(
                { rewrapped: progress.rewrapped },
                'Master-key re-wrap paused by shutdown; it resumes at the next start or rotate call',
              );
              return;
            }
            const n = await this.batch(runner, table, previous, current, progress);
            found += n;
            if (n === 0) break;
          }
        }
        const remaining = await this.countRemaining(previous, runner);
        if (found === 0 && remaining === 0 && Date.now() >= settleUntil) break;
        if (found === 0 && remaining > 0) {
          // Rows held by other transactions (SKIP LOCKED): wait for them.
          lockedSince ||= Date.now();
          if (Date.now() - lockedSince > LOCKED_ROWS_TIMEOUT_MS) throw new Error(`${remaining} row(s) stayed locked by other transactions`);
        } else {
          lockedSince = 0;
        }
        if (found === 0) await sleep(Math.max(RETRY_DELAY_MS, Math.min(settleUntil - Date.now(), 1000)));
      }
      Object.assign(progress, { state: 'done', remaining: 0, finished_at: new Date().toISOString(), error: null });
      await this.state.set(SystemStateKey.KekRewrap, progress, runner);
      this.logger.info({ rewrapped: progress.rewrapped, kek_id: current }, 'Master-key re-wrap done: remove AILINK_MASTER_KEY_PREVIOUS');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      Object.assign(progress, { state: 'failed', finished_at: new Date().toISOString(), error: message });
      this.logger.error({ err: error, rewrapped: progress.rewrapped }, 'Master-key re-wrap failed');
      await this.state.set(SystemStateKey.KekRewrap, progress, runner).catch(() => undefined);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [REWRAP_LOCK_KEY]).catch(() => undefined);
      await runner.release().catch(() => undefined);
    }
  }

  /**
   * One transaction: lock up to `batchSize` rows, re-wrap each with the guarded UPDATE, record the
   * progress. Returns how many rows were re-wrapped.
   */
  private async batch(
    runner: QueryRunner,
    table: EncryptedTable,
    previous: string,
    current: string,
    progress: RewrapProgress,
  ): Promise<number> {
    const keys: Record<string, unknown>[] = [];
    await runner.startTransaction();
    try {
      const locked = await this.rows.lockBatch(table, previous, this.batchSize, runner);
      for (const row of locked) {
        if (await this.rows.updateGuarded(table, row, this.rewrapRow(table, row, current), runner)) keys.push(row.key);
      }
      const next = { ...progress, rewrapped: progress.rewrapped + keys.length, remaining: Math.max(0, progress.remaining - keys.length) };
      if (keys.length > 0) await this.state.set(SystemStateKey.KekRewrap, next, runner);
      await runner.commitTransaction();
      Object.assign(progress, next);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
    if (keys.length > 0 && table.onRewrapped) {
      await table.onRewrapped(keys).catch((error: unknown) => this.logger.warn({ err: error, table: table.table }, 'Re-wrap hook failed'));
    }
    return keys.length;
  }

  private rewrapRow(table: EncryptedTable, row: LockedRow, current: string): RewrappedValue {
    try {
      if (row.format === 'compact') return { format: 'compact', blob: this.vault.rewrapCompact(row.blob, current) };
      return { format: 'columns', ...this.vault.rewrap(row, current) };
    } catch {
      throw new Error(`A data key in ${table.table} (${JSON.stringify(row.key)}) could not be unwrapped with the previous master key`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
