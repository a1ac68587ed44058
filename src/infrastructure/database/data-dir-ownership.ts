// Who runs the embedded PostgreSQL of a data directory. One process at a time owns it (starts
// and stops the server); every other process either attaches to the owner's server (the CLI,
// migrations) or refuses to start (a second `npm start`). The record sits beside the data
// directory (`<dir>.owner.json`; initdb needs the directory itself empty) and holds the owner's
// pid, its start time (so a reused pid is not mistaken for the owner) and the server's port.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { EmbeddedPostgresError, EX_TEMPFAIL } from './embedded-postgres-errors.js';

export interface DataDirOwner {
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot), where there is /proc. */
  pidStart: number | null;
  /** The embedded PostgreSQL's port. */
  port: number;
  /** The owner's HTTP port, when the owner is the service. */
  httpPort: number | null;
  /** What the owner is: `npm start`, `migration`, `cli`, `test`. */
  role: string;
  startedAt: string;
}

export const ownerFileOf = (dataDir: string): string => `${dataDir}.owner.json`;

/** Fields of /proc/<pid>/stat after the command name (field 3 onwards), or null. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .trim()
      .split(' ');
  } catch {
    return null;
  }
}

/** The start time of a process (field 22 of /proc/<pid>/stat), or null where unknown. */
export function processStartTicks(pid: number): number | null {
  const f = procStat(pid);
  const v = f ? Number(f[19]) : NaN;
  return Number.isFinite(v) ? v : null;
}

/** The parent pid of a process (field 4 of /proc/<pid>/stat), or null where unknown. */
export function parentPid(pid: number): number | null {
  const f = procStat(pid);
  const v = f ? Number(f[1]) : NaN;
  return Number.isFinite(v) ? v : null;
}

/** Whether a process exists (EPERM: it does, run by another OS user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The recorded owner is still running (the same process, not a later one with its pid). */
export function ownerAlive(owner: DataDirOwner): boolean {
  if (!processAlive(owner.pid)) return false;
  if (owner.pidStart === null) return true;
  const now = processStartTicks(owner.pid);
  return now === null || now === owner.pidStart;
}

function parseOwner(raw: string): DataDirOwner | null {
  try {
    const o = JSON.parse(raw) as Partial<DataDirOwner>;
    if (!Number.isInteger(o.pid) || !Number.isInteger(o.port)) return null;
    return {
      pid: o.pid!,
      pidStart: typeof o.pidStart === 'number' ? o.pidStart : null,
      port: o.port!,
      httpPort: typeof o.httpPort === 'number' ? o.httpPort : null,
      role: typeof o.role === 'string' ? o.role : 'unknown',
      startedAt: typeof o.startedAt === 'string' ? o.startedAt : 'unknown',
    };
  } catch {
    return null;
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone already
  }
}

function readRaw(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The live owner of a data directory, or null when nobody (alive) owns it. */
export function liveOwner(dataDir: string): DataDirOwner | null {
  const raw = readRaw(ownerFileOf(dataDir));
  const owner = raw === null ? null : parseOwner(raw);
  return owner && ownerAlive(owner) ? owner : null;
}

export function describeOwner(o: DataDirOwner): string {
  const http = o.httpPort !== null ? `, HTTP port ${o.httpPort}` : '';
  return `${o.role} (pid ${o.pid}${http}, PostgreSQL port ${o.port}, since ${o.startedAt})`;
}

export interface Ownership {
  /** The previous owner, dead, whose leftovers (a running server) the new owner cleans up. */
  previous: DataDirOwner | null;
  /** Whether there was any record before (none: a first start, or an older version's server). */
  hadRecord: boolean;
  release(): void;
}

/**
 * Takes the data directory for this process, or throws an EmbeddedPostgresError naming the live
 * owner. The record is written whole before it appears (link(2) of a complete file, which fails
 * if one exists), so a reader never sees half a record and two starters cannot both win.
 */
export function acquireOwnership(
  dataDir: string,
  info: { port: number; httpPort?: number | null; role: string },
): Ownership {
  const file = ownerFileOf(dataDir);
  const record: DataDirOwner = {
    pid: process.pid,
    pidStart: processStartTicks(process.pid),
    port: info.port,
    httpPort: info.httpPort ?? null,
    role: info.role,
    startedAt: new Date().toISOString(),
  };
  const text = JSON.stringify(record, null, 2) + '\n';
  let previous: DataDirOwner | null = null;
  let hadRecord = false;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, text, { mode: 0o644 });
    try {
      linkSync(tmp, file);
      return {
        previous,
        hadRecord,
        release: () => {
          // Only our own record: never one a later owner wrote.
          if (readRaw(file) === text) unlinkQuiet(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkQuiet(tmp);
    }
    const raw = readRaw(file);
    if (raw === null) continue; // its owner just released it
    hadRecord = true;
    const owner = parseOwner(raw);
    if (owner && ownerAlive(owner))
      throw new EmbeddedPostgresError(
        `the data directory ${dataDir} is in use by ${describeOwner(owner)}; ` +
          'stop that process first, or give this one another DATA_DIR ' +
          '(npm run cli and npm run migration:run attach to the running server by themselves).',
        EX_TEMPFAIL,
      );
    // A dead owner's record: drop it (if nobody replaced it meanwhile) and try again.
    previous = owner ?? previous;
    if (readRaw(file) === raw) unlinkQuiet(file);
  }
  throw new EmbeddedPostgresError(
    `could not take ${file}: other processes keep replacing it; try again`,
    EX_TEMPFAIL,
  );
}
