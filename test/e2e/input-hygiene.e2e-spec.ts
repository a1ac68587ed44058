// Input that is cheap to send and expensive to handle: JSON nested thousands of levels deep
// (about 10 KB, no token needed). It must be refused as a 400 naming the field, cheaply, over
// HTTP and WebSocket alike, and never reach a recursive transformer or validator (a RangeError
// answered as a 500 with an error-level log line).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/load-config.js';
import { errorText, expectError, http, registerUser, type TestUser } from '../support/http.js';
import { connectWithTicket, type Frame, type WsTestClient } from '../support/ws-client.js';

/** `{"a":{"a":…"x"…}}` or `[[…1…]]`, `depth` levels deep. */
function nested(depth: number, kind: 'object' | 'array'): string {
  return kind === 'object'
    ? '{"a":'.repeat(depth) + '"x"' + '}'.repeat(depth)
    : '['.repeat(depth) + '1' + ']'.repeat(depth);
}

describe('input hygiene', () => {
  let app: INestApplication;
  let baseUrl: string;
  let wsUrl: string;
  const lines: Record<string, unknown>[] = [];
  const open: WsTestClient[] = [];
  let alice: TestUser;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
          lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    app = await createApp({
      config: loadConfig(process.env),
      databaseUrl: process.env.DATABASE_URL!,
      logger: pino({ level: 'info' }, sink),
    });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as { port: number }).port;
    baseUrl = `http://127.0.0.1:${port}`;
    wsUrl = `ws://127.0.0.1:${port}/ws`;
    alice = await registerUser(baseUrl);
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await app.close();
  });

  /** Error-level (pino level 50+) lines written since `from`. */
  const errorLines = (from: number) => lines.slice(from).filter((l) => Number(l.level) >= 50);

  describe('deeply nested JSON', () => {
    it('a 5,000-level body without a token: 400 VALIDATION_FAILED naming the field, quickly', async () => {
      const from = lines.length;
      for (const kind of ['object', 'array'] as const) {
        const rawBody = `{"login":${nested(5000, kind)},"password":"whatever it is"}`;
        expect(rawBody.length).toBeLessThan(60_000);
        const started = Date.now();
        const res = await http(baseUrl, 'POST', '/api/auth/login', { rawBody });
        expect(Date.now() - started).toBeLessThan(2000);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toMatch(/login/);
        expect(errorText(res)).toMatch(/nested/);
      }
      expect(errorLines(from)).toEqual([]);
    });

    it('a nested body that is itself an array, and one in an authenticated route', async () => {
      const from = lines.length;
      const top = await http(baseUrl, 'POST', '/api/auth/register', {
        rawBody: nested(5000, 'array'),
      });
      expectError(top, 400, 'VALIDATION_FAILED');
      const room = await http(baseUrl, 'POST', '/api/rooms', {
        token: alice.accessToken,
        rawBody: `{"name":"deep","isPrivate":false,"description":${nested(5000, 'object')}}`,
      });
      expectError(room, 400, 'VALIDATION_FAILED');
      expect(errorText(room)).toMatch(/description/);
      expect(errorLines(from)).toEqual([]);
    });

    it('nesting up to the limit is judged by the ordinary rules (a type error, not a depth error)', async () => {
      const res = await http(baseUrl, 'POST', '/api/auth/login', {
        rawBody: `{"login":${nested(20, 'object')},"password":"whatever it is"}`,
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toMatch(/login/);
      expect(errorText(res)).not.toMatch(/nested/);
    });

    it('a 5,000-level WebSocket frame: an error frame naming the field; the connection stays usable', async () => {
      const from = lines.length;
      const ws = await connectWithTicket({ baseUrl, wsUrl }, alice);
      open.push(ws);
      for (const raw of [
        `{"event":"message.send","data":{"roomId":"x","clientMsgId":"c1","content":${nested(5000, 'object')}}}`,
        `{"event":"ping","data":{"deep":${nested(5000, 'array')}}}`,
        `{"event":${nested(5000, 'array')}}`,
      ]) {
        const at = ws.frames.length;
        ws.sendRaw(raw);
        const err: Frame = await ws.waitFor((f) => f.event === 'error', 5000, at);
        expect(err.data.code).toBe('VALIDATION_FAILED');
        expect(err.data.message).toMatch(/nested/);
        await ws.roundTrip();
        expect(ws.isOpen).toBe(true);
      }
      const sendErr = ws.frames.find(
        (f) => f.event === 'error' && String(f.data.message).includes('content'),
      );
      expect(sendErr).toBeDefined();
      expect(errorLines(from)).toEqual([]);
    });
  });
});
