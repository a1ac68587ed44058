// Retention and export (contract v2, "Scheduled messages, retention, export"): a room's
// retentionDays (owner, PATCH room; every bad value a 400 that changes nothing), the sweeper
// deleting what is older than the effective retention (the room's, else RETENTION_DAYS) while
// the rest keeps its seqs and eventSeqs, resumes from below the kept window answered with
// RESYNC_REQUIRED (REST and WS, afterEventSeq and v1 afterSeq), and the owner's NDJSON export.
// Rows are aged by moving their created_at back in PostgreSQL; the tests wait on conditions.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  withDb,
  type HttpResult,
  type TestUser,
} from '../support/http.js';
import { waitFor } from '../support/wait.js';
import { connectWithTicket, type Frame, type WsTestClient } from '../support/ws-client.js';

// Message JSON as exported and as answered by history.
interface Msg {
  id: string;
  seq: number;
  content: string;
  deleted: boolean;
  editedAt: string | null;
}

describe('retention and export', () => {
  let t: TestApp;
  const open: WsTestClient[] = [];

  beforeAll(async () => {
    // A server default of 30 days; sweeps every 100 ms so the tests wait on conditions, briefly.
    t = await startTestApp({ RETENTION_DAYS: '30', RETENTION_SWEEP_MS: '100' });
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

  const patchRoom = (u: TestUser, roomId: string, body: unknown): Promise<HttpResult> =>
    http(t.baseUrl, 'PATCH', `/api/rooms/${roomId}`, { token: u.accessToken, body });
  const getRoom = async (u: TestUser, roomId: string) =>
    (await http(t.baseUrl, 'GET', `/api/rooms/${roomId}`, { token: u.accessToken })).body as {
      lastSeq: number;
      lastEventSeq: number;
      retentionDays: number | null;
      name: string;
    };
  const send = async (u: TestUser, roomId: string, content: string): Promise<Msg> => {
    const res = await sendMessage(t.baseUrl, u, roomId, { content });
    expect(res.status).toBe(201);
    return res.body as Msg;
  };
  const events = (u: TestUser, roomId: string, query = '') =>
    http(t.baseUrl, 'GET', `/api/rooms/${roomId}/events${query}`, { token: u.accessToken });
  const history = (u: TestUser, roomId: string, query = '') =>
    http(t.baseUrl, 'GET', `/api/rooms/${roomId}/messages${query}`, { token: u.accessToken });
  const exportRoom = (u: TestUser | null, roomId: string) =>
    fetch(`${t.baseUrl}/api/rooms/${roomId}/export`, {
      headers: u ? { authorization: `Bearer ${u.accessToken}` } : {},
    });
  const lines = async (res: Response): Promise<Msg[]> =>
    (await res.text())
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Msg);
  const eventSeqOf = (roomId: string, seq: number) =>
    withDb(async (c) =>
      Number(
        (
          await c.query(`SELECT event_seq FROM messages WHERE room_id = $1 AND seq = $2`, [
            roomId,
            seq,
          ])
        ).rows[0].event_seq,
      ),
    );
  /** Moves a room's room events up to `upto` (and their messages) `days` days into the past. */
  const age = (roomId: string, upto: number, days: number) =>
    withDb(async (c) => {
      await c.query(
        `UPDATE room_events SET created_at = created_at - make_interval(days => $3)
          WHERE room_id = $1 AND event_seq <= $2`,
        [roomId, upto, days],
      );
      await c.query(
        `UPDATE messages SET created_at = created_at - make_interval(days => $3)
          WHERE room_id = $1 AND event_seq <= $2`,
        [roomId, upto, days],
      );
    });
  const kept = (roomId: string) =>
    withDb(async (c) => {
      const m = await c.query(`SELECT seq FROM messages WHERE room_id = $1 ORDER BY seq`, [roomId]);
      const e = await c.query(
        `SELECT event_seq FROM room_events WHERE room_id = $1 ORDER BY event_seq`,
        [roomId],
      );
      return {
        seqs: m.rows.map((r: { seq: string }) => Number(r.seq)),
        eventSeqs: e.rows.map((r: { event_seq: string }) => Number(r.event_seq)),
      };
    });
  const connect = async (u: TestUser) => {
    const c = await connectWithTicket(t, u);
    open.push(c);
    return c;
  };
  const roomFrames = (c: WsTestClient, roomId: string): Frame[] =>
    c.frames.filter((f) => f.event === 'message.new' && f.data?.roomId === roomId);

  async function roomWith(n: number) {
    const users = await Promise.all(Array.from({ length: n }, () => registerUser(t.baseUrl)));
    const room = (await createRoom(t.baseUrl, users[0])) as { id: string };
    for (const u of users.slice(1))
      expect((await joinRoom(t.baseUrl, u, room.id)).status).toBe(200);
    return { room, users };
  }

  describe("a room's retentionDays (PATCH /api/rooms/:id)", () => {
    it('the owner sets and clears it; the room shows it', async () => {
      const { room, users } = await roomWith(1);
      const [owner] = users;
      expect(await getRoom(owner, room.id)).toMatchObject({ retentionDays: null });
      const set = await patchRoom(owner, room.id, { retentionDays: 7 });
      expect(set.status).toBe(200);
      expect(set.body.retentionDays).toBe(7);
      expect((await getRoom(owner, room.id)).retentionDays).toBe(7);
      const cleared = await patchRoom(owner, room.id, { retentionDays: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.retentionDays).toBeNull();
    });

    it.each([
      ['0', 0],
      ['negative', -3],
      ['not a whole number', 1.5],
      ['a string', '7'],
      ['a boolean', true],
      ['over 100 years', 36_501],
    ])('%s: 400 RETENTION_DAYS_INVALID and nothing changes', async (_what, value) => {
      const { room, users } = await roomWith(1);
      const [owner] = users;
      expect((await patchRoom(owner, room.id, { retentionDays: 5 })).status).toBe(200);
      const before = await getRoom(owner, room.id);
      const res = await patchRoom(owner, room.id, { retentionDays: value, name: randomUUID() });
      expectError(res, 400, 'RETENTION_DAYS_INVALID');
      expect(String(res.body.message)).toContain('retentionDays');
      const after = await getRoom(owner, room.id);
      expect(after.retentionDays).toBe(5);
      expect(after.name).toBe(before.name);
      expect(after.lastEventSeq).toBe(before.lastEventSeq); // no room.updated either
    });

    it('a member who is not the owner: 403 NOT_ROOM_OWNER; a stranger of a private room: 404', async () => {
      const { room, users } = await roomWith(2);
      const [owner, member] = users;
      expectError(await patchRoom(member, room.id, { retentionDays: 1 }), 403, 'NOT_ROOM_OWNER');
      const stranger = await registerUser(t.baseUrl);
      const secret = (await createRoom(t.baseUrl, owner, {
        isPrivate: true,
        password: 'secret-pw',
      })) as { id: string };
      expectError(
        await patchRoom(stranger, secret.id, { retentionDays: 1 }),
        404,
        'ROOM_NOT_FOUND',
      );
      expect((await getRoom(owner, room.id)).retentionDays).toBeNull();
    });
  });

  describe('the sweeper', () => {
    it("deletes a room's old messages and room events, with their reactions and mentions; what is left keeps its seqs", async () => {
      const { room, users } = await roomWith(2);
      const [alice, bob] = users;
      const m1 = await send(alice, room.id, `hello @${bob.username}`);
      const m2 = await send(alice, room.id, 'second');
      expect(
        (
          await http(
            t.baseUrl,
            'PUT',
            `/api/rooms/${room.id}/messages/${m2.id}/reactions/${encodeURIComponent('👍')}`,
            { token: bob.accessToken },
          )
        ).status,
      ).toBe(204);
      const m3 = await send(alice, room.id, 'third');
      const m4 = await send(alice, room.id, 'fourth');
      const m5 = await send(alice, room.id, 'fifth');
      const before = await getRoom(alice, room.id);
      const myRooms = async () =>
        (
          (await http(t.baseUrl, 'GET', '/api/users/me/rooms', { token: bob.accessToken })).body
            .items as { id: string; unreadCount: number; mentionCount: number }[]
        ).find((r) => r.id === room.id)!;
      expect(await myRooms()).toMatchObject({ unreadCount: 5, mentionCount: 1 });

      expect((await patchRoom(alice, room.id, { retentionDays: 2 })).status).toBe(200);
      const boundary = await eventSeqOf(room.id, m3.seq);
      await age(room.id, boundary, 3);
      await waitFor(async () => (await kept(room.id)).seqs[0] === 4, 'the sweep of messages 1-3');

      const left = await kept(room.id);
      expect(left.seqs).toEqual([4, 5]);
      expect(left.eventSeqs[0]).toBe(boundary + 1);
      expect(left.eventSeqs[left.eventSeqs.length - 1]).toBe(before.lastEventSeq + 1); // + PATCH
      const after = await getRoom(alice, room.id);
      expect(after.lastSeq).toBe(5);
      const page = await history(bob, room.id);
      expect((page.body.items as Msg[]).map((m) => [m.seq, m.id])).toEqual([
        [4, m4.id],
        [5, m5.id],
      ]);
      expect(page.body.nextCursor).toBeNull(); // history just ends
      expect((await history(bob, room.id, '?beforeSeq=4')).body).toEqual({
        items: [],
        nextCursor: null,
      });
      const dependents = await withDb(async (c) => ({
        reactions: Number(
          (
            await c.query(`SELECT count(*) AS n FROM message_reactions WHERE room_id = $1`, [
              room.id,
            ])
          ).rows[0].n,
        ),
        mentions: Number(
          (
            await c.query(`SELECT count(*) AS n FROM message_mentions WHERE room_id = $1`, [
              room.id,
            ])
          ).rows[0].n,
        ),
      }));
      expect(dependents).toEqual({ reactions: 0, mentions: 0 });
      // Unread counts still come from seqs (lastSeq - lastReadSeq), never negative; the deleted
      // mention no longer counts.
      expect(await myRooms()).toMatchObject({ unreadCount: 5, mentionCount: 0 });
      const read = await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/read`, {
        token: bob.accessToken,
        body: { seq: 5 },
      });
      expect(read.status).toBe(204);
      expect(await myRooms()).toMatchObject({ unreadCount: 0, mentionCount: 0 });
      // The room goes on numbering where it was.
      const m6 = await send(alice, room.id, 'sixth');
      expect(m6.seq).toBe(6);
      expect([m1.seq, m2.seq]).toEqual([1, 2]);
    });

    it("RETENTION_DAYS applies to rooms without their own; a room's own longer retention wins", async () => {
      const a = await roomWith(1);
      const b = await roomWith(1);
      const [ownerA] = a.users;
      const [ownerB] = b.users;
      await send(ownerA, a.room.id, 'old in a');
      await send(ownerB, b.room.id, 'old in b');
      expect((await patchRoom(ownerB, b.room.id, { retentionDays: 60 })).status).toBe(200);
      const lastA = (await getRoom(ownerA, a.room.id)).lastEventSeq;
      const lastB = (await getRoom(ownerB, b.room.id)).lastEventSeq;
      // b first: the round that sweeps a started after b was aged, so it looked at b too.
      await age(b.room.id, lastB, 31);
      await age(a.room.id, lastA, 31);
      await waitFor(
        async () => (await kept(a.room.id)).eventSeqs.length === 0,
        "room a's log swept (31 days > RETENTION_DAYS=30)",
      );
      expect((await kept(a.room.id)).seqs).toEqual([]);
      // b is 31 days old too but keeps 60.
      expect((await kept(b.room.id)).seqs).toEqual([1]);
      // A room whose whole history went: lastSeq stays, new messages go on from it.
      expect((await getRoom(ownerA, a.room.id)).lastSeq).toBe(1);
      expect((await send(ownerA, a.room.id, 'new')).seq).toBe(2);
    });
  });

  describe('resuming below the kept window', () => {
    /** A room of two whose first three messages (and what came before) were swept. */
    async function sweptRoom() {
      const { room, users } = await roomWith(2);
      const [alice] = users;
      for (let i = 1; i <= 5; i++) await send(alice, room.id, `m${i}`);
      expect((await patchRoom(alice, room.id, { retentionDays: 1 })).status).toBe(200);
      const boundary = await eventSeqOf(room.id, 3);
      await age(room.id, boundary, 2);
      await waitFor(async () => (await kept(room.id)).seqs[0] === 4, 'the sweep');
      return { room, users, boundary };
    }

    it('REST: afterEventSeq below the window is 409 RESYNC_REQUIRED; at its edge the rest, in order', async () => {
      const { room, users, boundary } = await sweptRoom();
      const [, bob] = users;
      expectError(await events(bob, room.id, '?afterEventSeq=0'), 409, 'RESYNC_REQUIRED');
      expectError(
        await events(bob, room.id, `?afterEventSeq=${boundary - 1}`),
        409,
        'RESYNC_REQUIRED',
      );
      const edge = await events(bob, room.id, `?afterEventSeq=${boundary}`);
      expect(edge.status).toBe(200);
      const items = edge.body.items as { eventSeq: number; event: string; data: Msg }[];
      expect(items[0].eventSeq).toBe(boundary + 1);
      expect(items.filter((i) => i.event === 'message.new').map((i) => i.data.seq)).toEqual([4, 5]);
    });

    it('REST: history afterSeq below the window is 409 RESYNC_REQUIRED; at its edge the rest, in order', async () => {
      const { room, users } = await sweptRoom();
      const [, bob] = users;
      for (const q of ['?afterSeq=0', '?afterSeq=2'])
        expectError(await history(bob, room.id, q), 409, 'RESYNC_REQUIRED');
      const edge = await history(bob, room.id, '?afterSeq=3');
      expect(edge.status).toBe(200);
      expect((edge.body.items as Msg[]).map((m) => m.seq)).toEqual([4, 5]);
      const end = await history(bob, room.id, '?afterSeq=5');
      expect(end.status).toBe(200);
      expect(end.body.items).toEqual([]);
    });

    it('WS: room.subscribe below the window (afterEventSeq or afterSeq) answers error RESYNC_REQUIRED with ref roomId and replays nothing', async () => {
      const { room, users, boundary } = await sweptRoom();
      const [, bob] = users;
      const ws = await connect(bob);
      for (const from of [{ afterEventSeq: 0 }, { afterEventSeq: boundary - 1 }, { afterSeq: 2 }]) {
        const answer = await ws.request(
          'room.subscribe',
          { roomId: room.id, ...from },
          'room.subscribed',
        );
        expect(answer.event).toBe('error');
        expect(answer.data).toMatchObject({ code: 'RESYNC_REQUIRED', ref: room.id });
      }
      await ws.roundTrip();
      expect(roomFrames(ws, room.id)).toEqual([]);
      // From the window's edge: the rest, exactly.
      const ok = await ws.request(
        'room.subscribe',
        { roomId: room.id, afterSeq: 3 },
        'room.subscribed',
      );
      expect(ok.event).toBe('room.subscribed');
      await ws.waitForSeq(room.id, 5);
      expect(ws.messages(room.id).map((m) => m.seq)).toEqual([4, 5]);
      const ws2 = await connect(bob);
      const byEvent = await ws2.request(
        'room.subscribe',
        { roomId: room.id, afterEventSeq: boundary },
        'room.subscribed',
      );
      expect(byEvent.event).toBe('room.subscribed');
      await ws2.waitForSeq(room.id, 5);
      expect(ws2.messages(room.id).map((m) => m.seq)).toEqual([4, 5]);
    });
  });

  describe('GET /api/rooms/:id/export', () => {
    it("the owner gets the room's messages as NDJSON, oldest first, edits and deletions applied", async () => {
      const { room, users } = await roomWith(2);
      const [owner, member] = users;
      const sent: Msg[] = [];
      for (let i = 1; i <= 7; i++) sent.push(await send(i % 2 ? owner : member, room.id, `m${i}`));
      expect(
        (
          await http(t.baseUrl, 'PATCH', `/api/rooms/${room.id}/messages/${sent[1].id}`, {
            token: member.accessToken,
            body: { content: 'm2, edited' },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await http(t.baseUrl, 'DELETE', `/api/rooms/${room.id}/messages/${sent[2].id}`, {
            token: owner.accessToken,
          })
        ).status,
      ).toBe(204);
      const res = await exportRoom(owner, room.id);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      const got = await lines(res);
      expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(got.map((m) => m.id)).toEqual(sent.map((m) => m.id));
      expect(got[1]).toMatchObject({ content: 'm2, edited', deleted: false });
      expect(got[1].editedAt).not.toBeNull();
      // A deleted message is its tombstone, as in history: seq kept, content gone.
      expect(got[2]).toMatchObject({ content: '', deleted: true });
      expect(got[6]).toMatchObject({ content: 'm7', deleted: false });
      // The history's Message shape, line for line.
      const hist = (await history(owner, room.id)).body.items as Msg[];
      expect(got).toEqual(hist);
    });

    it('pages through a room larger than one read (keyset pages of 500)', async () => {
      const { room, users } = await roomWith(1);
      const [owner] = users;
      // 1,203 messages straight in SQL (the send path is not what this is about).
      await withDb((c) =>
        c.query(
          `WITH r AS (
             UPDATE rooms SET last_seq = 1203, last_event_seq = last_event_seq + 1203
              WHERE id = $1 RETURNING last_event_seq - 1203 AS base)
           INSERT INTO messages (room_id, seq, user_id, content, event_seq)
           SELECT $1, g, $2, 'bulk ' || g, r.base + g FROM r, generate_series(1, 1203) g`,
          [room.id, owner.id],
        ),
      );
      const got = await lines(await exportRoom(owner, room.id));
      expect(got).toHaveLength(1203);
      expect(got.every((m, i) => m.seq === i + 1 && m.content === `bulk ${i + 1}`)).toBe(true);
    });

    it('after retention: what is kept, from the window on', async () => {
      const { room, users } = await roomWith(1);
      const [owner] = users;
      for (let i = 1; i <= 4; i++) await send(owner, room.id, `m${i}`);
      expect((await patchRoom(owner, room.id, { retentionDays: 1 })).status).toBe(200);
      await age(room.id, await eventSeqOf(room.id, 2), 2);
      await waitFor(async () => (await kept(room.id)).seqs[0] === 3, 'the sweep');
      expect((await lines(await exportRoom(owner, room.id))).map((m) => m.seq)).toEqual([3, 4]);
    });

    it('a member who is not the owner: 403; a stranger: 403 (public) or 404 (private); no token: 401; a malformed id: 400', async () => {
      const { room, users } = await roomWith(2);
      const [owner, member] = users;
      const stranger = await registerUser(t.baseUrl);
      const secret = (await createRoom(t.baseUrl, owner, {
        isPrivate: true,
        password: 'secret-pw',
      })) as { id: string };
      const errorOf = async (res: Response) => ({
        status: res.status,
        body: await res.json(),
        headers: res.headers,
      });
      expectError(await errorOf(await exportRoom(member, room.id)), 403, 'NOT_ROOM_OWNER');
      expectError(await errorOf(await exportRoom(stranger, room.id)), 403, 'NOT_ROOM_MEMBER');
      expectError(await errorOf(await exportRoom(stranger, secret.id)), 404, 'ROOM_NOT_FOUND');
      expectError(await errorOf(await exportRoom(stranger, randomUUID())), 404, 'ROOM_NOT_FOUND');
      expect((await exportRoom(null, room.id)).status).toBe(401);
      expectError(await errorOf(await exportRoom(owner, 'not-a-uuid')), 400, 'VALIDATION_FAILED');
    });

    it('is documented in the OpenAPI document with its own error codes', async () => {
      const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
      const op = doc.paths['/api/rooms/{id}/export'].get;
      expect(op.summary).toMatch(/NDJSON/);
      expect(Object.keys(op.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '403', '404', '429']),
      );
      expect(JSON.stringify(op.responses['403'])).toContain('NOT_ROOM_OWNER');
      const patch = doc.paths['/api/rooms/{id}'].patch;
      expect(JSON.stringify(patch.responses['400'])).toContain('RETENTION_DAYS_INVALID');
    });
  });
});
