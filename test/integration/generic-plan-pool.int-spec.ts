import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { GenericPlanPool } from '../../src/infrastructure/database/generic-plan-pool.js';
import { createScratchDatabase } from '../support/db.js';

const settings = `SELECT current_setting('plan_cache_mode') AS mode, current_setting('jit') AS jit,
                         pg_backend_pid() AS pid`;
type Settings = { mode: string; jit: string; pid: number };

/** GenericPlanPool on a real server: its connections, and only its, plan generically without JIT. */
describe('GenericPlanPool', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let generic: GenericPlanPool;
  let plain: pg.Pool;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    generic = new GenericPlanPool(scratch.url, 1);
    plain = new pg.Pool({ connectionString: scratch.url, max: 1 });
  });
  afterAll(async () => {
    await generic.onApplicationShutdown();
    await plain.end();
    await scratch.drop();
  });

  const first = async (pool: { query: GenericPlanPool['query'] }, name?: string) =>
    (await pool.query({ name, text: settings })).rows[0] as Settings;

  it('runs statements, named or not, with plan_cache_mode = force_generic_plan and jit = off, in one round trip each', async () => {
    expect(await first(generic, 'settings')).toMatchObject({
      mode: 'force_generic_plan',
      jit: 'off',
    });
    expect(await first(generic)).toMatchObject({ mode: 'force_generic_plan', jit: 'off' });
  });

  it('leaves every other connection to the same database as it was', async () => {
    expect(await first(plain)).toMatchObject({ mode: 'auto', jit: 'on' });
  });

  it('plans a prepared statement generically from its first execution; another connection plans it for its values', async () => {
    const plans = async (pool: { query: GenericPlanPool['query'] }) => {
      await pool.query({ name: 'probe', text: 'SELECT 1 AS one WHERE $1::int = 1', values: [2] });
      // Each pool holds one connection: this is the connection that ran the statement.
      const { rows } = await pool.query({
        text: `SELECT generic_plans::int AS generic, custom_plans::int AS custom
                 FROM pg_prepared_statements WHERE name = 'probe'`,
      });
      return rows[0];
    };
    expect(await plans(generic)).toEqual({ generic: 1, custom: 0 });
    expect(await plans(plain)).toEqual({ generic: 0, custom: 1 });
  });

  it('a connection the server ends is dropped and said in the log, and the next statement runs on a new one with the same settings', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const before = await first(generic);
      await plain.query('SELECT pg_terminate_backend($1)', [before.pid]);
      // The server tells the idle connection why it ends it; the pool drops it and says so.
      await waitUntil(() =>
        warn.mock.calls.some(([m]) => String(m).includes('terminating connection')),
      );
      expect(String(warn.mock.calls[0][0])).toMatch(/^an idle connection was lost/);
      const next = await waitForNewConnection(generic, before.pid);
      expect(next).toMatchObject({ mode: 'force_generic_plan', jit: 'off' });
      expect(next.pid).not.toBe(before.pid);
    } finally {
      warn.mockRestore();
    }
  });
});

async function waitUntil(ok: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > until) throw new Error('the pool did not log the lost connection');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitForNewConnection(pool: GenericPlanPool, old: number): Promise<Settings> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    try {
      const s = (await pool.query({ text: settings })).rows[0] as Settings;
      if (s.pid !== old) return s;
    } catch {
      // the ended connection, reported once; the pool discards it
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the pool kept using an ended connection');
}
