import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, freePort, migrateTestDatabase } from '@ailink/testing';

export const GATEWAY_MAIN = resolve(__dirname, '../../dist/apps/gateway/main.js');

export interface GatewayProcess {
  baseUrl: string;
  adminKey: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the process printed so far (stdout + stderr). */
  logs(): string;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  /** `external` (default): the test PostgreSQL and Redis; `embedded`: PGlite + in-process stores. */
  mode?: 'external' | 'embedded';
  env?: Record<string, string | undefined>;
  /** Wait for /healthz (default true). */
  waitReady?: boolean;
}

/** Spawns the built gateway (`dist/apps/gateway/main.js`) on a free port with a fresh data dir. */
export async function startGateway(options: StartOptions = {}): Promise<GatewayProcess> {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: build first (npx nx run-many -t build -p gateway portal)`);
  const mode = options.mode ?? 'external';
  if (mode === 'external') await migrateTestDatabase();
  // A caller that must know the port before the start (e.g. for AILINK_PUBLIC_URL) passes AILINK_PORT.
  const port = options.env?.['AILINK_PORT'] ? Number(options.env['AILINK_PORT']) : await freePort();
  const adminKey = options.env?.['AILINK_ADMIN_KEY'] ?? `test_admin_${randomBytes(16).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'ailink-e2e-'));
  const env: Record<string, string | undefined> = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    AILINK_ENV: 'test',
    AILINK_HOST: '127.0.0.1',
    AILINK_PORT: String(port),
    AILINK_DATA_DIR: dataDir,
    AILINK_ADMIN_KEY: adminKey,
    AILINK_MASTER_KEY: TEST_MASTER_KEY,
    AILINK_LOG_FORMAT: 'json',
    AILINK_ENABLE_TEST_HOOKS: 'true',
    AILINK_REDIS_KEY_PREFIX: `e2e${randomBytes(4).toString('hex')}:`,
    ...(mode === 'external' ? { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL } : {}),
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, [GATEWAY_MAIN], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const gateway: GatewayProcess = {
    baseUrl,
    adminKey,
    dataDir,
    process: child,
    logs: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  if (options.waitReady !== false) {
    const deadline = Date.now() + 60000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode} before it was ready:\n${output}`);
      try {
        const response = await fetch(`${baseUrl}/healthz`);
        if (response.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        await gateway.stop();
        throw new Error(`gateway did not become ready within 60 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return gateway;
}
