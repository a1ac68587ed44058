import pg from 'pg';

/** The enterprise modules' flag variables. */
export const FLAG_VARS = [
  'FEATURE_ORGANIZATIONS',
  'FEATURE_USER_ROLES',
  'FEATURE_PROXY_SYSTEM',
  'FEATURE_BOT_MESSAGES',
  'FEATURE_ONLINE_STATISTICS',
  'FEATURE_ADVANCED_ADMIN',
] as const;
export type FlagVar = (typeof FLAG_VARS)[number];

const allOff = (): Record<FlagVar, string> =>
  Object.fromEntries(FLAG_VARS.map((f) => [f, 'false'])) as Record<FlagVar, string>;

/**
 * Env for an app with every module off, on the core database (no module's tables): what a
 * deployment with no FEATURE_* set gets. Overrides the all-modules-on project's defaults.
 */
export function coreEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: process.env.CORE_DATABASE_URL!,
    ...allOff(),
    ADMIN_USERNAMES: '',
    ...extra,
  };
}

/**
 * Env for an app with the given modules on (the rest off), on the database where every
 * module's migrations ran (see test/setup/global-setup.mjs).
 */
export function enterpriseEnv(
  on: FlagVar[],
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    DATABASE_URL: process.env.ENTERPRISE_DATABASE_URL!,
    ...allOff(),
    ADMIN_USERNAMES: '',
  };
  for (const f of on) env[f] = 'true';
  return { ...env, ...extra };
}

/** Every module on. */
export const allModulesEnv = (extra: Record<string, string> = {}) =>
  enterpriseEnv([...FLAG_VARS], extra);

/** Names of the tables in the public schema of a database. */
export async function tablesIn(databaseUrl: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    return rows.map((r) => r.t);
  } finally {
    await c.end();
  }
}

/** Runs SQL on a database (for asserting what a test changed). */
export async function withDatabase<T>(
  databaseUrl: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A fresh database with every module's migrations applied, for suites that run separate
 * service processes (Kafka suites): each gets its own, so no two suites share an outbox.
 */
export async function createEnterpriseDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { createScratchDatabase } = await import('./db.js');
  const { migrationsFor } = await import('../../migrations/index.js');
  const { loadFeatureFlags } = await import('../../src/config/configuration.js');
  const { buildDataSourceOptions } =
    await import('../../src/infrastructure/database/data-source-options.js');
  const { DataSource } = await import('typeorm');
  const scratch = await createScratchDatabase();
  const on = Object.fromEntries(FLAG_VARS.map((f) => [f, 'true']));
  const ds = new DataSource({
    ...buildDataSourceOptions(scratch.url, migrationsFor(loadFeatureFlags(on).flags), 2),
    logger: undefined,
    logging: false,
  });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  return scratch;
}
