// Servers under test: the chat backend (built app), the bare ws baseline and the Socket.IO
// baseline, each started pinned to the server core with `taskset`, with the open-files limit
// raised to the hard limit. Plus the database the chat backend runs on, and /proc sampling
// (RSS, CPU) of any process.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../scripts/free-port.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * The build of the chat backend under test: this checkout, or BENCH_APP_DIR (another checkout's
 * built tree, e.g. an older commit's worktree for a before/after comparison; see compare.mjs).
 * The harness is always this one, so both builds are measured the same way.
 */
export const APP_DIR = process.env.BENCH_APP_DIR ? path.resolve(process.env.BENCH_APP_DIR) : ROOT;

export const SERVER_CORE = process.env.BENCH_SERVER_CPU ?? '0';
export const LOADGEN_CORE = process.env.BENCH_LOADGEN_CPU ?? '1';

/** CPU time (ms) and RSS (bytes) of a process, from /proc. */
export function procStats(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuMs, rss: rssKb * 1024 };
  } catch {
    return null;
  }
}

export function hardNoFile() {
  try {
    return Number(execFileSync('bash', ['-c', 'ulimit -Hn']).toString().trim());
  } catch {
    return 1024;
  }
}

export { freePort };

const live = new Set();
/** Stops every server still running (on exit or interruption). */
export async function stopAllServers() {
  await Promise.all([...live].map((s) => s.stop()));
}

export class ServerProc {
  constructor({ name, impl, args, env, port, logFile, readyPath, cwd = ROOT }) {
    this.name = name;
    this.impl = impl;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/ws`;
    this.readyPath = readyPath;
    mkdirSync(path.dirname(logFile), { recursive: true });
    this.logFile = logFile;
    const fd = openSync(logFile, 'w');
    // bash raises the soft open-files limit to the hard one, then execs (same pid) taskset,
    // which execs node pinned to the server core.
    this.child = spawn(
      'bash',
      [
        '-c',
        `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec taskset -c ${SERVER_CORE} "$0" "$@"`,
        process.execPath,
        ...args,
      ],
      { cwd, env, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, sig) => resolve({ code, sig })),
    );
    this.exitCode = null;
    void this.exited.then((e) => (this.exitCode = e));
    live.add(this);
  }

  get pid() {
    return this.child.pid;
  }

  async waitReady(timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode)
        throw new Error(
          `${this.name} exited early (${JSON.stringify(this.exitCode)}); see ${this.logFile}`,
        );
      try {
        const res = await fetch(this.url + this.readyPath);
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms; see ${this.logFile}`);
  }

  stats() {
    return procStats(this.pid);
  }

  /** SIGTERM (the app shuts down gracefully and, with --cpu-prof, writes its profile). */
  async stop(timeoutMs = 20_000) {
    live.delete(this);
    if (this.exitCode) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}

export async function startBaseline(impl, { logDir }) {
  const port = await freePort();
  const script =
    impl === 'ws' || impl === 'ws-corked'
      ? 'bench/baselines/ws-server.mjs'
      : 'bench/baselines/socketio-server.mjs';
  const s = new ServerProc({
    name: `${impl} baseline`,
    impl,
    args: [script],
    env: {
      ...process.env,
      PORT: String(port),
      BENCH_TOKEN: 'bench',
      CORK: impl === 'ws-corked' ? '1' : '0',
    },
    port,
    logFile: path.join(logDir, `${impl}-${port}.log`),
    readyPath: '/health',
  });
  await s.waitReady(30_000);
  return s;
}

/** Environment shared by every instance of the chat backend in one benchmark run. */
export function oursEnv(db, extra = {}) {
  return {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    DATABASE_URL: db.embedded ? '' : db.url,
    DATA_DIR: db.dataDir,
    // The benchmark database is fresh: the service migrates it at start-up (whatever the caller's env says).
    DB_MIGRATIONS_RUN: 'true',
    EMBEDDED_PG_PORT: String(db.embeddedPort ?? 0),
    JWT_SECRET: db.jwtSecret,
    JWT_ACCESS_TTL_SEC: '86400',
    RATE_LIMIT_HTTP_PER_MIN: '100000000',
    RATE_LIMIT_WS_PER_SEC: '100000',
    RATE_LIMIT_WS_BURST: '100000',
    KAFKA_BROKERS: '',
    ...extra,
  };
}

export async function startOurs(
  db,
  { logDir, profileDir, instanceId = 'bench-1', extraEnv = {}, label = 'ours', nodeArgs = [] },
) {
  const port = await freePort();
  const args = [];
  if (profileDir)
    args.push(
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=${label}-${instanceId}-${Date.now()}.cpuprofile`,
    );
  // BENCH_NODE_ARGS: extra node flags for the service (e.g. --trace-gc, --max-semi-space-size=64).
  args.push(...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean));
  // A scenario's own node flags (export: a small heap, to show its memory does not grow).
  args.push(...nodeArgs);
  args.push('dist/src/main.js');
  const s = new ServerProc({
    name: `chat backend (${instanceId})`,
    impl: 'ours',
    args,
    env: oursEnv(db, { PORT: String(port), INSTANCE_ID: instanceId, ...extraEnv }),
    port,
    logFile: path.join(logDir, `${label}-${instanceId}-${port}.log`),
    readyPath: '/health/ready',
    cwd: APP_DIR,
  });
  await s.waitReady(180_000);
  return s;
}

/**
 * A fresh database for the run: a new database on the machine's PostgreSQL when it answers
 * (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres), else the app's embedded
 * PostgreSQL under a temporary DATA_DIR (on a fixed port, so the benchmark can seed it).
 */
export async function createBenchDatabase({ forceEmbedded = false } = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chat-bench-'));
  const jwtSecret = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}-0123456789abcdef`;
  const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (!forceEmbedded) {
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await admin.connect();
      const name = `bench_${Date.now()}`;
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(adminUrl);
      u.pathname = `/${name}`;
      return {
        embedded: false,
        url: u.toString(),
        name,
        dataDir,
        jwtSecret,
        async drop() {
          const c = new pg.Client({ connectionString: adminUrl });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    } catch {
      await admin.end().catch(() => undefined);
    }
  }
  const embeddedPort = await freePort();
  return {
    embedded: true,
    url: `postgres://postgres:embedded@127.0.0.1:${embeddedPort}/chat`,
    name: 'chat',
    dataDir,
    embeddedPort,
    jwtSecret,
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Answers fn(client) on a fresh connection to the bench database; null if it fails. */
async function onBenchDb(db, fn) {
  const c = new pg.Client({ connectionString: db.url });
  try {
    await c.connect();
    return await fn(c);
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The backends serving the bench database (but the asking one), each with its CPU time (ms). */
async function backends(c) {
  const r = await c.query(
    `SELECT pid, application_name AS app FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return r.rows.map(({ pid, app }) => ({ pid, app, cpuMs: procStats(pid)?.cpuMs ?? 0 }));
}

/**
 * Transactions of the bench database so far. Every statement the service runs alone is one:
 * per message, it says how many statements (batches) the sends took.
 */
export async function dbTransactions(c) {
  const { rows } = await c.query(
    `SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(rows[0].n);
}

/**
 * CPU time (ms) of each PostgreSQL backend serving the bench database, with its
 * application_name: take one before and one after a phase and pass both to dbCpuDelta.
 */
export function dbBackendsByPid(db) {
  return onBenchDb(
    db,
    async (c) => new Map((await backends(c)).map(({ pid, app, cpuMs }) => [pid, { app, cpuMs }])),
  );
}

/** Database CPU (ms) between two dbBackendsByPid snapshots, per application_name. */
export function dbCpuDelta(before, after) {
  if (!before || !after) return null;
  const out = {};
  for (const [pid, { app, cpuMs }] of after)
    out[app] = (out[app] ?? 0) + cpuMs - (before.get(pid)?.cpuMs ?? 0);
  return out;
}

/** CPU time (ms) of the PostgreSQL backends serving the bench database, and its transactions so far. */
export function dbBackendsCpu(db) {
  return onBenchDb(db, async (c) => {
    const rows = await backends(c);
    return {
      cpuMs: rows.reduce((a, r) => a + r.cpuMs, 0),
      backends: rows.length,
      transactions: await dbTransactions(c),
    };
  });
}
