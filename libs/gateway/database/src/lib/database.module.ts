import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource, MixedList, EntitySchema } from 'typeorm';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { EmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './migration-runner';
import { DatabaseHealth } from './database-health';
import { ProjectScope } from './project-scope';
import { SnakeNamingStrategy } from './snake-naming.strategy';
import { QueryCountingLogger } from './query-counting.logger';

export interface DatabaseModuleOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/** Builds the TypeORM options for either mode. Never `synchronize`: the schema changes only by migrations. */
export async function dataSourceOptions(config: AppConfig, embedded: EmbeddedPostgres, options: DatabaseModuleOptions, logger?: Logger) {
  const common = {
    type: 'postgres' as const,
    entities: options.entities,
    migrations: options.migrations,
    migrationsRun: false,
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logger: new QueryCountingLogger(logger),
    maxQueryExecutionTime: 1000,
  };
  if (config.mode === 'embedded') {
    const { socketDir, port } = await embedded.start(config.dataDir);
    return { ...common, host: socketDir, port, username: 'postgres', database: 'postgres', extra: { max: 1 } };
  }
  return {
    ...common,
    url: config.databaseUrl,
    extra: { max: config.databaseMaxConnections, connectionTimeoutMillis: config.databaseConnectTimeoutMs },
  };
}

/**
 * PostgreSQL (or embedded PGlite) through TypeORM. Migrations run at boot under an advisory lock
 * when `AILINK_MIGRATE_ON_START` is true (the default).
 */
@Global()
@Module({})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly config: AppConfig,
    private readonly embedded: EmbeddedPostgres,
    @Inject(getDataSourceToken()) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    const embeddedProvider = { provide: EmbeddedPostgres, useValue: new EmbeddedPostgres() };
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          extraProviders: [embeddedProvider],
          inject: [AppConfig, EmbeddedPostgres, LOGGER],
          useFactory: async (config: AppConfig, embedded: EmbeddedPostgres, logger: Logger) => ({
            ...(await dataSourceOptions(config, embedded, options, logger)),
            retryAttempts: config.mode === 'embedded' ? 0 : 2,
            retryDelay: 1000,
          }),
        }),
      ],
      providers: [embeddedProvider, DatabaseHealth, ProjectScope],
      exports: [DatabaseHealth, ProjectScope, TypeOrmModule],
    };
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.migrateOnStart) return;
    const applied = await runMigrations(this.dataSource);
    if (applied.length) this.logger.info({ migrations: applied.map((m) => m.name) }, `Applied ${applied.length} migration(s)`);
  }

  /** TypeORM closes its pool in its own shutdown hook; the embedded server stops once that is done. */
  async onApplicationShutdown(): Promise<void> {
    if (this.config.mode !== 'embedded') return;
    const deadline = Date.now() + 3000;
    while (this.dataSource.isInitialized && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.embedded.stop();
  }
}
