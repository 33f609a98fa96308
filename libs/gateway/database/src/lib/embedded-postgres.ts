import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Unix socket paths are limited to ~107 bytes; longer data dirs put the socket in a private temp dir. */
const MAX_SOCKET_PATH = 100;
const PORT = 5432;

export interface EmbeddedConnection {
  /** Directory holding `.s.PGSQL.5432`: pass as `host` to node-postgres. */
  socketDir: string;
  port: number;
}

/**
 * The embedded default: PGlite (PostgreSQL compiled to WASM, data on disk) served over a local Unix
 * socket in the data directory by `@electric-sql/pglite-socket`, so the gateway talks to it with the
 * same `pg` driver, TypeORM entities, repositories and migrations as a real PostgreSQL server.
 *
 * PGlite has one session. The socket server admits one connection and the pool holding it has a
 * size of one, so a transaction owns the session until it ends: two overlapping transactions are
 * serialised instead of interleaving (an interleaved ROLLBACK would erase the other's work).
 */
export class EmbeddedPostgres {
  private db?: PGlite;
  private server?: PGLiteSocketServer;
  private socketDir?: string;
  private ownsSocketDir = false;

  async start(dataDir: string): Promise<EmbeddedConnection> {
    const pgData = join(dataDir, 'pgdata');
    mkdirSync(pgData, { recursive: true, mode: 0o700 });
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    this.db = await PGlite.create({ dataDir: pgData });
    let socketDir = dataDir;
    if (join(socketDir, `.s.PGSQL.${PORT}`).length > MAX_SOCKET_PATH) {
      socketDir = mkdtempSync(join(tmpdir(), 'ailink-pg-'));
      this.ownsSocketDir = true;
    }
    const path = join(socketDir, `.s.PGSQL.${PORT}`);
    rmSync(path, { force: true }); // a stale socket from a crashed run
    this.server = new PGLiteSocketServer({ db: this.db, path, maxConnections: 1 });
    await this.server.start();
    this.socketDir = socketDir;
    return { socketDir, port: PORT };
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.db?.close();
    if (this.socketDir) {
      rmSync(join(this.socketDir, `.s.PGSQL.${PORT}`), { force: true });
      if (this.ownsSocketDir) rmSync(this.socketDir, { recursive: true, force: true });
    }
    this.server = undefined;
    this.db = undefined;
  }
}
