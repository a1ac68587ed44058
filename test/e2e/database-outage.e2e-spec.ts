import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from '../../src/infrastructure/database/embedded-postgres.js';
import { registerUser } from '../support/http.js';
import {
  freePort,
  newJwtSecret,
  startService,
  stopAll,
  withServiceLogs,
  type ServiceProcess,
} from '../support/service-process.js';
import { waitFor } from '../support/wait.js';

// The database goes away under a running instance (a PostgreSQL of its own here, so the run's
// shared server is not touched) and comes back: the instance says so in its log, once per
// transition, reports not ready meanwhile, and serves again without a restart.

const dir = mkdtempSync(path.join(tmpdir(), 'chat-outage-pg-'));

async function readyStatus(svc: ServiceProcess): Promise<number> {
  const res = await fetch(`${svc.baseUrl}/health/ready`, { signal: AbortSignal.timeout(5000) });
  return res.status;
}

describe('losing the database under a running instance', () => {
  let db: EmbeddedPostgresHandle | undefined;
  let svc: ServiceProcess | undefined;
  afterAll(async () => {
    await stopAll([svc]);
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'is logged, turns readiness 503, answers requests 503 meanwhile, and is recovered from when the database returns',
    withServiceLogs(
      () => [svc],
      async () => {
        const pgPort = await freePort();
        db = await startEmbeddedPostgres(path.join(dir, 'data'), { port: pgPort, role: 'test' });
        svc = await startService({
          name: 'outage',
          brokers: '',
          topic: '',
          jwtSecret: newJwtSecret(),
          databaseUrl: db.url,
          env: {
            KAFKA_BROKERS: undefined,
            KAFKA_TOPIC: undefined,
            DB_MIGRATIONS_RUN: 'true',
            LOG_LEVEL: 'info',
          },
          readyTimeoutMs: 90_000,
        });
        const user = await registerUser(svc.baseUrl);
        // A search first, so the generic-plan pool holds a connection the outage will end.
        const search = () =>
          fetch(`${svc!.baseUrl}/api/search/messages?q=hello`, {
            headers: { authorization: `Bearer ${user.accessToken}` },
          });
        expect((await search()).status).toBe(200);

        await db.stop(); // fast shutdown: every connection is closed
        svc.note('database stopped');
        await waitFor(async () => (await readyStatus(svc!)) === 503, 'readiness to turn 503', {
          timeoutMs: 20_000,
          intervalMs: 200,
        });
        const lost = await waitFor(
          () => svc!.lines('database unreachable')[0],
          'a log line about the lost database',
          { timeoutMs: 20_000 },
        );
        expect(JSON.parse(lost)).toMatchObject({ level: 'error', context: 'Database' });
        expect(lost).not.toContain('embedded@'); // no connection string (password) in the log

        // Requests that need the database meanwhile: 503 UNAVAILABLE with a Retry-After, never
        // a 500 (the request was fine; a retry will do), on TypeORM's pool and the search one.
        const login = await fetch(`${svc.baseUrl}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ login: user.username, password: user.password }),
        });
        for (const res of [login, await search()]) {
          expect(res.status).toBe(503);
          expect(res.headers.get('retry-after')).toBe('1');
          expect(await res.json()).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE' });
        }
        expect(svc.lines('unhandled error')).toEqual([]);

        db = await startEmbeddedPostgres(path.join(dir, 'data'), { port: pgPort, role: 'test' });
        svc.note('database started again');
        await waitFor(async () => (await readyStatus(svc!)) === 200, 'readiness to be 200 again', {
          timeoutMs: 30_000,
          intervalMs: 200,
        });
        await waitFor(
          () => svc!.lines('database reachable again').length > 0,
          'a log line about the recovery',
        );
        // One line per transition, however many probes failed meanwhile.
        expect(svc.lines('database unreachable')).toHaveLength(1);
        expect(svc.lines('database reachable again')).toHaveLength(1);
        await registerUser(svc.baseUrl); // the pool serves again
        expect((await search()).status).toBe(200); // and so does the search pool
      },
    ),
    180_000,
  );
});
