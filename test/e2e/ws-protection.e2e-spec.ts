// The WebSocket edge protecting itself: bad frames, flooding, oversized frames, dead peers, slow
// readers, and a graceful shutdown. Each scenario runs on an app configured for it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { createRoom, http, joinRoom, registerUser, type TestUser } from '../support/http.js';
import {
  connectWithTicket,
  metricValue,
  queryDb,
  waitForMetric,
  type Frame,
  type WsTestClient,
} from '../support/ws-client.js';

/** Starts an app for one describe block and closes it (and every socket it opened) afterwards. */
function appFor(env: Record<string, string>) {
  const ctx = {
    t: null as unknown as TestApp,
    open: [] as WsTestClient[],
    closed: false,
    async connect(user: TestUser, opts: { autoPong?: boolean } = {}): Promise<WsTestClient> {
      const c = await connectWithTicket(ctx.t, user, opts);
      ctx.open.push(c);
      return c;
    },
  };
  beforeAll(async () => {
    ctx.t = await startTestApp(env);
  });
  afterAll(async () => {
    for (const c of ctx.open) c.terminate();
    if (!ctx.closed) await ctx.t.close();
  });
  return ctx;
}

const isError = (f: Frame) => f.event === 'error';

describe('WebSocket protection', () => {
  describe('bad frames get an error frame and the connection stays open', () => {
    const ctx = appFor({});
    let ws: WsTestClient;
    let roomId: string;

    beforeAll(async () => {
      const alice = await registerUser(ctx.t.baseUrl);
      roomId = (await createRoom(ctx.t.baseUrl, alice)).id;
      ws = await ctx.connect(alice);
    });

    /** Sends one raw frame; answers the error frame it caused, after proving the socket still works. */
    async function errorFor(
      raw: string | Buffer,
      opts: { binary?: boolean } = {},
    ): Promise<Frame['data']> {
      const from = ws.frames.length;
      ws.sendRaw(raw, opts);
      const err = await ws.waitFor(isError, 5000, from);
      expect(typeof err.data.code).toBe('string');
      expect(typeof err.data.message).toBe('string');
      expect(err.data.message.length).toBeGreaterThan(0);
      await ws.roundTrip(); // a ping afterwards still gets its pong
      expect(ws.isOpen).toBe(true);
      return err.data;
    }

    it('not JSON', async () => {
      expect((await errorFor('this is not json {')).code).toBe('BAD_FRAME');
      expect((await errorFor('{"event": "ping", "data": {}')).code).toBe('BAD_FRAME');
      expect((await errorFor('')).code).toBe('BAD_FRAME');
    });

    it('JSON that is not an object: array, null, number, string', async () => {
      for (const raw of ['[{"event":"ping","data":{}}]', 'null', '42', '"ping"']) {
        expect((await errorFor(raw)).code).toBe('BAD_FRAME');
      }
    });

    it('missing or mistyped event', async () => {
      for (const raw of [
        '{"data":{}}',
        '{"event":42,"data":{}}',
        '{"event":"","data":{}}',
        '{"event":null}',
      ]) {
        expect((await errorFor(raw)).code).toBe('BAD_FRAME');
      }
    });

    it('unknown event: UNKNOWN_EVENT with the event as ref', async () => {
      const data = await errorFor(JSON.stringify({ event: 'room.explode', data: { roomId } }));
      expect(data).toMatchObject({ code: 'UNKNOWN_EVENT', ref: 'room.explode' });
      // Names of server-to-client events are not client events either.
      expect(await errorFor(JSON.stringify({ event: 'message.new', data: {} }))).toMatchObject({
        code: 'UNKNOWN_EVENT',
        ref: 'message.new',
      });
    });

    it('data that is not an object: VALIDATION_FAILED', async () => {
      for (const data of ['x', 5, [roomId], null, true]) {
        const err = await errorFor(JSON.stringify({ event: 'room.subscribe', data }));
        expect(err).toMatchObject({ code: 'VALIDATION_FAILED', ref: 'room.subscribe' });
      }
    });

    it('missing fields: VALIDATION_FAILED naming the field', async () => {
      const sub = await errorFor(JSON.stringify({ event: 'room.subscribe', data: {} }));
      expect(sub).toMatchObject({ code: 'VALIDATION_FAILED', ref: 'room.subscribe' });
      expect(sub.message).toContain('roomId');
      const noId = await errorFor(
        JSON.stringify({ event: 'message.send', data: { roomId, content: 'hi' } }),
      );
      expect(noId).toMatchObject({ code: 'VALIDATION_FAILED', ref: 'message.send' });
      expect(noId.message).toContain('clientMsgId');
      const noContent = await errorFor(
        JSON.stringify({ event: 'message.send', data: { roomId, clientMsgId: 'v-1' } }),
      );
      // A send's errors refer to its clientMsgId.
      expect(noContent).toMatchObject({ code: 'VALIDATION_FAILED', ref: 'v-1' });
      expect(noContent.message).toContain('content');
      const typing = await errorFor(JSON.stringify({ event: 'typing', data: {} }));
      expect(typing).toMatchObject({ code: 'VALIDATION_FAILED', ref: 'typing' });
      expect(typing.message).toContain('roomId');
    });

    it('mistyped fields: VALIDATION_FAILED naming the field', async () => {
      const cases: [string, unknown, string][] = [
        ['room.subscribe', { roomId: 'not-a-uuid' }, 'roomId'],
        ['room.subscribe', { roomId, afterSeq: 'abc' }, 'afterSeq'],
        ['room.subscribe', { roomId, afterSeq: -1 }, 'afterSeq'],
        ['room.subscribe', { roomId, afterSeq: 1.5 }, 'afterSeq'],
        ['room.unsubscribe', { roomId: 42 }, 'roomId'],
        ['message.send', { roomId, content: 123, clientMsgId: 'v-2' }, 'content'],
        ['message.send', { roomId, content: 'hi', clientMsgId: 'has spaces!' }, 'clientMsgId'],
        ['message.send', { roomId, content: 'hi', clientMsgId: 7 }, 'clientMsgId'],
        ['message.send', { roomId, content: '   ', clientMsgId: 'v-3' }, 'content'],
        ['message.send', { roomId, content: 'x'.repeat(4001), clientMsgId: 'v-4' }, 'content'],
        ['room.subscribe', { roomId, extra: true }, 'extra'],
      ];
      for (const [event, data, field] of cases) {
        const err = await errorFor(JSON.stringify({ event, data }));
        expect({ event, data, code: err.code }).toEqual({ event, data, code: 'VALIDATION_FAILED' });
        expect(err.message).toContain(field);
      }
      // None of the refused sends was stored.
      expect(await queryDb(`SELECT 1 FROM messages WHERE room_id = $1`, [roomId])).toHaveLength(0);
    });

    it('a binary frame, even one holding valid JSON', async () => {
      expect(
        (await errorFor(Buffer.from(JSON.stringify({ event: 'ping', data: {} })), { binary: true }))
          .code,
      ).toBe('BAD_FRAME');
      expect((await errorFor(Buffer.from([0, 1, 2, 255]), { binary: true })).code).toBe(
        'BAD_FRAME',
      );
    });

    it('after all of that, the connection still works normally', async () => {
      await ws.subscribe(roomId);
      const ack = await ws.sendMessage(roomId, 'still here', 'still-1');
      expect(ack.event).toBe('message.ack');
      await ws.waitForSeq(roomId, ack.data.seq);
      expect(ws.closeCode).toBeNull();
    });
  });

  describe('frame size limit at its default (64 KiB)', () => {
    const ctx = appFor({});

    it('a 60 KB frame is parsed (and refused as invalid); a 70 KB frame closes with 1009', async () => {
      const alice = await registerUser(ctx.t.baseUrl);
      const room = await createRoom(ctx.t.baseUrl, alice);
      const ws = await ctx.connect(alice);
      const under = await ws.sendMessage(room.id, 'x'.repeat(60_000), 'under-limit');
      expect(under.data).toMatchObject({ code: 'VALIDATION_FAILED', ref: 'under-limit' });
      await ws.roundTrip();
      ws.send('message.send', {
        roomId: room.id,
        content: 'x'.repeat(70_000),
        clientMsgId: 'over-limit',
      });
      expect(await ws.waitClosed()).toBe(1009);
      expect(await queryDb(`SELECT 1 FROM messages WHERE room_id = $1`, [room.id])).toHaveLength(0);
    });
  });

  describe('flooding (RATE_LIMIT_WS_PER_SEC=5, RATE_LIMIT_WS_BURST=10)', () => {
    const ctx = appFor({ RATE_LIMIT_WS_PER_SEC: '5', RATE_LIMIT_WS_BURST: '10' });

    it('a short excess is refused with RATE_LIMITED and the connection stays open', async () => {
      const alice = await registerUser(ctx.t.baseUrl);
      const ws = await ctx.connect(alice);
      for (let i = 0; i < 14; i++) ws.send('ping', {});
      const err = await ws.waitFor((f) => f.event === 'error' && f.data.code === 'RATE_LIMITED');
      expect(typeof err.data.message).toBe('string');
      // At most the burst was served.
      await ws.waitUntil(
        () => ws.frames.filter((f) => f.event === 'pong').length >= 10,
        5000,
        () => 'burst not served',
      );
      expect(ws.frames.filter((f) => f.event === 'pong').length).toBeLessThanOrEqual(11);
      // Once tokens refill, it is served again.
      let served = false;
      for (let i = 0; i < 50 && !served; i++) {
        const from = ws.frames.length;
        ws.send('ping', {});
        served = await ws.waitFor('pong', 250, from).then(
          () => true,
          () => false,
        );
      }
      expect(served).toBe(true);
      expect(ws.closeCode).toBeNull();
    });

    it('firing hundreds of frames: an error RATE_LIMITED frame, then close code 1008', async () => {
      const alice = await registerUser(ctx.t.baseUrl);
      const ws = await ctx.connect(alice);
      let fired = 0;
      for (; fired < 300 && ws.isOpen; fired++) ws.send('ping', {});
      expect(await ws.waitClosed()).toBe(1008);
      expect(fired).toBeGreaterThanOrEqual(100);
      const limited = ws.frames.filter(
        (f) => f.event === 'error' && f.data.code === 'RATE_LIMITED',
      );
      expect(limited.length).toBeGreaterThanOrEqual(1);
      // The limit held: at most the burst was served, not hundreds. (Answers to admitted frames
      // that were still in flight when the close began may be dropped.)
      const pongs = ws.frames.filter((f) => f.event === 'pong').length;
      expect(pongs).toBeLessThanOrEqual(12);
    });

    it('the flooder being cut off does not affect another connection of the same user', async () => {
      const alice = await registerUser(ctx.t.baseUrl);
      const calm = await ctx.connect(alice);
      const flooder = await ctx.connect(alice);
      for (let i = 0; i < 200 && flooder.isOpen; i++) flooder.send('ping', {});
      expect(await flooder.waitClosed()).toBe(1008);
      await calm.roundTrip();
      expect(calm.closeCode).toBeNull();
    });
  });

  describe('oversized frames (WS_MAX_PAYLOAD=4096)', () => {
    const ctx = appFor({ WS_MAX_PAYLOAD: '4096' });

    it('a message.send with 10 KB of content closes with 1009 and nothing of it is stored', async () => {
      const alice = await registerUser(ctx.t.baseUrl);
      const room = await createRoom(ctx.t.baseUrl, alice);
      const ws = await ctx.connect(alice);
      await ws.subscribe(room.id);
      // Just under the limit is fine...
      const ok = await ws.sendMessage(room.id, 'y'.repeat(3500), 'fits');
      expect(ok.event).toBe('message.ack');
      // ...over it is not.
      ws.send('message.send', {
        roomId: room.id,
        content: 'x'.repeat(10 * 1024),
        clientMsgId: 'too-big',
      });
      expect(await ws.waitClosed()).toBe(1009);

      const hist = await http(ctx.t.baseUrl, 'GET', `/api/rooms/${room.id}/messages`, {
        token: alice.accessToken,
      });
      expect(hist.status).toBe(200);
      expect(hist.body.items.map((m: { clientMsgId: string }) => m.clientMsgId)).toEqual(['fits']);
      const rows = await queryDb(
        `SELECT 1 FROM messages WHERE user_id = $1 AND client_msg_id = 'too-big'`,
        [alice.id],
      );
      expect(rows).toHaveLength(0);
      const roomNow = await http(ctx.t.baseUrl, 'GET', `/api/rooms/${room.id}`, {
        token: alice.accessToken,
      });
      expect(roomNow.body.lastSeq).toBe(1);
    });
  });

  describe('heartbeat (WS_PING_INTERVAL_MS=200)', () => {
    const ctx = appFor({ WS_PING_INTERVAL_MS: '200' });

    it('a client that does not answer pings is closed after missing two; a normal client stays open', async () => {
      const alice = await registerUser(ctx.t.baseUrl);
      const normal = await ctx.connect(alice);
      const dead = await ctx.connect(alice, { autoPong: false });
      await dead.waitClosed(3000);
      // Closed after two unanswered pings (not at the first one, not after many).
      expect(dead.pings).toBeGreaterThanOrEqual(2);
      expect(dead.pings).toBeLessThanOrEqual(3);
      // The answering client lives on through several more heartbeats.
      const seen = normal.pings;
      await normal.waitUntil(
        () => normal.pings >= seen + 4,
        5000,
        () => `expected more pings, saw ${normal.pings}`,
      );
      expect(normal.closeCode).toBeNull();
      await normal.roundTrip();
    });
  });

  describe('slow reader (WS_MAX_BUFFERED_BYTES=65536)', () => {
    const ctx = appFor({
      WS_MAX_BUFFERED_BYTES: '65536',
      RATE_LIMIT_WS_PER_SEC: '100000',
      RATE_LIMIT_WS_BURST: '100000',
    });

    it('a client that stops reading is disconnected; the server keeps serving the others', async () => {
      const { baseUrl } = ctx.t;
      const owner = await registerUser(baseUrl);
      const slowUser = await registerUser(baseUrl);
      const watcher = await registerUser(baseUrl);
      const room = await createRoom(baseUrl, owner);
      for (const u of [slowUser, watcher])
        expect((await joinRoom(baseUrl, u, room.id)).status).toBe(200);
      const sender = await ctx.connect(owner); // not subscribed
      const slow = await ctx.connect(slowUser);
      const observer = await ctx.connect(watcher);
      await slow.subscribe(room.id);
      await observer.subscribe(room.id);
      const openBefore = await metricValue(baseUrl, 'ws_connections_open');
      expect(openBefore).toBe(3);

      // Stop reading from the TCP socket: the server's send buffer for it can only grow.
      slow.pauseReading();
      // 4,000 four-byte characters: about 16 KB per frame.
      const big = '\u{1F600}'.repeat(4000);
      let sent = 0;
      const slowReaderCut = () =>
        metricValue(baseUrl, 'ws_disconnects_total', '{reason="slow_reader"}');
      while ((await slowReaderCut()) === 0) {
        if (sent >= 3000) throw new Error(`no slow-reader disconnect after ${sent} messages`);
        const acks = await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            sender.sendMessage(room.id, big, `big-${sent + i}`, 20000),
          ),
        );
        expect(acks.every((a) => a.event === 'message.ack')).toBe(true);
        sent += acks.length;
      }
      // The connection is gone on the server side.
      expect(await waitForMetric(baseUrl, 'ws_connections_open', '', (v) => v < openBefore)).toBe(
        openBefore - 1,
      );

      // The others are served as before: every message reached the observer, in order.
      await observer.waitForSeq(room.id, sent, 30000);
      expect(observer.messages(room.id).map((m) => m.seq)).toEqual(
        Array.from({ length: sent }, (_, i) => i + 1),
      );
      await observer.roundTrip();
      const more = await sender.sendMessage(room.id, 'after the cut', 'after-cut');
      await observer.waitForSeq(room.id, more.data.seq);

      // Reading again, the slow client finds its connection closed, having missed messages.
      slow.resumeReading();
      const code = await slow.waitClosed(15000);
      expect([1006, 1008]).toContain(code);
      expect(slow.messages(room.id).length).toBeLessThan(sent);
    });
  });

  describe('a fast reader is not a slow reader (WS_MAX_BUFFERED_BYTES=65536)', () => {
    const ctx = appFor({
      WS_MAX_BUFFERED_BYTES: '65536',
      RATE_LIMIT_WS_PER_SEC: '100000',
      RATE_LIMIT_WS_BURST: '100000',
    });

    it('replaying a backlog far larger than the send-buffer bound paces itself instead of cutting the reader off', async () => {
      const { baseUrl } = ctx.t;
      const owner = await registerUser(baseUrl);
      const reader = await registerUser(baseUrl);
      const room = await createRoom(baseUrl, owner);
      expect((await joinRoom(baseUrl, reader, room.id)).status).toBe(200);
      const sender = await ctx.connect(owner);
      const big = '\u{1F600}'.repeat(4000); // about 16 KB per frame
      // About 6.4 MB: more than loopback socket buffers absorb (4 MB here) plus the bound, so a
      // replay that is not paced per frame overruns the bound and is wrongly cut off.
      const N = 400;
      for (let i = 0; i < N; i += 20) {
        const acks = await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            sender.sendMessage(room.id, big, `backlog-${i + j}`, 20000),
          ),
        );
        expect(acks.every((a) => a.event === 'message.ack')).toBe(true);
      }
      const ws = await ctx.connect(reader);
      await ws.subscribe(room.id, 0);
      await ws.waitForSeq(room.id, N, 20000);
      await ws.roundTrip();
      expect(ws.closeCode).toBeNull();
      expect(ws.messages(room.id).map((m) => m.seq)).toEqual(
        Array.from({ length: N }, (_, i) => i + 1),
      );
      expect(await metricValue(baseUrl, 'ws_disconnects_total', '{reason="slow_reader"}')).toBe(0);
    });
  });

  describe('graceful shutdown', () => {
    const ctx = appFor({});

    it('app.close() closes open sockets with 1001', async () => {
      const alice = await registerUser(ctx.t.baseUrl);
      const room = await createRoom(ctx.t.baseUrl, alice);
      const a = await ctx.connect(alice);
      const b = await ctx.connect(alice);
      await a.subscribe(room.id);
      // The subscription is live (its catch-up read is done) before the app goes down.
      await a.sendMessage(room.id, 'last words', 'last-words');
      await a.waitForMessages(room.id, 1);
      ctx.closed = true;
      await ctx.t.close();
      expect(await a.waitClosed()).toBe(1001);
      expect(await b.waitClosed()).toBe(1001);
    });
  });
});
