import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { http, registerUser } from '../support/http.js';
import {
  freePort,
  MAIN_JS,
  REPO_ROOT,
  ServiceProcess,
  stopAll,
  withServiceLogs,
} from '../support/service-process.js';
import { waitFor } from '../support/wait.js';

// One embedded PostgreSQL per DATA_DIR, owned by one process: another process on the same
// directory (a second `npm start`, `npm run migration:run`) never stops the owner's server; a
// second start is refused naming the owner; only a server whose owner is dead is cleaned up.

const made: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** `node <script>` from REPO_ROOT's dist with the embedded default (no DATABASE_URL). */
function spawnNode(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  port = 0,
): ServiceProcess {
  const full: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    PORT: String(port),
    // The run's module flags (the e2e-all-modules project turns every module on).
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FEATURE_'))),
    ...env,
  };
  // Its own working directory: no developer .env is picked up.
  const cwd = tempDir(`chat-${name}-cwd-`);
  const child = spawn(process.execPath, [script, ...args], {
    cwd,
    env: full,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ServiceProcess(name, port, child, cwd);
}

async function startInstance(name: string, dataDir: string): Promise<ServiceProcess> {
  const port = await freePort();
  const svc = spawnNode(name, MAIN_JS, [], { DATA_DIR: dataDir }, port);
  await svc.waitReady(90_000);
  return svc;
}

/** A request that needs the database: a registration (and the login it allows). */
async function expectDatabaseServes(svc: ServiceProcess): Promise<void> {
  const user = await registerUser(svc.baseUrl);
  const login = await http(svc.baseUrl, 'POST', '/api/auth/login', {
    body: { login: user.email, password: user.password },
  });
  expect(login.status).toBe(200);
  const ready = await fetch(`${svc.baseUrl}/health/ready`);
  expect(ready.status).toBe(200);
}

const postmasterPid = (dataDir: string): number =>
  Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a data directory has one owner', () => {
  const procs: ServiceProcess[] = [];
  const track = (p: ServiceProcess) => (procs.push(p), p);
  afterEach(async () => {
    await stopAll(procs.splice(0));
  });
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it(
    'a second npm start on the same DATA_DIR exits at once naming the first; the first keeps serving',
    withServiceLogs(
      () => procs,
      async () => {
        const dataDir = tempDir('chat-owned-');
        const a = track(await startInstance('a', dataDir));
        const pmBefore = postmasterPid(dataDir);

        const b = track(spawnNode('b', MAIN_JS, [], { DATA_DIR: dataDir }, await freePort()));
        const started = Date.now();
        const status = await Promise.race([
          b.exited,
          new Promise<null>((r) => setTimeout(() => r(null), 45_000).unref()),
        ]);
        expect(status).not.toBeNull(); // B did not keep running
        expect(status!.code).toBe(75);
        expect(Date.now() - started).toBeLessThan(45_000);
        const out = b.output();
        expect(out).toContain(`pid ${a.pid}`);
        expect(out).toContain(`HTTP port ${a.port}`);
        expect(out).not.toMatch(/^\s+at /m); // one line, no stack
        // B started no server of its own and did not touch A's.
        expect(postmasterPid(dataDir)).toBe(pmBefore);
        expect(alive(pmBefore)).toBe(true);
        await expectDatabaseServes(a);
      },
    ),
    180_000,
  );

  it(
    'migration:run and the CLI attach to the running server; the instance is unaffected',
    withServiceLogs(
      () => procs,
      async () => {
        const dataDir = tempDir('chat-owned-');
        const a = track(await startInstance('a', dataDir));
        const pmBefore = postmasterPid(dataDir);

        const migrate = track(
          spawnNode('migrate', path.join(REPO_ROOT, 'dist/src/cli/migrate.js'), ['run'], {
            DATA_DIR: dataDir,
          }),
        );
        expect(await migrate.exited).toEqual({ code: 0, signal: null });
        expect(migrate.output()).toContain('nothing to apply');

        const cli = track(
          spawnNode('cli', path.join(REPO_ROOT, 'dist/src/cli/cli.js'), ['grant-admin', 'nobody'], {
            DATA_DIR: dataDir,
            FEATURE_USER_ROLES: 'true',
          }),
        );
        expect((await cli.exited).code).toBe(1);
        expect(cli.output()).toContain('no user named nobody'); // it reached the database

        expect(postmasterPid(dataDir)).toBe(pmBefore);
        await expectDatabaseServes(a);
      },
    ),
    180_000,
  );

  it(
    'after the owner is killed (SIGKILL), the next start stops the orphaned server and starts',
    withServiceLogs(
      () => procs,
      async () => {
        const dataDir = tempDir('chat-owned-');
        const a = track(await startInstance('a', dataDir));
        const orphan = postmasterPid(dataDir);
        await a.kill();
        expect(alive(orphan)).toBe(true); // SIGKILL leaves the postmaster behind

        const c = track(await startInstance('c', dataDir));
        expect(alive(orphan)).toBe(false);
        const line = c.lines('orphaned embedded PostgreSQL')[0];
        expect(line).toBeDefined();
        expect(JSON.parse(line)).toMatchObject({
          level: 'warn',
          postmasterPid: orphan,
          deadOwner: { pid: a.pid },
        });
        await expectDatabaseServes(c);
        // The owner record is C's, and a clean stop removes it.
        const owner = path.join(dataDir, 'postgres.owner.json');
        expect(JSON.parse(readFileSync(owner, 'utf8'))).toMatchObject({ pid: c.pid });
        expect(await c.stop()).toEqual({ code: 0, signal: null });
        await waitFor(() => !existsSync(owner), 'the owner record to be removed');
      },
    ),
    180_000,
  );
});
