import pg from 'pg';
import { DataSource } from 'typeorm';
import { coreMigrations, type MigrationClass } from '../../migrations/index.js';
import { buildDataSourceOptions } from '../../src/infrastructure/database/data-source-options.js';

/** A DataSource on the run's migrated database (see test/setup/global-setup.mjs). */
export async function openDataSource(poolSize = 20): Promise<DataSource> {
  const ds = new DataSource(
    buildDataSourceOptions(process.env.DATABASE_URL!, coreMigrations, poolSize),
  );
  await ds.initialize();
  return ds;
}

/** A brand-new empty database on the test server, for tests that need to migrate from zero. */
export async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.TEST_DB_SERVER_URL!;
  const name = `chat_scratch_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: server });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

let n = 0;
/** Inserts a user row directly (integration tests do not need the HTTP layer). */
export async function insertUser(ds: DataSource): Promise<string> {
  const name = `iu_${process.pid}_${Date.now()}_${n++}`;
  const [row] = await ds.query<{ id: string }[]>(
    `INSERT INTO users (username, email, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
    [name, `${name}@example.test`],
  );
  return row.id;
}

export async function insertRoom(ds: DataSource, ownerId: string): Promise<string> {
  const [row] = await ds.query<{ id: string }[]>(
    `INSERT INTO rooms (name, owner_id, is_private, member_count) VALUES ($1, $2, false, 1) RETURNING id`,
    [`ir_${process.pid}_${Date.now()}_${n++}`, ownerId],
  );
  await ds.query(`INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'owner')`, [
    row.id,
    ownerId,
  ]);
  return row.id;
}

/**
 * Reverts migrations newest first until none of `these` (one module's) is applied any more.
 * Core migrations newer than the module's are reverted on the way (timestamp order mixes them).
 */
export async function undoThrough(ds: DataSource, these: MigrationClass[]): Promise<void> {
  const names = new Set(these.map((m) => (new m() as { name: string }).name));
  for (;;) {
    const applied = await ds.query<{ name: string }[]>(`SELECT name FROM migrations`);
    if (!applied.some((r) => names.has(r.name))) return;
    await ds.undoLastMigration({ transaction: 'each' });
  }
}
