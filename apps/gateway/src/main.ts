import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigError, createLogger, describeConfig, lifecycle, loadConfig, type AppConfig } from '@ailink/gateway-core';
import { EmbeddedPostgres, dataSourceOptions, runMigrations } from '@ailink/gateway-database';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { AILINK_VERSION as version } from '@ailink/shared-contracts';
import { StartupError, createGateway } from './app/create-gateway';
import { ALL_ENTITIES } from './app/entities';

function fail(message: string): never {
  process.stderr.write(`ailink: ${message}\n`);
  process.exit(1);
}

function config(): AppConfig {
  try {
    return loadConfig(process.env, { version, defaultPortalDir: join(__dirname, '..', 'portal', 'browser') });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

/** `node main.js migrate`: apply pending migrations and exit (what `npm run migrate` runs). */
async function migrate(cfg: AppConfig): Promise<void> {
  const embedded = new EmbeddedPostgres();
  const ds = new DataSource(await dataSourceOptions(cfg, embedded, { entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS }));
  process.stdout.write(`Migrating (${describeConfig(cfg)})…\n`);
  try {
    await ds.initialize();
    const applied = await runMigrations(ds);
    process.stdout.write(
      applied.length ? applied.map((m) => `  applied ${m.name}\n`).join('') : '  nothing to apply: the schema is up to date\n',
    );
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await embedded.stop();
  }
}

async function serve(cfg: AppConfig): Promise<void> {
  const logger = createLogger({ format: cfg.logFormat, level: cfg.logLevel });
  logger.info(`AIlink gateway ${cfg.version} starting (${describeConfig(cfg)})`);
  if (cfg.mode === 'embedded') {
    logger.info(
      `Embedded mode: PGlite data in ${cfg.dataDir}, in-process cache/counters/queues (single instance). Set DATABASE_URL and REDIS_URL for PostgreSQL + Redis.`,
    );
  }
  if (cfg.generated.masterKeyFile)
    logger.warn(
      `AILINK_MASTER_KEY is not set: using the generated key stored in ${cfg.generated.masterKeyFile} (mode 0600). Set AILINK_MASTER_KEY in production.`,
    );
  if (cfg.generated.adminKeyFile)
    logger.warn(
      `AILINK_ADMIN_KEY is not set: the generated admin key is in ${cfg.generated.adminKeyFile}; read it with: cat ${cfg.generated.adminKeyFile}`,
    );
  if (!cfg.adminKey) logger.info('Admin-key authentication is disabled (AILINK_ADMIN_KEY unset in production)');

  const app = await createGateway(cfg, logger);
  const fastify = app.getHttpAdapter().getInstance();
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    lifecycle.draining = true;
    fastify.server.closeIdleConnections();
    logger.info(`${signal} received: draining in-flight requests (up to ${cfg.shutdownGraceMs / 1000} s)`);
    const force = setTimeout(() => {
      logger.error('Shutdown grace period elapsed: exiting with requests still in flight');
      process.exit(1);
    }, cfg.shutdownGraceMs);
    force.unref();
    app
      .close()
      .then(() => {
        logger.info('Shutdown complete');
        logger.flush?.();
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: cfg.port, host: cfg.host });
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  const base = `http://${cfg.host === '0.0.0.0' ? 'localhost' : cfg.host}:${port}`;
  logger.info(`AIlink gateway ready on ${base} (mode: ${cfg.mode}) — portal ${base}/, API docs ${base}/api/docs`);
}

async function main(): Promise<void> {
  const cfg = config();
  const command = process.argv[2] ?? 'serve';
  if (command === 'migrate') return migrate(cfg);
  if (command === 'serve') return serve(cfg);
  fail(`unknown command "${command}" (expected: serve | migrate)`);
}

main().catch((error: unknown) => {
  if (error instanceof StartupError || error instanceof ConfigError) fail(error.message);
  process.stderr.write(`ailink: startup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
