/** Where the integration tier finds its real services (defaults: the local servers `.ci/run` starts). */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres:postgres@127.0.0.1:5432/ailink_test';
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const HOW_TO_START_POSTGRES =
  'Start PostgreSQL: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (or run `bash .ci/run`, which installs and starts it), or point TEST_DATABASE_URL at a server.';
export const HOW_TO_START_REDIS =
  'Start Redis: `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no` (or run `bash .ci/run`), or point TEST_REDIS_URL at a server.';

/**
 * The master key every external-mode test gateway uses: one deployment has one KEK, and the shared
 * test database holds secrets sealed with it. Tests that need other keys use a scratch database.
 */
export const TEST_MASTER_KEY = process.env['TEST_MASTER_KEY'] ?? '5f1c0de7a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c';
