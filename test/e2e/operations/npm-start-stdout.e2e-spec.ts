import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, REPO_ROOT } from '../../support/service-process.js';

// `npm start` as an operator runs it, piped into a log collector: every line on stdout must be
// JSON (npm's script banners and the build's output go to stderr), from the build until ready.
// It runs in a copy of the sources so its build never rewrites the dist/ other tests are using.

const work = mkdtempSync(path.join(tmpdir(), 'chat-npm-start-'));
// Traversable: run as root, the embedded PostgreSQL runs as the `postgres` user.
chmodSync(work, 0o755);
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe('npm start', () => {
  it('writes only JSON lines on stdout, from the build until the service is ready', async () => {
    for (const f of [
      'package.json',
      '.npmrc',
      'tsconfig.json',
      'tsconfig.build.json',
      'src',
      'migrations',
      'packages',
      'web',
    ])
      if (existsSync(path.join(REPO_ROOT, f)))
        cpSync(path.join(REPO_ROOT, f), path.join(work, f), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
    const port = await freePort();
    const proc = spawn('npm', ['start'], {
      cwd: work,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        DATA_DIR: path.join(work, 'data'), // fresh: the embedded PostgreSQL is initialised
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: npm, the shell and the service stop together
    });
    child = proc;
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));

    const notJson: string[] = [];
    let ready = false;
    for await (const line of createInterface({ input: proc.stdout })) {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        notJson.push(line);
        continue;
      }
      if ((entry as { msg?: string }).msg === 'chat backend listening') {
        ready = true;
        break;
      }
    }
    if (!ready) throw new Error(`npm start ended before ready; stderr:\n${stderr.slice(-4000)}`);
    expect(notJson).toEqual([]);

    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    process.kill(-proc.pid!, 'SIGTERM');
    await exited; // a graceful stop: the service closes and stops its embedded PostgreSQL
  }, 300_000);
});
