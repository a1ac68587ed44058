// The WebSocket protocol's client events and the server events they cause, against the real app.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app.js';
import { createRoom, http, joinRoom, registerUser, type TestUser } from '../support/http.js';
import { connectWithTicket, queryDb, type Frame, type WsTestClient } from '../support/ws-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('WebSocket messaging', () => {
  let t: TestApp;
  const open: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

  async function connect(user: TestUser): Promise<WsTestClient> {
    const c = await connectWithTicket(t, user);
    open.push(c);
    return c;
  }

  /** An owner, `n` more members, a room they all joined, and a subscribed socket for each. */
  async function roomWithSubscribers(n: number, opts: { isPrivate?: boolean } = {}) {
    const owner = await registerUser(t.baseUrl);
    const room = await createRoom(
      t.baseUrl,
      owner,
      opts.isPrivate ? { isPrivate: true, password: 'pass-word' } : {},
    );
    const users = [owner];
    for (let i = 0; i < n; i++) {
      const u = await registerUser(t.baseUrl);
      expect(
        (await joinRoom(t.baseUrl, u, room.id, opts.isPrivate ? 'pass-word' : undefined)).status,
      ).toBe(200);
      users.push(u);
    }
    const sockets = await Promise.all(users.map((u) => connect(u)));
    for (const s of sockets) await s.subscribe(room.id);
    return { room, users, sockets };
  }

  const errorFor = (ref: string) => (f: Frame) => f.event === 'error' && f.data?.ref === ref;

  describe('room.subscribe', () => {
    it('answers room.subscribed {roomId, lastSeq}', async () => {
      const alice = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, alice);
      for (let i = 1; i <= 3; i++) {
        const r = await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/messages`, {
          token: alice.accessToken,
          body: { content: `m${i}` },
        });
        expect(r.status).toBe(201);
      }
      const ws = await connect(alice);
      const f = await ws.subscribe(room.id);
      expect(f).toEqual({
        event: 'room.subscribed',
        data: { roomId: room.id, lastSeq: 3, lastEventSeq: expect.any(Number) },
      });
      // Without afterSeq, nothing older is replayed: only live messages follow.
      await ws.roundTrip();
      expect(ws.messages(room.id)).toEqual([]);
    });

    it('a non-member of a public room gets an error frame NOT_ROOM_MEMBER with ref', async () => {
      const owner = await registerUser(t.baseUrl);
      const stranger = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner);
      const ws = await connect(stranger);
      ws.send('room.subscribe', { roomId: room.id });
      const err = await ws.waitFor(errorFor('room.subscribe'));
      expect(err.data).toMatchObject({ code: 'NOT_ROOM_MEMBER', ref: 'room.subscribe' });
      expect(typeof err.data.message).toBe('string');
      // Not subscribed: the owner's messages do not reach the stranger, and the socket stays usable.
      const ownerWs = await connect(owner);
      await ownerWs.subscribe(room.id);
      await ownerWs.sendMessage(room.id, 'members only', 'c-members-only');
      await ownerWs.waitForMessages(room.id, 1);
      await ws.roundTrip();
      expect(ws.messages(room.id)).toEqual([]);
    });

    it('a non-member of a private room (or an unknown room) gets ROOM_NOT_FOUND with ref', async () => {
      const owner = await registerUser(t.baseUrl);
      const stranger = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner, { isPrivate: true, password: 'secret-pw' });
      const ws = await connect(stranger);
      ws.send('room.subscribe', { roomId: room.id });
      expect((await ws.waitFor(errorFor('room.subscribe'))).data).toMatchObject({
        code: 'ROOM_NOT_FOUND',
        ref: 'room.subscribe',
      });
      const from = ws.frames.length;
      ws.send('room.subscribe', { roomId: randomUUID() });
      expect((await ws.waitFor(errorFor('room.subscribe'), 5000, from)).data).toMatchObject({
        code: 'ROOM_NOT_FOUND',
      });
    });
  });

  describe('message.send', () => {
    it('acks {clientMsgId, id, seq, createdAt}; message.new reaches every subscriber, the sender too, in seq order', async () => {
      const { room, users, sockets } = await roomWithSubscribers(2);
      const [a, b] = sockets;
      const ack1 = await a.sendMessage(room.id, 'hello', 'a-1');
      expect(ack1.event).toBe('message.ack');
      expect(Object.keys(ack1.data).sort()).toEqual(['clientMsgId', 'createdAt', 'id', 'seq']);
      expect(ack1.data).toMatchObject({ clientMsgId: 'a-1', seq: 1 });
      expect(ack1.data.id).toMatch(UUID);
      expect(ack1.data.createdAt).toMatch(ISO);
      const ack2 = await b.sendMessage(room.id, 'hi there', 'b-1');
      expect(ack2.data).toMatchObject({ clientMsgId: 'b-1', seq: 2 });
      const ack3 = await a.sendMessage(room.id, 'how are you', 'a-2');
      expect(ack3.data.seq).toBe(3);

      for (const s of sockets) {
        const msgs = await s.waitForMessages(room.id, 3);
        expect(msgs.map((m) => m.seq)).toEqual([1, 2, 3]);
        expect(msgs[0]).toEqual({
          id: ack1.data.id,
          roomId: room.id,
          seq: 1,
          userId: users[0].id,
          username: users[0].username,
          content: 'hello',
          type: 'text',
          clientMsgId: 'a-1',
          createdAt: ack1.data.createdAt,
          sentBy: null,
          deletedAt: null,
          deleted: false,
          editedAt: null,
          threadRootId: null,
          thread: null,
          mentions: [],
          reactions: [],
          attachments: [],
          eventSeq: expect.any(Number),
        });
        expect(msgs[1]).toMatchObject({
          id: ack2.data.id,
          userId: users[1].id,
          content: 'hi there',
          clientMsgId: 'b-1',
        });
      }
      // The sender hears the ack first, then its own message.new ("once stored; then ... the sender too").
      const ackIdx = a.frames.findIndex(
        (f) => f.event === 'message.ack' && f.data.id === ack1.data.id,
      );
      const newIdx = a.frames.findIndex(
        (f) => f.event === 'message.new' && f.data.id === ack1.data.id,
      );
      expect(ackIdx).toBeGreaterThanOrEqual(0);
      expect(newIdx).toBeGreaterThan(ackIdx);
      // What was delivered is what was stored.
      const hist = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages`, {
        token: users[2].accessToken,
      });
      // (Live, each is the message.new room event: the Message plus its eventSeq.)
      const delivered = sockets[2].messages(room.id).map((m) => {
        const copy: Record<string, unknown> = { ...m };
        delete copy.eventSeq;
        return copy;
      });
      expect(hist.body.items).toEqual(delivered);
    });

    it('the same clientMsgId twice stores one message and acks the same data both times', async () => {
      const { room, users, sockets } = await roomWithSubscribers(1);
      const [a, b] = sockets;
      const first = await a.sendMessage(room.id, 'once', 'dup-1');
      const second = await a.sendMessage(room.id, 'once', 'dup-1');
      expect(first.event).toBe('message.ack');
      expect(second).toEqual(first);
      // Concurrent duplicates too.
      a.send('message.send', { roomId: room.id, content: 'twice at once', clientMsgId: 'dup-2' });
      a.send('message.send', { roomId: room.id, content: 'twice at once', clientMsgId: 'dup-2' });
      await a.waitUntil(
        () =>
          a.frames.filter((f) => f.event === 'message.ack' && f.data.clientMsgId === 'dup-2')
            .length === 2,
        5000,
        () => `two acks for dup-2 expected: ${JSON.stringify(a.frames.slice(-4))}`,
      );
      const acks = a.frames.filter(
        (f) => f.event === 'message.ack' && f.data.clientMsgId === 'dup-2',
      );
      expect(acks[1].data).toEqual(acks[0].data);
      expect(acks[0].data.seq).toBe(2);
      // A later, different message gets the next seq: no seq was burnt by the duplicates.
      expect((await a.sendMessage(room.id, 'next', 'dup-3')).data.seq).toBe(3);
      await b.waitForSeq(room.id, 3);
      await b.roundTrip();
      expect(b.messages(room.id).map((m) => m.seq)).toEqual([1, 2, 3]);
      const rows = await queryDb<{ n: string }>(
        `SELECT count(*) AS n FROM messages WHERE room_id = $1`,
        [room.id],
      );
      expect(Number(rows[0].n)).toBe(3);
      const room2 = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}`, {
        token: users[0].accessToken,
      });
      expect(room2.body.lastSeq).toBe(3);
    });

    it('a non-member cannot send: error frame with the clientMsgId as ref, nothing stored', async () => {
      const owner = await registerUser(t.baseUrl);
      const stranger = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner);
      const ws = await connect(stranger);
      const res = await ws.sendMessage(room.id, 'let me in', 'intruder-1');
      expect(res.event).toBe('error');
      expect(res.data).toMatchObject({ code: 'NOT_ROOM_MEMBER', ref: 'intruder-1' });
      const rows = await queryDb(`SELECT 1 FROM messages WHERE room_id = $1`, [room.id]);
      expect(rows).toHaveLength(0);
    });

    it('a message sent over REST reaches WebSocket subscribers', async () => {
      const { room, users, sockets } = await roomWithSubscribers(1);
      const res = await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/messages`, {
        token: users[1].accessToken,
        body: { content: 'from REST', clientMsgId: 'rest-1' },
      });
      expect(res.status).toBe(201);
      for (const s of sockets) {
        const [m] = await s.waitForMessages(room.id, 1);
        // The live frame is the message.new room event: the Message plus its eventSeq.
        expect(m).toEqual({ ...res.body, eventSeq: expect.any(Number) });
      }
    });
  });

  describe('typing', () => {
    it('reaches the other subscribers, not the sender', async () => {
      const { room, users, sockets } = await roomWithSubscribers(2);
      const [a, b, c] = sockets;
      const from = a.frames.length;
      a.send('typing', { roomId: room.id });
      for (const other of [b, c]) {
        const f = await other.waitFor('typing');
        expect(f.data).toMatchObject({ roomId: room.id, userId: users[0].id });
      }
      // The others got it, so it was fanned out; a round trip on the sender flushes anything sent to it.
      await a.roundTrip();
      expect(
        a.frames.slice(from).filter((f) => f.event === 'typing' || f.event === 'error'),
      ).toEqual([]);
    });

    it('typing while not subscribed: error NOT_SUBSCRIBED, nothing broadcast', async () => {
      const owner = await registerUser(t.baseUrl);
      const member = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner);
      await joinRoom(t.baseUrl, member, room.id);
      const ownerWs = await connect(owner);
      await ownerWs.subscribe(room.id);
      const memberWs = await connect(member); // a member, but not subscribed
      memberWs.send('typing', { roomId: room.id });
      const err = await memberWs.waitFor('error');
      expect(err.data).toMatchObject({ code: 'NOT_SUBSCRIBED', ref: 'typing' });
      // A message after it, as a barrier: the owner sees the message and no typing before it.
      await memberWs.sendMessage(room.id, 'after typing', 'after-typing');
      await ownerWs.waitForMessages(room.id, 1);
      expect(ownerWs.frames.filter((f) => f.event === 'typing')).toEqual([]);
    });
  });

  it('ping answers pong {serverTime}', async () => {
    const alice = await registerUser(t.baseUrl);
    const ws = await connect(alice);
    const before = Date.now();
    const pong = await ws.request('ping', {}, 'pong');
    expect(pong.event).toBe('pong');
    expect(pong.data.serverTime).toMatch(ISO);
    // A real clock reading (a generous window: the server clock is this machine's).
    expect(Math.abs(Date.parse(pong.data.serverTime) - before)).toBeLessThan(60_000);
    // data may be omitted too.
    const from = ws.frames.length;
    ws.sendRaw(JSON.stringify({ event: 'ping' }));
    await ws.waitFor('pong', 5000, from);
  });

  it('room.unsubscribe answers room.unsubscribed and stops deliveries', async () => {
    const { room, sockets } = await roomWithSubscribers(1);
    const [a, b] = sockets;
    await a.sendMessage(room.id, 'before', 'u-1');
    await b.waitForMessages(room.id, 1);
    const res = await b.request('room.unsubscribe', { roomId: room.id }, 'room.unsubscribed');
    expect(res.event).toBe('room.unsubscribed');
    expect(res.data).toMatchObject({ roomId: room.id });
    await a.sendMessage(room.id, 'after', 'u-2');
    await a.waitForMessages(room.id, 2); // fanned out to every subscriber by now
    await b.roundTrip();
    expect(b.messages(room.id).map((m) => m.seq)).toEqual([1]);
    // Typing into a room one is not subscribed to is refused.
    const from = b.frames.length;
    b.send('typing', { roomId: room.id });
    expect((await b.waitFor('error', 5000, from)).data.code).toBe('NOT_SUBSCRIBED');
  });

  describe('membership events', () => {
    it('member.joined and member.left reach subscribers', async () => {
      const { room, sockets } = await roomWithSubscribers(1);
      const [a, b] = sockets;
      const carol = await registerUser(t.baseUrl);
      expect((await joinRoom(t.baseUrl, carol, room.id)).status).toBe(200);
      for (const s of [a, b]) {
        const f = await s.waitFor('member.joined');
        expect(f.data).toEqual({
          roomId: room.id,
          userId: carol.id,
          username: carol.username,
          eventSeq: expect.any(Number),
        });
      }
      // Joining again is a no-op, not a second event.
      expect((await joinRoom(t.baseUrl, carol, room.id)).status).toBe(200);
      const left = await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/leave`, {
        token: carol.accessToken,
      });
      expect(left.status).toBe(204);
      for (const s of [a, b]) {
        const f = await s.waitFor('member.left');
        expect(f.data).toEqual({
          roomId: room.id,
          userId: carol.id,
          username: carol.username,
          reason: 'left',
          eventSeq: expect.any(Number),
        });
        expect(s.frames.filter((x) => x.event === 'member.joined')).toHaveLength(1);
      }
    });

    it("leaving the room over REST stops that user's live delivery at once, on all their sockets", async () => {
      const { room, users, sockets } = await roomWithSubscribers(1);
      const [a, b] = sockets;
      const leaver = users[1];
      const b2 = await connect(leaver); // a second socket of the leaver, also subscribed
      await b2.subscribe(room.id);
      // b also listens to another room, used as a barrier below.
      const other = await createRoom(t.baseUrl, leaver);
      await b.subscribe(other.id);

      await a.sendMessage(room.id, 'before leaving', 'l-1');
      await b.waitForMessages(room.id, 1);
      await b2.waitForMessages(room.id, 1);
      const res = await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/leave`, {
        token: leaver.accessToken,
      });
      expect(res.status).toBe(204);
      for (const s of [b, b2]) {
        const f = await s.waitFor('room.unsubscribed');
        expect(f.data).toEqual({ roomId: room.id, reason: 'left' });
      }
      // The remaining subscriber sees member.left.
      expect((await a.waitFor('member.left')).data).toMatchObject({
        roomId: room.id,
        userId: leaver.id,
      });

      await a.sendMessage(room.id, 'after leaving', 'l-2');
      await a.waitForMessages(room.id, 2);
      await http(t.baseUrl, 'POST', `/api/rooms/${other.id}/messages`, {
        token: leaver.accessToken,
        body: { content: 'barrier' },
      });
      await b.waitForMessages(other.id, 1);
      await b2.roundTrip();
      expect(b.messages(room.id).map((m) => m.seq)).toEqual([1]);
      expect(b2.messages(room.id).map((m) => m.seq)).toEqual([1]);
      // And it cannot subscribe again without rejoining.
      b.send('room.subscribe', { roomId: room.id });
      expect((await b.waitFor(errorFor('room.subscribe'))).data.code).toBe('NOT_ROOM_MEMBER');
    });

    it('deleting the room unsubscribes everyone', async () => {
      const { room, users, sockets } = await roomWithSubscribers(2);
      await sockets[1].sendMessage(room.id, 'soon gone', 'd-1');
      const res = await http(t.baseUrl, 'DELETE', `/api/rooms/${room.id}`, {
        token: users[0].accessToken,
      });
      expect(res.status).toBe(204);
      for (const s of sockets) {
        const f = await s.waitFor('room.unsubscribed');
        expect(f.data).toEqual({ roomId: room.id, reason: 'deleted' });
        // Not subscribed any more: typing into it is refused.
        const from = s.frames.length;
        s.send('typing', { roomId: room.id });
        expect((await s.waitFor('error', 5000, from)).data.code).toBe('NOT_SUBSCRIBED');
      }
      sockets[0].send('room.subscribe', { roomId: room.id });
      expect((await sockets[0].waitFor(errorFor('room.subscribe'))).data.code).toBe(
        'ROOM_NOT_FOUND',
      );
    });
  });
});
