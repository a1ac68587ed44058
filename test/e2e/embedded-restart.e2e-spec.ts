import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRoom, http, joinRoom, registerUser } from '../support/http.js';
import { freePort } from '../support/service-process.js';
import { WsTestClient } from '../support/ws-client.js';

// The embedded default, as `npm start` runs it: no DATABASE_URL, data under DATA_DIR.
const dataDir = mkdtempSync(path.join(tmpdir(), 'chat-embedded-'));

async function startService(port: number): Promise<{ proc: ChildProcess; output: () => string }> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.DB_MIGRATIONS_RUN; // the embedded default migrates at start-up
  delete env.NODE_OPTIONS;
  const proc = spawn(process.execPath, ['dist/src/main.js'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`service exited: ${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { proc, output: () => out };
    if (Date.now() > deadline) throw new Error(`service not ready in time: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopService(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

describe('the embedded default keeps everything across a restart', () => {
  let running: ChildProcess | null = null;
  afterAll(async () => {
    if (running) await stopService(running);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('users, rooms, messages and sessions survive; sockets close with 1001 on shutdown', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let svc = await startService(port);
    running = svc.proc;
    const alice = await registerUser(base);
    const bob = await registerUser(base);
    const room = await createRoom(base, alice, { isPrivate: true, password: 'pw-1234' });
    expect((await joinRoom(base, bob, room.id, 'pw-1234')).status).toBe(200);
    for (const content of ['one', 'two', 'three']) {
      const r = await http(base, 'POST', `/api/rooms/${room.id}/messages`, {
        token: alice.accessToken,
        body: { content },
      });
      expect(r.status).toBe(201);
    }
    const ws = await WsTestClient.connect(`ws://127.0.0.1:${port}/ws`, { token: bob.accessToken });
    expect(await stopService(svc.proc)).toBe(0);
    expect(await ws.waitClosed()).toBe(1001);

    svc = await startService(port);
    running = svc.proc;
    // The access token from before the restart still verifies: the generated secret was kept.
    const history = await http(base, 'GET', `/api/rooms/${room.id}/messages`, {
      token: bob.accessToken,
    });
    expect(history.status).toBe(200);
    expect(
      history.body.items.map((m: { seq: number; content: string }) => [m.seq, m.content]),
    ).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);
    const login = await http(base, 'POST', '/api/auth/login', {
      body: { login: alice.email, password: alice.password },
    });
    expect(login.status).toBe(200);
    const refreshed = await http(base, 'POST', '/api/auth/refresh', {
      body: { refreshToken: bob.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(await stopService(svc.proc)).toBe(0);
    running = null;
  }, 120_000);
});
