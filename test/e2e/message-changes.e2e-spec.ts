// Contract v2 "Messages: edit, delete, react, reply, mention" over HTTP and real sockets: each
// row of the table, and each bad input answered with its code, changing nothing, recording no
// room event.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  type HttpResult,
  type TestUser,
} from '../support/http.js';
import { connectWithTicket, queryDb, type WsTestClient } from '../support/ws-client.js';

describe('messages: edit, delete, react, reply, mention', () => {
  let t: TestApp;
  const open: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

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

  const send = async (user: TestUser, roomId: string, content: string, extra = {}) => {
    const res = await sendMessage(t.baseUrl, user, roomId, { content, ...extra });
    if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const path = (roomId: string, id: string) => `/api/rooms/${roomId}/messages/${id}`;
  const edit = (u: TestUser, roomId: string, id: string, content: string) =>
    http(t.baseUrl, 'PATCH', path(roomId, id), { token: u.accessToken, body: { content } });
  const del = (u: TestUser, roomId: string, id: string) =>
    http(t.baseUrl, 'DELETE', path(roomId, id), { token: u.accessToken });
  const react = (u: TestUser, roomId: string, id: string, emoji: string, method = 'PUT') =>
    http(t.baseUrl, method, `${path(roomId, id)}/reactions/${encodeURIComponent(emoji)}`, {
      token: u.accessToken,
    });
  const history = (u: TestUser, roomId: string, q = '') =>
    http(t.baseUrl, 'GET', `/api/rooms/${roomId}/messages${q}`, { token: u.accessToken });
  const lastEventSeq = async (u: TestUser, roomId: string): Promise<number> =>
    (await http(t.baseUrl, 'GET', `/api/rooms/${roomId}`, { token: u.accessToken })).body
      .lastEventSeq as number;
  /** Asserts the answer, and that it recorded no room event (the log did not move). */
  async function refused(
    u: TestUser,
    roomId: string,
    act: () => Promise<HttpResult>,
    status: number,
    code: string,
  ): Promise<void> {
    const before = await lastEventSeq(u, roomId);
    expectError(await act(), status, code);
    expect(await lastEventSeq(u, roomId)).toBe(before);
  }

  describe('PATCH (edit)', () => {
    it('the author edits: 200 Message with editedAt; subscribers get message.edited', async () => {
      const { room, users } = await roomOf(2);
      const [alice, bob] = users;
      const ws = await connectWithTicket(t, bob);
      open.push(ws);
      const m = await send(alice, room.id, 'helo');
      expect(m.editedAt).toBeNull();
      await ws.subscribe(room.id);
      const res = await edit(alice, room.id, m.id, 'hello');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: m.id, seq: m.seq, content: 'hello', deleted: false });
      expect(typeof res.body.editedAt).toBe('string');
      const f = await ws.waitFor('message.edited');
      expect(f.data).toEqual({
        roomId: room.id,
        id: m.id,
        seq: m.seq,
        content: 'hello',
        editedAt: res.body.editedAt,
        mentions: [],
        eventSeq: await lastEventSeq(alice, room.id),
      });
      const [stored] = (await history(bob, room.id)).body.items;
      expect(stored).toMatchObject({ content: 'hello', editedAt: res.body.editedAt });
    });

    it("refuses another author's, another room's, a tombstone, a bot or system message, bad content", async () => {
      const { room, users } = await roomOf(2);
      const [alice, bob] = users;
      const other = await roomOf(1);
      const m = await send(alice, room.id, 'mine');
      const elsewhere = await send(other.users[0], other.room.id, 'elsewhere');
      await refused(alice, room.id, () => edit(bob, room.id, m.id, 'x'), 403, 'NOT_MESSAGE_AUTHOR');
      await refused(
        alice,
        room.id,
        () => edit(alice, room.id, elsewhere.id, 'x'),
        404,
        'MESSAGE_NOT_FOUND',
      );
      await refused(
        alice,
        room.id,
        () => edit(alice, room.id, m.id, '   '),
        400,
        'VALIDATION_FAILED',
      );
      const gone = await send(alice, room.id, 'to delete');
      expect((await del(alice, room.id, gone.id)).status).toBe(204);
      await refused(
        alice,
        room.id,
        () => edit(alice, room.id, gone.id, 'x'),
        409,
        'MESSAGE_DELETED',
      );
      // A bot message: the only author is the bot; nobody edits it through this route.
      const [bot] = await queryDb<{ id: string }>(
        `WITH s AS (UPDATE rooms SET last_seq = last_seq + 1, last_event_seq = last_event_seq + 1
                    WHERE id = $1 RETURNING last_seq, last_event_seq),
              m AS (INSERT INTO messages (room_id, seq, event_seq, user_id, content, type)
                    SELECT $1, s.last_seq, s.last_event_seq, $2, 'beep', 'bot' FROM s RETURNING *),
              e AS (INSERT INTO room_events (room_id, event_seq, kind, data)
                    SELECT m.room_id, m.event_seq, 'message.new',
                           chat_message_view(m::messages, u.username) || jsonb_build_object('eventSeq', m.event_seq)
                      FROM m JOIN users u ON u.id = m.user_id)
         SELECT id FROM m`,
        [room.id, alice.id],
      );
      await refused(
        alice,
        room.id,
        () => edit(alice, room.id, bot.id, 'x'),
        403,
        'MESSAGE_NOT_EDITABLE',
      );
      expect(
        (await history(alice, room.id)).body.items.find((x: { id: string }) => x.id === m.id),
      ).toMatchObject({ content: 'mine', editedAt: null });
    });
  });

  describe('DELETE', () => {
    it('author or room owner: 204, a tombstone (content "", seq kept); again: 204, nothing new', async () => {
      const { room, users } = await roomOf(3);
      const [owner, bob, carol] = users;
      const ws = await connectWithTicket(t, carol);
      open.push(ws);
      await ws.subscribe(room.id);
      const b1 = await send(bob, room.id, 'bob one');
      const b2 = await send(bob, room.id, 'bob two');
      await refused(owner, room.id, () => del(carol, room.id, b1.id), 403, 'NOT_MESSAGE_AUTHOR');
      expect((await del(bob, room.id, b1.id)).status).toBe(204);
      expect((await del(owner, room.id, b2.id)).status).toBe(204);
      const before = await lastEventSeq(owner, room.id);
      expect((await del(bob, room.id, b1.id)).status).toBe(204); // again: nothing new
      expect(await lastEventSeq(owner, room.id)).toBe(before);
      const items = (await history(carol, room.id)).body.items;
      expect(
        items.map((m: { seq: number; content: string; deleted: boolean }) => [
          m.seq,
          m.content,
          m.deleted,
        ]),
      ).toEqual([
        [1, '', true],
        [2, '', true],
      ]);
      await ws.waitUntil(
        () => ws.frames.filter((f) => f.event === 'message.deleted').length >= 2,
        5000,
        () => JSON.stringify(ws.frames.slice(-4)),
      );
      await ws.roundTrip();
      const deleted = ws.frames.filter((f) => f.event === 'message.deleted').map((f) => f.data);
      expect(deleted).toEqual([
        { roomId: room.id, id: b1.id, seq: 1, eventSeq: before - 1 },
        { roomId: room.id, id: b2.id, seq: 2, eventSeq: before },
      ]);
    });

    it('refuses a message of another room and unknown ids, recording nothing', async () => {
      const { room, users } = await roomOf(1);
      const other = await roomOf(1);
      const elsewhere = await send(other.users[0], other.room.id, 'elsewhere');
      await refused(
        users[0],
        room.id,
        () => del(users[0], room.id, elsewhere.id),
        404,
        'MESSAGE_NOT_FOUND',
      );
      await refused(
        users[0],
        room.id,
        () => del(users[0], room.id, 'nope'),
        400,
        'VALIDATION_FAILED',
      );
      const [row] = await queryDb<{ deleted_at: Date | null }>(
        `SELECT deleted_at FROM messages WHERE id = $1`,
        [elsewhere.id],
      );
      expect(row.deleted_at).toBeNull();
    });
  });

  describe('reactions', () => {
    it('PUT and DELETE are idempotent: only a change is a room event; reactions show {emoji, count, me}', async () => {
      const { room, users } = await roomOf(2);
      const [alice, bob] = users;
      const ws = await connectWithTicket(t, alice);
      open.push(ws);
      const m = await send(alice, room.id, 'react to me');
      await ws.subscribe(room.id);
      const start = await lastEventSeq(alice, room.id);
      expect((await react(bob, room.id, m.id, '👍')).status).toBe(204);
      expect((await react(bob, room.id, m.id, '👍')).status).toBe(204);
      expect((await react(alice, room.id, m.id, '👍')).status).toBe(204);
      expect((await react(alice, room.id, m.id, ':party_parrot:')).status).toBe(204);
      expect(await lastEventSeq(alice, room.id)).toBe(start + 3);
      const seen = (u: TestUser) =>
        history(u, room.id).then(
          (r) => r.body.items.find((x: { id: string }) => x.id === m.id).reactions,
        );
      expect(await seen(bob)).toEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: ':party_parrot:', count: 1, me: false },
      ]);
      expect((await react(bob, room.id, m.id, '👍', 'DELETE')).status).toBe(204);
      expect((await react(bob, room.id, m.id, '👍', 'DELETE')).status).toBe(204);
      expect(await lastEventSeq(alice, room.id)).toBe(start + 4);
      expect(await seen(bob)).toEqual([
        { emoji: '👍', count: 1, me: false },
        { emoji: ':party_parrot:', count: 1, me: false },
      ]);
      await ws.waitUntil(
        () => ws.frames.filter((f) => f.event.startsWith('reaction.')).length >= 4,
        5000,
        () => JSON.stringify(ws.frames.slice(-4)),
      );
      await ws.roundTrip();
      const frames = ws.frames.filter((f) => f.event.startsWith('reaction.'));
      expect(frames.map((f) => [f.event, f.data.emoji, f.data.userId, f.data.eventSeq])).toEqual([
        ['reaction.added', '👍', bob.id, start + 1],
        ['reaction.added', '👍', alice.id, start + 2],
        ['reaction.added', ':party_parrot:', alice.id, start + 3],
        ['reaction.removed', '👍', bob.id, start + 4],
      ]);
      expect(frames[0].data).toEqual({
        roomId: room.id,
        messageId: m.id,
        seq: m.seq,
        emoji: '👍',
        userId: bob.id,
        eventSeq: start + 1,
      });
    });

    it('refuses a non-emoji, the 21st distinct emoji, a tombstone, non-members', async () => {
      const { room, users } = await roomOf(2);
      const [alice, bob] = users;
      const m = await send(alice, room.id, 'popular');
      for (const bad of ['ab', '👍👍', 'x', ':Bad Name:', '::'])
        await refused(
          alice,
          room.id,
          () => react(alice, room.id, m.id, bad),
          400,
          'VALIDATION_FAILED',
        );
      // Multi-code-point emoji are one emoji each.
      for (const ok of ['👍🏽', '🇫🇷', '👨‍👩‍👧', '❤️', '1️⃣'])
        expect((await react(alice, room.id, m.id, ok)).status).toBe(204);
      for (let i = 5; i < 20; i++)
        expect((await react(alice, room.id, m.id, `:e${i}:`)).status).toBe(204);
      await refused(
        alice,
        room.id,
        () => react(bob, room.id, m.id, ':one_too_many:'),
        409,
        'REACTION_LIMIT',
      );
      // An emoji already there still takes another user.
      expect((await react(bob, room.id, m.id, ':e5:')).status).toBe(204);
      const stranger = await registerUser(t.baseUrl);
      await refused(
        alice,
        room.id,
        () => react(stranger, room.id, m.id, ':e5:'),
        403,
        'NOT_ROOM_MEMBER',
      );
      const gone = await send(alice, room.id, 'gone');
      expect((await del(alice, room.id, gone.id)).status).toBe(204);
      await refused(
        alice,
        room.id,
        () => react(bob, room.id, gone.id, ':x:'),
        409,
        'MESSAGE_DELETED',
      );
    });
  });

  describe('replies and mentions', () => {
    it('a reply takes the next seq, shows in history and in its thread; the root carries the summary', async () => {
      const { room, users } = await roomOf(2);
      const [alice, bob] = users;
      const root = await send(alice, room.id, 'root');
      expect(root).toMatchObject({ threadRootId: null, thread: null });
      const r1 = await send(bob, room.id, 'reply 1', { threadRootId: root.id });
      await send(alice, room.id, 'not in the thread');
      const ws = await connectWithTicket(t, bob);
      open.push(ws);
      await ws.subscribe(room.id);
      ws.send('message.send', {
        roomId: room.id,
        content: 'reply 2',
        clientMsgId: 'r2',
        threadRootId: root.id,
      });
      const ack = await ws.waitFor('message.ack');
      expect(r1).toMatchObject({ seq: 2, threadRootId: root.id });
      expect(ack.data.seq).toBe(4);
      const thread = await history(alice, room.id, `?threadRootId=${root.id}`);
      expect(thread.status).toBe(200);
      expect(thread.body.items.map((m: { content: string }) => m.content)).toEqual([
        'reply 1',
        'reply 2',
      ]);
      const all = (await history(alice, room.id)).body.items;
      expect(all.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3, 4]);
      expect(all[0].thread).toEqual({
        replyCount: 2,
        lastReplyAt: expect.any(String),
        lastReplySeq: 4,
      });
      const paged = await history(alice, room.id, `?threadRootId=${root.id}&afterSeq=2&limit=1`);
      expect(paged.body.items.map((m: { seq: number }) => m.seq)).toEqual([4]);
    });

    it('refuses a reply to a reply or to another room’s message, storing nothing', async () => {
      const { room, users } = await roomOf(1);
      const [alice] = users;
      const root = await send(alice, room.id, 'root');
      const reply = await send(alice, room.id, 'reply', { threadRootId: root.id });
      const other = await roomOf(1);
      const elsewhere = await send(other.users[0], other.room.id, 'elsewhere');
      for (const threadRootId of [reply.id, elsewhere.id])
        await refused(
          alice,
          room.id,
          () =>
            sendMessage(t.baseUrl, alice, room.id, {
              content: 'nope',
              threadRootId,
            } as { content: string }),
          400,
          'THREAD_ROOT_INVALID',
        );
      expect((await history(alice, room.id)).body.items).toHaveLength(2);
    });

    it('@username of a member becomes a mention, stored in message_mentions; non-members are not', async () => {
      const { room, users } = await roomOf(2);
      const [alice, bob] = users;
      const outsider = await registerUser(t.baseUrl);
      const m = await send(
        alice,
        room.id,
        `hi @${bob.username.toUpperCase()}, and @${outsider.username} and mail@${bob.username}.`,
      );
      expect(m.mentions).toEqual([bob.id]);
      const rows = await queryDb<{ user_id: string; seq: string }>(
        `SELECT user_id, seq FROM message_mentions WHERE room_id = $1`,
        [room.id],
      );
      expect(rows).toEqual([{ user_id: bob.id, seq: String(m.seq) }]);
      // An edit moves the mentions with the content.
      const edited = await edit(alice, room.id, m.id, `now @${alice.username} only.`);
      expect(edited.body.mentions).toEqual([alice.id]);
      const after = await queryDb<{ user_id: string }>(
        `SELECT user_id FROM message_mentions WHERE room_id = $1`,
        [room.id],
      );
      expect(after).toEqual([{ user_id: alice.id }]);
    });
  });
});
