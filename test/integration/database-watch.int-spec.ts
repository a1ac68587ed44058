import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import {
  DatabaseWatch,
  ProbeConnection,
} from '../../src/infrastructure/database/database-watch.js';
import { freePort } from '../../scripts/free-port.mjs';
import { createScratchDatabase } from '../support/db.js';

/** The readiness probe's view of the database, on a real server. */
describe('DatabaseWatch', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let busy: pg.Pool;
  let admin: pg.Client;
  const watches: DatabaseWatch[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    busy = new pg.Pool({ connectionString: scratch.url, max: 1 });
    admin = new pg.Client({ connectionString: scratch.url });
    await admin.connect();
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    for (const w of watches) await w.onApplicationShutdown();
    await busy.end();
    await admin.end();
    await scratch.drop();
    jest.restoreAllMocks();
  });

  const watchOn = (url: string) => {
    const w = new DatabaseWatch(new ProbeConnection(url));
    watches.push(w);
    return w;
  };

  it('answers "up" while every connection of the service’s pool is busy (through the pool: "down")', async () => {
    // The pool's only connection is taken for 4 s, longer than the probe's 2 s timeout.
    const held = busy.query("SELECT pg_sleep(4), 'hold the pool'");
    await waitUntil(async () => {
      const { rows } = await admin.query(
        `SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%hold the pool%'
            AND pid <> pg_backend_pid()`,
      );
      return rows.length === 1;
    });
    // What the watch did before it had a connection of its own: the probe waits behind the
    // busy pool and times out.
    const throughPool = new DatabaseWatch({
      ping: async () => void (await busy.query('SELECT 1')),
      close: () => undefined,
    } as unknown as ProbeConnection);
    const [own, pooled] = await Promise.all([watchOn(scratch.url).check(), throughPool.check()]);
    expect(own).toMatchObject({ up: true });
    expect(pooled).toMatchObject({ up: false, error: 'no answer within 2000 ms' });
    await held;
  });

  it('a probe connection the server ends is replaced: down at most once, then up again', async () => {
    const watch = watchOn(scratch.url);
    expect((await watch.check()).up).toBe(true);
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'chat-backend-watch' AND datname = current_database()`,
    );
    expect(rows.length).toBeGreaterThan(0);
    await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid', [
      rows.map((r) => r.pid),
    ]);
    const states = [await watch.check(), await watch.check()];
    expect(states[1].up).toBe(true);
    const after = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'chat-backend-watch' AND datname = current_database()`,
    );
    expect(after.rows.map((r) => r.pid)).not.toContain(rows[0].pid);
  });

  it('a server that is not there is "down", and the reason does not carry the connection string', async () => {
    const url = new URL(scratch.url);
    url.port = String(await freePort()); // nothing listens there
    url.password = 'not-a-real-secret';
    const state = await watchOn(url.toString()).check();
    expect(state.up).toBe(false);
    expect(state.error).toBeTruthy();
    expect(state.error).not.toContain('not-a-real-secret');
  });
});

async function waitUntil(ok: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 10_000;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
