import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// A few seconds of the benchmark harness (npm run bench --quick, one scenario): it must still
// start our server and both baselines, drive real clients and write its table, JSON and chart.
// It asserts that the harness works, not how fast anything is.
const out = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));

describe('benchmark harness smoke run', () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs the latency scenario against ours, bare ws and Socket.IO', async () => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      BENCH_PG_URL: process.env.TEST_DB_SERVER_URL,
    };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['bench/run.mjs', '--quick', 'latency', '--out', out], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`bench exited ${code}:\n${log.slice(-4000)}`);

    const result = JSON.parse(readFileSync(path.join(out, 'latency.json'), 'utf8')) as {
      rows: { impl: string; metric: string; value: number }[];
    };
    const impls = new Set(result.rows.map((r) => r.impl));
    expect([...impls].sort()).toEqual(expect.arrayContaining(['ours', 'socketio', 'ws']));
    const p99 = result.rows.find((r) => r.impl === 'ours' && r.metric === 'p99');
    expect(p99?.value).toBeGreaterThan(0);
    expect(existsSync(path.join(out, 'latency.svg'))).toBe(true);
    expect(log).toMatch(/\| latency +\| ours/);
  }, 120_000);
});
