// What an operator sees of the WebSocket edge: every connect, refusal and close logged at info
// (or debug) with its reason, a client's bad frame never an error-level line with a stack, and
// ws_disconnects_total / ws_upgrades_refused_total counting every reason.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ChatMetrics } from '../../src/infrastructure/metrics/chat-metrics.js';
import { http, registerUser, type TestUser } from '../support/http.js';
import { waitFor } from '../support/wait.js';
import {
  connectWithTicket,
  metricValue,
  WsTestClient,
  type WsTestClient as Client,
} from '../support/ws-client.js';

type Line = Record<string, unknown>;

describe('WebSocket observability', () => {
  let app: INestApplication;
  let baseUrl: string;
  let wsUrl: string;
  const lines: Line[] = [];
  let alice: TestUser;
  const open: Client[] = [];

  beforeAll(async () => {
    const env: Record<string, string> = {
      WS_MAX_PAYLOAD: '4096',
      RATE_LIMIT_WS_PER_SEC: '5',
      RATE_LIMIT_WS_BURST: '10',
      ALLOWED_ORIGINS: 'https://app.example',
    };
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
          lines.push(JSON.parse(l) as Line);
        cb();
      },
    });
    app = await createApp({
      config: loadConfig({ ...process.env, ...env }),
      databaseUrl: process.env.DATABASE_URL!,
      logger: pino({ level: 'debug' }, sink),
    });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as { port: number }).port;
    baseUrl = `http://127.0.0.1:${port}`;
    wsUrl = `ws://127.0.0.1:${port}/ws`;
    alice = await registerUser(baseUrl);
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await app?.close();
  });

  const connect = async (user: TestUser = alice): Promise<Client> => {
    const c = await connectWithTicket({ baseUrl, wsUrl }, user);
    open.push(c);
    return c;
  };
  const disconnects = (reason: string) =>
    metricValue(baseUrl, 'ws_disconnects_total', `{reason="${reason}"}`);
  const closeLine = (reason: string, from: number) =>
    lines.slice(from).find((l) => l.msg === 'ws connection closed' && l.reason === reason);
  /** Error-level lines (pino 50+) since `from`. */
  const errors = (from: number) => lines.slice(from).filter((l) => Number(l.level) >= 50);

  /** Runs `act`, then waits until the close with `reason` is counted and logged at info. */
  async function expectClose(reason: string, code: number, act: () => Promise<void>) {
    const before = await disconnects(reason);
    const from = lines.length;
    await act();
    await waitFor(async () => (await disconnects(reason)) === before + 1, `${reason} counted`);
    const line = await waitFor(() => closeLine(reason, from), `${reason} logged`);
    expect(line).toMatchObject({ level: 30, code, userId: alice.id });
    expect(errors(from)).toEqual([]);
  }

  it('a connect is logged at info with the user and connection id', async () => {
    const from = lines.length;
    await connect();
    const line = await waitFor(
      () => lines.slice(from).find((l) => l.msg === 'ws connection opened'),
      'open logged',
    );
    expect(line).toMatchObject({ level: 30, userId: alice.id });
    expect(typeof line.connId).toBe('string');
  });

  it('a client closing (a close frame without a code: 1005): client_close', async () => {
    const c = await connect();
    await expectClose('client_close', 1005, async () => {
      c.close();
      await c.waitClosed();
    });
  });

  it('an oversized frame: too_big (1009), and no error-level line or stack', async () => {
    const c = await connect();
    const from = lines.length;
    await expectClose('too_big', 1009, async () => {
      c.sendRaw(JSON.stringify({ event: 'ping', data: { pad: 'x'.repeat(10_000) } }));
      expect(await c.waitClosed()).toBe(1009);
    });
    expect(lines.slice(from).some((l) => JSON.stringify(l).includes('RangeError'))).toBe(false);
  });

  it('a text frame that is not UTF-8: invalid_utf8 (1007)', async () => {
    const c = await connect();
    await expectClose('invalid_utf8', 1007, async () => {
      c.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      expect(await c.waitClosed()).toBe(1007);
    });
  });

  it('flooding: rate_limited (1008)', async () => {
    const c = await connect();
    await expectClose('rate_limited', 1008, async () => {
      for (let i = 0; i < 300 && c.isOpen; i++) c.send('ping', {});
      expect(await c.waitClosed()).toBe(1008);
    });
  });

  it('a logout: session_ended (4401)', async () => {
    const bob = await registerUser(baseUrl);
    const c = await connect(bob);
    const before = await disconnects('session_ended');
    await http(baseUrl, 'POST', '/api/auth/logout', {
      token: bob.accessToken,
      body: { refreshToken: bob.refreshToken },
    });
    expect(await c.waitClosed()).toBe(4401);
    await waitFor(async () => (await disconnects('session_ended')) === before + 1, 'counted');
  });

  it('refused upgrades are counted by code and logged at info', async () => {
    const from = lines.length;
    const before = await metricValue(
      baseUrl,
      'ws_upgrades_refused_total',
      '{reason="auth_required"}',
    );
    expect(await WsTestClient.upgradeStatus(wsUrl)).toBe(401);
    expect(
      await WsTestClient.upgradeStatus(wsUrl, {
        origin: 'https://evil.example',
        token: alice.accessToken,
      }),
    ).toBe(403);
    expect(
      await metricValue(baseUrl, 'ws_upgrades_refused_total', '{reason="auth_required"}'),
    ).toBe(before + 1);
    expect(
      await metricValue(baseUrl, 'ws_upgrades_refused_total', '{reason="origin_not_allowed"}'),
    ).toBeGreaterThanOrEqual(1);
    const refusals = lines.slice(from).filter((l) => l.msg === 'ws upgrade refused');
    expect(refusals.map((l) => [l.level, l.code])).toEqual([
      [30, 'AUTH_REQUIRED'],
      [30, 'ORIGIN_NOT_ALLOWED'],
    ]);
  });

  it('shutdown: every open connection counted as shutdown (1001)', async () => {
    const c = await connect();
    const metrics = app.get(ChatMetrics);
    const count = async () =>
      (await metrics.wsDisconnects.get()).values.find((v) => v.labels.reason === 'shutdown')
        ?.value ?? 0;
    const before = await count();
    // Every connection still open (this one and any an earlier test left open) must be closed
    // with 1001 and counted once; wait for each client to see its close before comparing.
    const live = open.filter((o) => o.isOpen);
    expect(live).toContain(c);
    await app.close();
    const codes = await Promise.all(live.map((o) => o.waitClosed()));
    expect(codes).toEqual(live.map(() => 1001));
    expect(await count()).toBe(before + live.length);
    app = undefined as unknown as INestApplication;
  });
});
