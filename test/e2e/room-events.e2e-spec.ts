// Contract v2 over HTTP and real sockets: the room event log (GET /events, room.subscribe with
// afterEventSeq), and what it records: edits, deletes, reactions, member changes, room updates.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  type TestUser,
} from '../support/http.js';
import { connectWithTicket, queryDb, type Frame, type WsTestClient } from '../support/ws-client.js';

const ROOM_EVENT_KINDS = new Set([
  'message.new',
  'message.edited',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'member.joined',
  'member.left',
  'room.updated',
]);

describe('room events: one resumable log per room', () => {
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

  async function roomOf(n: number): Promise<{ room: { id: string }; users: TestUser[] }> {
    const owner = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, owner);
    const users = [owner];
    for (let i = 1; i < n; i++) {
      const u = await registerUser(t.baseUrl);
      expect((await joinRoom(t.baseUrl, u, room.id)).status).toBe(200);
      users.push(u);
    }
    return { room, users };
  }

  const events = (user: TestUser, roomId: string, query = '') =>
    http(t.baseUrl, 'GET', `/api/rooms/${roomId}/events${query}`, { token: user.accessToken });
  const lastEventSeq = async (user: TestUser, roomId: string): Promise<number> => {
    const res = await http(t.baseUrl, 'GET', `/api/rooms/${roomId}`, { token: user.accessToken });
    return res.body.lastEventSeq as number;
  };
  const send = async (user: TestUser, roomId: string, content: string, extra = {}) => {
    const res = await sendMessage(t.baseUrl, user, roomId, { content, ...extra });
    expect(res.status).toBe(201);
    return res.body;
  };
  const msgPath = (roomId: string, id: string) => `/api/rooms/${roomId}/messages/${id}`;
  const react = (user: TestUser, roomId: string, id: string, emoji: string, method = 'PUT') =>
    http(t.baseUrl, method, `${msgPath(roomId, id)}/reactions/${encodeURIComponent(emoji)}`, {
      token: user.accessToken,
    });
  const roomFrames = (c: WsTestClient, roomId: string): Frame[] =>
    c.frames.filter((f) => ROOM_EVENT_KINDS.has(f.event) && f.data?.roomId === roomId);

  it('a client that misses a message, an edit, a delete and a reaction gets exactly those, in order, from afterEventSeq', async () => {
    const { room, users } = await roomOf(2);
    const [alice, bob] = users;
    const first = await send(alice, room.id, 'first');
    const second = await send(alice, room.id, 'second');
    const bobWs = await connect(bob);
    const subscribed = await bobWs.subscribe(room.id);
    const cursor = subscribed.data.lastEventSeq as number;
    expect(cursor).toBe(await lastEventSeq(bob, room.id));
    bobWs.terminate(); // bob's connection drops

    const third = await send(alice, room.id, 'third');
    expect(
      (
        await http(t.baseUrl, 'PATCH', msgPath(room.id, first.id), {
          token: alice.accessToken,
          body: { content: 'first, edited' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await http(t.baseUrl, 'DELETE', msgPath(room.id, second.id), { token: alice.accessToken }))
        .status,
    ).toBe(204);
    expect((await react(alice, room.id, third.id, '👍')).status).toBe(204);

    const back = await connect(bob);
    back.send('room.subscribe', { roomId: room.id, afterEventSeq: cursor });
    const sub = await back.waitFor('room.subscribed');
    expect(sub.data).toEqual({
      roomId: room.id,
      lastSeq: 3,
      lastEventSeq: cursor + 4,
    });
    await back.waitUntil(
      () => roomFrames(back, room.id).length >= 4,
      5000,
      () => JSON.stringify(back.frames.slice(-5)),
    );
    await back.roundTrip();
    const got = roomFrames(back, room.id);
    expect(got.map((f) => [f.event, f.data.eventSeq])).toEqual([
      ['message.new', cursor + 1],
      ['message.edited', cursor + 2],
      ['message.deleted', cursor + 3],
      ['reaction.added', cursor + 4],
    ]);
    expect(got[0].data).toMatchObject({ id: third.id, seq: 3, content: 'third' });
    expect(got[1].data).toMatchObject({
      roomId: room.id,
      id: first.id,
      seq: 1,
      content: 'first, edited',
      editedAt: expect.any(String),
    });
    expect(got[2].data).toEqual({ roomId: room.id, id: second.id, seq: 2, eventSeq: cursor + 3 });
    expect(got[3].data).toEqual({
      roomId: room.id,
      messageId: third.id,
      seq: 3,
      emoji: '👍',
      userId: alice.id,
      eventSeq: cursor + 4,
    });
    // The same events over REST, exactly as they were live.
    const page = await events(bob, room.id, `?afterEventSeq=${cursor}`);
    expect(page.status).toBe(200);
    expect(page.body.items.map((e: { event: string; data: unknown }) => [e.event, e.data])).toEqual(
      got.map((f) => [f.event, f.data]),
    );
    expect(page.body.nextCursor).toBeNull();
    // Live events follow, once each.
    await send(alice, room.id, 'fourth');
    await back.waitUntil(
      () => roomFrames(back, room.id).length >= 5,
      5000,
      () => JSON.stringify(back.frames.slice(-5)),
    );
    expect(roomFrames(back, room.id).map((f) => f.data.eventSeq)).toEqual([
      cursor + 1,
      cursor + 2,
      cursor + 3,
      cursor + 4,
      cursor + 5,
    ]);
  });

  it('a v1 afterSeq replay sends each missed message as it is now, with the eventSeq of its message.new', async () => {
    const { room, users } = await roomOf(2);
    const [alice, bob] = users;
    const m1 = await send(alice, room.id, 'one');
    const m2 = await send(alice, room.id, 'two');
    const m3 = await send(alice, room.id, 'three');
    expect((await react(alice, room.id, m1.id, '👍')).status).toBe(204);
    expect(
      (
        await http(t.baseUrl, 'PATCH', msgPath(room.id, m2.id), {
          token: alice.accessToken,
          body: { content: 'two, edited' },
        })
      ).status,
    ).toBe(200);
    const m4 = await send(alice, room.id, 'four');
    const log = (await events(bob, room.id)).body.items as {
      eventSeq: number;
      event: string;
      data: { id?: string };
    }[];
    const created = new Map(
      log.filter((e) => e.event === 'message.new').map((e) => [e.data.id, e.eventSeq]),
    );

    const ws = await connect(bob);
    const sub = await ws.subscribe(room.id, 1);
    expect(sub.data).toEqual({ roomId: room.id, lastSeq: 4, lastEventSeq: log.length });
    await ws.waitUntil(
      () => roomFrames(ws, room.id).length >= 3,
      5000,
      () => JSON.stringify(ws.frames.slice(-5)),
    );
    // The messages as history shows them now (m2 edited), each with its place in the log.
    const history = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages?afterSeq=1`, {
      token: bob.accessToken,
    });
    expect(history.body.items.map((m: { id: string }) => m.id)).toEqual([m2.id, m3.id, m4.id]);
    expect(roomFrames(ws, room.id).map((f) => [f.event, f.data])).toEqual(
      history.body.items.map((m: { id: string }) => [
        'message.new',
        { ...m, eventSeq: created.get(m.id) },
      ]),
    );
    // Live room events follow from the subscription's position, with theirs.
    expect(
      (await http(t.baseUrl, 'DELETE', msgPath(room.id, m3.id), { token: alice.accessToken }))
        .status,
    ).toBe(204);
    await ws.waitUntil(
      () => roomFrames(ws, room.id).length >= 4,
      5000,
      () => JSON.stringify(ws.frames.slice(-5)),
    );
    await ws.roundTrip();
    expect(roomFrames(ws, room.id).map((f) => [f.event, f.data.eventSeq])).toEqual([
      ['message.new', created.get(m2.id)],
      ['message.new', created.get(m3.id)],
      ['message.new', created.get(m4.id)],
      ['message.deleted', log.length + 1],
    ]);
  });

  it('GET /events lists the whole log gapless, pages with nextCursor, members only', async () => {
    const { room, users } = await roomOf(2);
    const [alice, bob] = users;
    await send(alice, room.id, 'a');
    await send(bob, room.id, 'b');
    expect(
      (
        await http(t.baseUrl, 'PATCH', `/api/rooms/${room.id}`, {
          token: alice.accessToken,
          body: { description: 'new description' },
        })
      ).status,
    ).toBe(200);
    const all = await events(alice, room.id);
    expect(all.status).toBe(200);
    expect(
      all.body.items.map((e: { eventSeq: number; event: string }) => [e.eventSeq, e.event]),
    ).toEqual([
      [1, 'member.joined'],
      [2, 'message.new'],
      [3, 'message.new'],
      [4, 'room.updated'],
    ]);
    const updated = all.body.items[3];
    expect(updated.data).toMatchObject({
      id: room.id,
      description: 'new description',
      lastEventSeq: 4,
      eventSeq: 4,
    });
    expect(typeof updated.createdAt).toBe('string');
    const p1 = await events(alice, room.id, '?afterEventSeq=1&limit=2');
    expect(p1.body.items.map((e: { eventSeq: number }) => e.eventSeq)).toEqual([2, 3]);
    expect(p1.body.nextCursor).toBe('3');
    const p2 = await events(alice, room.id, `?afterEventSeq=${p1.body.nextCursor}&limit=2`);
    expect(p2.body.items.map((e: { eventSeq: number }) => e.eventSeq)).toEqual([4]);
    expect(p2.body.nextCursor).toBeNull();
    // Not a member: 403; past the end: RESYNC_REQUIRED; negative: 400 naming the field.
    const stranger = await registerUser(t.baseUrl);
    expectError(await events(stranger, room.id), 403, 'NOT_ROOM_MEMBER');
    expectError(await events(alice, room.id, '?afterEventSeq=5'), 409, 'RESYNC_REQUIRED');
    const neg = await events(alice, room.id, '?afterEventSeq=-1');
    expectError(neg, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(neg.body.message)).toContain('afterEventSeq');
  });

  it('room.subscribe refuses a cursor past the log or a negative one, and delivers nothing', async () => {
    const { room, users } = await roomOf(1);
    const [alice] = users;
    await send(alice, room.id, 'x');
    const ws = await connect(alice);
    const ahead = await ws.request(
      'room.subscribe',
      { roomId: room.id, afterEventSeq: 2 },
      'room.subscribed',
    );
    expect(ahead.event).toBe('error');
    expect(ahead.data).toMatchObject({ code: 'RESYNC_REQUIRED', ref: room.id });
    const neg = await ws.request(
      'room.subscribe',
      { roomId: room.id, afterEventSeq: -1 },
      'room.subscribed',
    );
    expect(neg.event).toBe('error');
    expect(neg.data.code).toBe('VALIDATION_FAILED');
    await ws.roundTrip();
    expect(roomFrames(ws, room.id)).toEqual([]);
    // afterEventSeq 0: the whole log.
    ws.send('room.subscribe', { roomId: room.id, afterEventSeq: 0 });
    await ws.waitUntil(
      () => roomFrames(ws, room.id).length >= 1,
      5000,
      () => JSON.stringify(ws.frames.slice(-5)),
    );
    expect(roomFrames(ws, room.id).map((f) => [f.event, f.data.eventSeq])).toEqual([
      ['message.new', 1],
    ]);
  });

  it('member changes and room updates are room events, live and in the log', async () => {
    const { room, users } = await roomOf(1);
    const [alice] = users;
    const ws = await connect(alice);
    await ws.subscribe(room.id);
    const carol = await registerUser(t.baseUrl);
    expect((await joinRoom(t.baseUrl, carol, room.id)).status).toBe(200);
    expect(
      (await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/leave`, { token: carol.accessToken }))
        .status,
    ).toBe(204);
    expect(
      (
        await http(t.baseUrl, 'PATCH', `/api/rooms/${room.id}`, {
          token: alice.accessToken,
          body: { name: `renamed-${Date.now()}` },
        })
      ).status,
    ).toBe(200);
    await ws.waitUntil(
      () => roomFrames(ws, room.id).length >= 3,
      5000,
      () => JSON.stringify(ws.frames.slice(-5)),
    );
    expect(roomFrames(ws, room.id).map((f) => [f.event, f.data.eventSeq])).toEqual([
      ['member.joined', 1],
      ['member.left', 2],
      ['room.updated', 3],
    ]);
    const log = await events(alice, room.id);
    expect(log.body.items.map((e: { event: string; data: unknown }) => [e.event, e.data])).toEqual(
      roomFrames(ws, room.id).map((f) => [f.event, f.data]),
    );
  });

  it('eventSeq is gapless under concurrent sends, edits and reactions', async () => {
    const { room, users } = await roomOf(3);
    const base = await send(users[0], room.id, 'base');
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const u = users[i % 3];
      work.push(sendMessage(t.baseUrl, u, room.id, { content: `m${i}` }));
      work.push(react(u, room.id, base.id, [':a:', ':b:', ':c:'][i % 3]));
    }
    await Promise.all(work);
    const rows = await queryDb<{ event_seq: string }>(
      `SELECT event_seq FROM room_events WHERE room_id = $1 ORDER BY event_seq`,
      [room.id],
    );
    const seqs = rows.map((r) => Number(r.event_seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBe(await lastEventSeq(users[0], room.id));
  });
});
