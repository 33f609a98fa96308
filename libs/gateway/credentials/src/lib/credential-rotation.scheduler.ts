import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { CredentialsRepository } from './credentials.repository';
import { CredentialsService } from './credentials.service';

/** Advisory-lock key of the scheduled-rotation singleton ("AICR"). */
export const ROTATION_LOCK_KEY = 0x41494352;
/** Credentials fetched per query; a run continues until none is due (or only failed ones are). */
const BATCH = 100;

/** What one check did. */
export interface RotationRunResult {
  /** True when another instance held the singleton lock: this one did nothing. */
  skipped: boolean;
  rotated: number;
  failed: number;
}

/**
 * Scheduled credential rotation (vault-and-spend.md §3, data-model.md "Background jobs"): with
 * `AILINK_ROTATION_ENABLED=true`, every `AILINK_ROTATION_CHECK_INTERVAL` seconds (and once at
 * startup), each live credential with `rotation_enabled` whose `last_rotated_at` (or creation) +
 * `rotation_interval_secs` has passed gets a DEK refresh: the same secret under a new data key,
 * `version + 1`, `last_rotated_at`, a `rotation_log` row (`trigger: schedule`) and a
 * `credential_rotated` event. One instance at a time runs it: the check takes
 * `pg_try_advisory_lock` on its own connection, and the rotations run on that connection (so the
 * embedded mode's single connection is never needed twice).
 */
@Injectable()
export class CredentialRotationScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<RotationRunResult>;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly service: CredentialsService,
    private readonly repository: CredentialsRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.rotationEnabled) return;
    const everyMs = this.config.rotationCheckIntervalSecs * 1000;
    const tick = () => {
      void this.runOnce().catch((error: unknown) => this.logger.error({ err: error }, 'Scheduled credential rotation failed'));
    };
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
    setImmediate(tick);
    this.logger.info({ interval_secs: this.config.rotationCheckIntervalSecs }, 'Scheduled credential rotation enabled');
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One check (also what tests call). Concurrent calls in this process share one run. */
  runOnce(): Promise<RotationRunResult> {
    if (!this.running) this.running = this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<RotationRunResult> {
    const result: RotationRunResult = { skipped: false, rotated: 0, failed: 0 };
    if (this.stopped) return { ...result, skipped: true };
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let locked = false;
    try {
      [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS "locked"', [ROTATION_LOCK_KEY])) as { locked: boolean }[];
      if (!locked) return { ...result, skipped: true };
      const failedIds: string[] = [];
      while (!this.stopped) {
        const due = await this.repository.findDueForRotation(runner.manager, BATCH, failedIds);
        if (due.length === 0) break;
        for (const id of due) {
          if (this.stopped) break;
          try {
            await this.service.rotateById(id, 'schedule', undefined, runner.manager);
            result.rotated += 1;
          } catch (error) {
            // Recorded in rotation_log when the secret could not be opened; retried at the next check.
            failedIds.push(id);
            result.failed += 1;
            this.logger.error({ err: error, credential_id: id }, 'Scheduled rotation of a credential failed');
          }
        }
      }
      if (result.rotated > 0 || result.failed > 0) {
        this.logger.info({ rotated: result.rotated, failed: result.failed }, 'Scheduled credential rotation finished');
      }
      return result;
    } finally {
      if (locked) await runner.query('SELECT pg_advisory_unlock($1)', [ROTATION_LOCK_KEY]).catch(() => undefined);
      await runner.release();
    }
  }
}
