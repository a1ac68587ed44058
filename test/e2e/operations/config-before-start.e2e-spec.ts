import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAIN_JS } from '../../support/service-process.js';

// A bad configuration must stop the service before anything starts: no embedded PostgreSQL is
// initialised or started (a failed start must not touch a data directory another instance may
// own), and the operator reads one line naming the variable, not a stack.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  dataDir: string;
}

/** `node dist/src/main.js` as `npm start` runs it (embedded database, fresh DATA_DIR). */
function start(env: Record<string, string>): Promise<Run> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chat-config-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: dataDir, // no developer .env is picked up
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, dataDir }));
  });
}

describe('configuration is validated before anything starts', () => {
  it('production without JWT_SECRET: exit 78, one line naming it, no database started', async () => {
    const run = await start({ NODE_ENV: 'production' });
    expect(run.code).toBe(78);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/JWT_SECRET/);
    expect(lines[0]).not.toMatch(/^\s+at /);
    expect(run.stdout).not.toMatch(/embedded PostgreSQL/);
    expect(existsSync(path.join(run.dataDir, 'postgres'))).toBe(false);
    expect(readdirSync(run.dataDir)).toEqual([]);
  }, 60_000);

  it("a module's own setting is validated up front too (flag on), all bad ones in one line", async () => {
    const run = await start({
      FEATURE_ADVANCED_ADMIN: 'true',
      ADMIN_SWEEP_INTERVAL_MS: 'soon',
      WS_MAX_PAYLOAD: '12',
    });
    expect(run.code).toBe(78);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ADMIN_SWEEP_INTERVAL_MS/);
    expect(lines[0]).toMatch(/WS_MAX_PAYLOAD/);
    expect(existsSync(path.join(run.dataDir, 'postgres'))).toBe(false);
  }, 60_000);
});
