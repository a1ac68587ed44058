import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT } from '../support/service-process.js';

// Started as root, the embedded PostgreSQL runs as the `postgres` user. From a folder that user
// cannot traverse (a clone in root's 0700 home folder), the start must stop with one line that
// says why and what to do, not a `spawn … initdb EACCES` stack.
const asRoot = process.getuid?.() === 0;
const made: string[] = [];

/** A 0700 folder of root's (mkdtemp creates them so), like /root. */
function lockedDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'chat-locked-'));
  made.push(dir);
  return dir;
}

async function runMain(
  cwd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; ms: number }> {
  const fullEnv: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    ...env,
  };
  delete fullEnv.DATABASE_URL;
  delete fullEnv.NODE_OPTIONS;
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd,
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  clearTimeout(timer);
  return { code, output, ms: Date.now() - started };
}

function expectOneClearLine(output: string, blocked: string): void {
  const lines = output.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`cannot traverse ${blocked}`);
  expect(lines[0]).toContain('postgres');
  expect(lines[0]).toContain(`chmod o+x ${blocked}`);
  expect(output).not.toMatch(/^\s+at /m); // no stack trace
}

(asRoot ? describe : describe.skip)(
  'embedded PostgreSQL as root, from a folder postgres cannot traverse',
  () => {
    afterAll(() => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });

    it('DATA_DIR under a 0700 folder: exits 77 with one line naming the folder', async () => {
      const locked = lockedDir();
      const dataDir = path.join(locked, 'data');
      const run = await runMain(REPO_ROOT, ['dist/src/main.js'], { DATA_DIR: dataDir });
      expect(run).toMatchObject({ code: 77 }); // shows the output when it fails
      expectOneClearLine(run.output, locked);
    }, 90_000);

    it('a checkout under a 0700 folder (the binaries out of reach): exits 77 with one line', async () => {
      const locked = lockedDir();
      const checkout = path.join(locked, 'chat-backend');
      mkdirSync(checkout);
      cpSync(path.join(REPO_ROOT, 'dist'), path.join(checkout, 'dist'), { recursive: true });
      cpSync(path.join(REPO_ROOT, 'package.json'), path.join(checkout, 'package.json'));
      // node_modules by a link, kept unresolved so the binaries' paths lie under the 0700 folder
      // as in a real clone there.
      symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
      const dataDir = mkdtempSync(path.join(tmpdir(), 'chat-open-'));
      made.push(dataDir);
      rmSync(dataDir, { recursive: true });
      const run = await runMain(
        checkout,
        ['--preserve-symlinks', '--preserve-symlinks-main', 'dist/src/main.js'],
        { DATA_DIR: dataDir },
      );
      expect(run).toMatchObject({ code: 77 });
      expectOneClearLine(run.output, locked);
    }, 90_000);
  },
);
