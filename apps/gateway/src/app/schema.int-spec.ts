import { DataSource } from 'typeorm';
import { SnakeNamingStrategy, pendingSchemaChanges, runMigrations } from '@ailink/gateway-database';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { createScratchDatabase } from '@ailink/testing';
import { ALL_ENTITIES } from './entities';

/**
 * CI check: the entities match the migrations. Migrate an empty database from zero, then ask TypeORM
 * which SQL the entities would still need (what `migration:generate` would write): it must be none.
 */
describe('entities vs migrations', () => {
  let scratch: { url: string; drop: () => Promise<void> };
  let ds: DataSource;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    ds = new DataSource({
      type: 'postgres',
      url: scratch.url,
      entities: ALL_ENTITIES,
      migrations: ALL_MIGRATIONS,
      namingStrategy: new SnakeNamingStrategy(),
      synchronize: false,
    });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await scratch?.drop();
  });

  it('applies every migration to an empty database, and a second run applies nothing', async () => {
    const applied = await runMigrations(ds);
    expect(applied.map((m) => m.name)).toEqual(ALL_MIGRATIONS.map((m) => m.name));
    expect(await runMigrations(ds)).toEqual([]);
  });

  it('leaves no schema difference between the entities and the migrated database', async () => {
    expect(await pendingSchemaChanges(ds)).toEqual([]);
  });

  it('seeds the default organisation and project', async () => {
    const rows = await ds.query(`SELECT p.id, p.org_id FROM projects p WHERE p.id = '00000000-0000-0000-0000-000000000001'`);
    expect(rows).toEqual([{ id: '00000000-0000-0000-0000-000000000001', org_id: '00000000-0000-0000-0000-000000000001' }]);
  });

  it('lets concurrent instances migrate without racing (advisory lock)', async () => {
    const other = await createScratchDatabase();
    const a = new DataSource({ type: 'postgres', url: other.url, migrations: ALL_MIGRATIONS });
    const b = new DataSource({ type: 'postgres', url: other.url, migrations: ALL_MIGRATIONS });
    try {
      await Promise.all([a.initialize(), b.initialize()]);
      const [ra, rb] = await Promise.all([runMigrations(a), runMigrations(b)]);
      expect(ra.length + rb.length).toBe(ALL_MIGRATIONS.length);
      const count = await a.query('SELECT count(*)::int AS n FROM migrations');
      expect(count[0].n).toBe(ALL_MIGRATIONS.length);
    } finally {
      await a.destroy();
      await b.destroy();
      await other.drop();
    }
  });
});
