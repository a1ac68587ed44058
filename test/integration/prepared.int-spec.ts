import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { queryGenericPlan } from '../../src/infrastructure/database/prepared.js';
import { createScratchDatabase } from '../support/db.js';

/** queryGenericPlan on a real pool of one connection: what it sets holds for its statement only. */
describe('queryGenericPlan', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
    pool.on('error', () => undefined); // the backend the last test ends
  });
  afterAll(async () => {
    await pool.end();
    await scratch.drop();
  });

  const settings = `SELECT current_setting('plan_cache_mode') AS mode, current_setting('jit') AS jit,
                           pg_backend_pid() AS pid`;
  type Settings = { mode: string; jit: string; pid: number };

  it('runs the statement on a generic plan without JIT, then leaves the connection as it was', async () => {
    const before = (await pool.query<Settings>(settings)).rows[0];
    const [during] = await queryGenericPlan<Settings>(pool, 's1', settings, []);
    const after = (await pool.query<Settings>(settings)).rows[0];
    expect(during).toMatchObject({ mode: 'force_generic_plan', jit: 'off', pid: before.pid });
    expect(after).toEqual(before);
    expect(after.mode).toBe('auto');
  });

  it('a statement that fails leaves the connection as it was too, and the error reaches the caller', async () => {
    const before = (await pool.query<Settings>(settings)).rows[0];
    await expect(queryGenericPlan(pool, 's2', 'SELECT 1 / $1::int', [0])).rejects.toThrow(
      /division by zero/,
    );
    expect((await pool.query<Settings>(settings)).rows[0]).toEqual(before);
  });

  it('a connection whose reset fails is not returned to the pool', async () => {
    const before = (await pool.query<Settings>(settings)).rows[0];
    // The statement ends its own backend: the reset after it cannot run on that connection.
    await expect(
      queryGenericPlan(pool, 's3', 'SELECT pg_terminate_backend(pg_backend_pid())', []),
    ).rejects.toThrow();
    const next = (await pool.query<Settings>(settings)).rows[0];
    expect(next.pid).not.toBe(before.pid);
    expect(next.mode).toBe('auto');
  });
});
