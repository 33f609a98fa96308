import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { EmbeddedPostgres } from './embedded-postgres';

/** The embedded mode: PGlite served over a Unix socket, reached through node-postgres and TypeORM. */
describe('EmbeddedPostgres', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;
  let ds: DataSource;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ailink-embedded-'));
    embedded = new EmbeddedPostgres();
    const { socketDir, port } = await embedded.start(dataDir);
    ds = new DataSource({ type: 'postgres', host: socketDir, port, username: 'postgres', database: 'postgres', extra: { max: 1 } });
    await ds.initialize();
    await ds.query('CREATE TABLE items (id serial PRIMARY KEY, label text NOT NULL)');
  }, 60000);

  afterAll(async () => {
    await ds?.destroy();
    await embedded?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers SQL through the pg driver', async () => {
    const rows = await ds.query('SELECT 1 + 1 AS two');
    expect(rows).toEqual([{ two: 2 }]);
  });

  it('serialises overlapping transactions: a rollback never erases the other one’s committed rows', async () => {
    let releaseFirst!: () => void;
    const firstMayFinish = new Promise<void>((resolve) => (releaseFirst = resolve));
    const order: string[] = [];

    // T1 starts, inserts, then waits while T2 is started; T1 then rolls back.
    const t1 = ds.transaction(async (manager) => {
      order.push('t1:start');
      await manager.query(`INSERT INTO items (label) VALUES ('rolled-back')`);
      await firstMayFinish;
      order.push('t1:rollback');
      throw new Error('roll back on purpose');
    });
    // T2 overlaps T1 in time and commits.
    const t2 = ds.transaction(async (manager) => {
      order.push('t2:start');
      await manager.query(`INSERT INTO items (label) VALUES ('committed')`);
      order.push('t2:commit');
    });
    setTimeout(releaseFirst, 50);
    await expect(t1).rejects.toThrow('roll back on purpose');
    await t2;

    const rows: { label: string }[] = await ds.query('SELECT label FROM items ORDER BY id');
    expect(rows.map((r) => r.label)).toEqual(['committed']);
    // T2 could only begin once T1 had ended: the single session is never shared.
    expect(order).toEqual(['t1:start', 't1:rollback', 't2:start', 't2:commit']);
  });

  it('keeps data on disk across restarts', async () => {
    await ds.query(`INSERT INTO items (label) VALUES ('durable')`);
    await ds.destroy();
    await embedded.stop();
    embedded = new EmbeddedPostgres();
    const { socketDir, port } = await embedded.start(dataDir);
    ds = new DataSource({ type: 'postgres', host: socketDir, port, username: 'postgres', database: 'postgres', extra: { max: 1 } });
    await ds.initialize();
    const rows: { label: string }[] = await ds.query(`SELECT label FROM items WHERE label = 'durable'`);
    expect(rows).toHaveLength(1);
  }, 60000);
});
