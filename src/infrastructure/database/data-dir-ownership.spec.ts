import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  acquireOwnership,
  liveOwner,
  ownerFileOf,
  processStartTicks,
  type DataDirOwner,
} from './data-dir-ownership.js';
import { EmbeddedPostgresError } from './embedded-postgres-errors.js';

const root = mkdtempSync(path.join(tmpdir(), 'chat-ownership-'));
let n = 0;
const freshDir = () => path.join(root, `pg-${++n}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has exited (so nothing runs under it, for now). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

function writeRecord(dir: string, o: Partial<DataDirOwner>): void {
  const record: DataDirOwner = {
    pid: process.pid,
    pidStart: null,
    port: 5555,
    httpPort: 3000,
    role: 'npm start',
    startedAt: '2026-01-01T00:00:00.000Z',
    ...o,
  };
  writeFileSync(ownerFileOf(dir), JSON.stringify(record));
}

describe('data directory ownership', () => {
  it('is taken by the first, refused to the second with the owner named, freed on release', () => {
    const dir = freshDir();
    const mine = acquireOwnership(dir, { port: 4321, httpPort: 3000, role: 'npm start' });
    expect(mine.previous).toBeNull();
    expect(liveOwner(dir)).toMatchObject({ pid: process.pid, port: 4321, httpPort: 3000 });
    let refusal: unknown;
    try {
      acquireOwnership(dir, { port: 1, role: 'npm start' });
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(EmbeddedPostgresError);
    expect((refusal as EmbeddedPostgresError).exitCode).toBe(75);
    expect((refusal as Error).message).toContain(`pid ${process.pid}, HTTP port 3000`);
    expect((refusal as Error).message).toContain('PostgreSQL port 4321');
    mine.release();
    expect(existsSync(ownerFileOf(dir))).toBe(false);
    expect(liveOwner(dir)).toBeNull();
  });

  it("takes over a dead owner's record and reports it as the previous owner", () => {
    const dir = freshDir();
    const gone = deadPid();
    writeRecord(dir, { pid: gone, port: 7777 });
    const mine = acquireOwnership(dir, { port: 1, role: 'npm start' });
    expect(mine.hadRecord).toBe(true);
    expect(mine.previous).toMatchObject({ pid: gone, port: 7777 });
    mine.release();
  });

  it('a live pid with another start time is a reused pid, not the owner', () => {
    const dir = freshDir();
    const now = processStartTicks(process.pid);
    if (now === null) return; // no /proc here: the start time cannot be compared
    writeRecord(dir, { pid: process.pid, pidStart: now + 1 });
    expect(liveOwner(dir)).toBeNull();
    acquireOwnership(dir, { port: 1, role: 'npm start' }).release();
  });

  it('an unreadable record is taken over', () => {
    const dir = freshDir();
    writeFileSync(ownerFileOf(dir), '{ half a rec');
    const mine = acquireOwnership(dir, { port: 1, role: 'cli' });
    expect(mine.previous).toBeNull();
    expect(JSON.parse(readFileSync(ownerFileOf(dir), 'utf8'))).toMatchObject({ role: 'cli' });
    mine.release();
  });

  it('release never removes a record someone else wrote meanwhile', () => {
    const dir = freshDir();
    const mine = acquireOwnership(dir, { port: 1, role: 'npm start' });
    writeRecord(dir, { pid: process.pid, port: 2 });
    mine.release();
    expect(existsSync(ownerFileOf(dir))).toBe(true);
  });
});
