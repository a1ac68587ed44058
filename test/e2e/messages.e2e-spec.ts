import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  type HttpResult,
  type TestUser,
} from '../support/http.js';

const MESSAGE_KEYS = [
  'attachments',
  'clientMsgId',
  'content',
  'createdAt',
  'deleted',
  'deletedAt',
  'editedAt',
  'id',
  'mentions',
  'reactions',
  'roomId',
  'sentBy',
  'seq',
  'thread',
  'threadRootId',
  'type',
  'userId',
  'username',
];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('REST messages (/api/rooms/:id/messages)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let stranger: TestUser;
  beforeAll(async () => {
    t = await startTestApp();
    [alice, bob, stranger] = await Promise.all([
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
    ]);
  });
  afterAll(async () => {
    await t.close();
  });

  const history = (user: TestUser, roomId: string, query = '') =>
    http(t.baseUrl, 'GET', `/api/rooms/${roomId}/messages${query}`, { token: user.accessToken });
  const seqsOf = (res: HttpResult): number[] => res.body.items.map((m: { seq: number }) => m.seq);
  const lastSeq = async (roomId: string) =>
    (await http(t.baseUrl, 'GET', `/api/rooms/${roomId}`, { token: alice.accessToken })).body
      .lastSeq;

  /** A public room owned by alice with bob in it. */
  async function sharedRoom(): Promise<{ id: string }> {
    const room = await createRoom(t.baseUrl, alice);
    expect((await joinRoom(t.baseUrl, bob, room.id)).status).toBe(200);
    return room;
  }

  /** A room with `n` messages "m1".."mn" sent one after another by alice. */
  async function roomWith(n: number): Promise<{ id: string }> {
    const room = await createRoom(t.baseUrl, alice);
    for (let i = 1; i <= n; i++)
      expect((await sendMessage(t.baseUrl, alice, room.id, { content: `m${i}` })).status).toBe(201);
    return room;
  }

  describe('POST', () => {
    it('201 a Message: seq 1, 2, 3 … in the room, type text, the sender named', async () => {
      const room = await sharedRoom();
      const first = await sendMessage(t.baseUrl, alice, room.id, { content: 'hello there' });
      expect(first.status).toBe(201);
      expect(Object.keys(first.body).sort()).toEqual(MESSAGE_KEYS);
      expect(first.body).toMatchObject({
        roomId: room.id,
        seq: 1,
        userId: alice.id,
        username: alice.username,
        content: 'hello there',
        type: 'text',
        clientMsgId: null,
      });
      expect(first.body.id).toMatch(UUID_RE);
      expect(new Date(first.body.createdAt).toISOString()).toBe(first.body.createdAt);

      const second = await sendMessage(t.baseUrl, bob, room.id, {
        content: 'hi!',
        type: 'text',
        clientMsgId: 'bob-1',
      });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({
        seq: 2,
        userId: bob.id,
        username: bob.username,
        type: 'text',
        clientMsgId: 'bob-1',
      });
      expect(second.body.id).not.toBe(first.body.id);
      expect(await lastSeq(room.id)).toBe(2);

      // History answers the very same messages.
      expect((await history(bob, room.id)).body.items).toEqual([first.body, second.body]);
    });

    it('content is kept exactly as sent (white space and unicode included)', async () => {
      const room = await sharedRoom();
      const content = '  line one\n\tline two — ünïcødé 😀 <b>not html</b>  ';
      const res = await sendMessage(t.baseUrl, alice, room.id, { content });
      expect(res.status).toBe(201);
      expect(res.body.content).toBe(content);
      expect((await history(alice, room.id)).body.items[0].content).toBe(content);
    });

    it('members only: a non-member gets 403 NOT_ROOM_MEMBER on a public room, 404 on a private one', async () => {
      const pub = await sharedRoom();
      const priv = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      expectError(
        await sendMessage(t.baseUrl, stranger, pub.id, { content: 'let me in' }),
        403,
        'NOT_ROOM_MEMBER',
      );
      expectError(
        await sendMessage(t.baseUrl, stranger, priv.id, { content: 'let me in' }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await sendMessage(t.baseUrl, stranger, randomUUID(), { content: 'anyone?' }),
        404,
        'ROOM_NOT_FOUND',
      );
      const bad = await sendMessage(t.baseUrl, alice, 'not-a-uuid', { content: 'x' });
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect(errorText(bad)).toContain('id');
      expect(await lastSeq(pub.id)).toBe(0);
      expect(await lastSeq(priv.id)).toBe(0);
    });

    it('a member who left can no longer send', async () => {
      const room = await sharedRoom();
      // A send and a history read first: the membership is confirmed (and trusted for a few
      // seconds on this path), so the leave must drop it at once.
      expect((await sendMessage(t.baseUrl, bob, room.id, { content: 'bye' })).status).toBe(201);
      expect(
        (await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages`, { token: bob.accessToken }))
          .status,
      ).toBe(200);
      expect(
        (await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/leave`, { token: bob.accessToken }))
          .status,
      ).toBe(204);
      expectError(
        await sendMessage(t.baseUrl, bob, room.id, { content: 'still here?' }),
        403,
        'NOT_ROOM_MEMBER',
      );
      expectError(
        await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages`, { token: bob.accessToken }),
        403,
        'NOT_ROOM_MEMBER',
      );
    });

    it('after its room is deleted, a sender who just sent there gets 404', async () => {
      const room = await createRoom(t.baseUrl, alice);
      expect((await sendMessage(t.baseUrl, alice, room.id, { content: 'x' })).status).toBe(201);
      expect(
        (await http(t.baseUrl, 'DELETE', `/api/rooms/${room.id}`, { token: alice.accessToken }))
          .status,
      ).toBe(204);
      expectError(
        await sendMessage(t.baseUrl, alice, room.id, { content: 'y' }),
        404,
        'ROOM_NOT_FOUND',
      );
    });

    it.each([
      ['empty', ''],
      ['white space only', ' \n\t  \u00a0 '],
      ['4,001 characters', 'a'.repeat(4001)],
      ['4,001 emoji', '😀'.repeat(4001)],
      ['holding a NUL character', 'a\u0000b'],
      ['not a string', 42],
      ['missing', undefined],
    ])('content %s: 400 naming content', async (_what, content) => {
      const room = await sharedRoom();
      const res = await sendMessage(t.baseUrl, alice, room.id, { content } as { content: string });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('content');
      expect(await lastSeq(room.id)).toBe(0);
    });

    it('exactly 4,000 characters is accepted, and so are 4,000 emoji (8,000 UTF-16 units)', async () => {
      const room = await sharedRoom();
      const ascii = 'b'.repeat(4000);
      const emoji = '😀'.repeat(4000);
      const mixed = `${'é'.repeat(1999)}${'🎉'.repeat(2000)}x`;
      for (const content of [ascii, emoji, mixed]) {
        const res = await sendMessage(t.baseUrl, alice, room.id, { content });
        expect(res.status).toBe(201);
        expect(res.body.content).toBe(content);
      }
      expect(
        (await history(alice, room.id)).body.items.map((m: { content: string }) => m.content),
      ).toEqual([ascii, emoji, mixed]);
    });

    it.each([['system'], ['bot'], ['TEXT'], [7]])(
      'type %p is refused: 400 naming type',
      async (type) => {
        const room = await sharedRoom();
        const res = await sendMessage(t.baseUrl, alice, room.id, {
          content: 'I am the system now',
          type,
        } as { content: string; type: string });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toContain('type');
        expect(await lastSeq(room.id)).toBe(0);
      },
    );

    it.each([
      ['empty', ''],
      ['with spaces', 'has spaces'],
      ['65 characters', 'c'.repeat(65)],
      ['a number', 12],
    ])('clientMsgId %s: 400 naming clientMsgId', async (_what, clientMsgId) => {
      const room = await sharedRoom();
      const res = await sendMessage(t.baseUrl, alice, room.id, { content: 'x', clientMsgId } as {
        content: string;
        clientMsgId: string;
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('clientMsgId');
    });

    it('unknown fields are refused (400 naming them)', async () => {
      const room = await sharedRoom();
      for (const field of ['seq', 'userId', 'roomId']) {
        const res = await sendMessage(t.baseUrl, alice, room.id, {
          content: 'x',
          [field]: field === 'seq' ? 1 : bob.id,
        });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toContain(field);
      }
      expect(await lastSeq(room.id)).toBe(0);
    });

    it('clientMsgId: the same sender twice stores one message, answers it both times, and advances lastSeq once', async () => {
      const room = await sharedRoom();
      const clientMsgId = `c-${randomUUID()}`;
      const first = await sendMessage(t.baseUrl, alice, room.id, {
        content: 'only once',
        clientMsgId,
      });
      const second = await sendMessage(t.baseUrl, alice, room.id, {
        content: 'only once',
        clientMsgId,
      });
      expect(first.status).toBe(201);
      expect([200, 201]).toContain(second.status);
      expect(second.body).toEqual(first.body);
      expect(first.body).toMatchObject({ seq: 1, clientMsgId });
      expect(await lastSeq(room.id)).toBe(1);
      const h = await history(alice, room.id);
      expect(h.body.items).toEqual([first.body]);
      // The next message follows with no gap.
      const next = await sendMessage(t.baseUrl, alice, room.id, {
        content: 'after',
        clientMsgId: `c-${randomUUID()}`,
      });
      expect(next.body.seq).toBe(2);
    });

    it('clientMsgId is per sender: different senders may use the same one', async () => {
      const room = await sharedRoom();
      const clientMsgId = `shared-${randomUUID()}`;
      const a = await sendMessage(t.baseUrl, alice, room.id, {
        content: 'from alice',
        clientMsgId,
      });
      const b = await sendMessage(t.baseUrl, bob, room.id, { content: 'from bob', clientMsgId });
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);
      expect([a.body.seq, b.body.seq]).toEqual([1, 2]);
      expect(b.body).toMatchObject({ userId: bob.id, content: 'from bob', clientMsgId });
      expect(seqsOf(await history(alice, room.id))).toEqual([1, 2]);
    });

    it("a sender's clientMsgId already used in another room: 409 CLIENT_MSG_ID_CONFLICT, nothing stored", async () => {
      const room1 = await sharedRoom();
      const room2 = await sharedRoom();
      const clientMsgId = `x-${randomUUID()}`;
      expect(
        (await sendMessage(t.baseUrl, alice, room1.id, { content: 'here', clientMsgId })).status,
      ).toBe(201);
      expectError(
        await sendMessage(t.baseUrl, alice, room2.id, { content: 'there', clientMsgId }),
        409,
        'CLIENT_MSG_ID_CONFLICT',
      );
      expect(await lastSeq(room2.id)).toBe(0);
    });

    it('401 without a token', async () => {
      const room = await sharedRoom();
      expectError(
        await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/messages`, { body: { content: 'x' } }),
        401,
        'AUTH_REQUIRED',
      );
    });
  });

  describe('GET (history)', () => {
    let room: { id: string };
    beforeAll(async () => {
      room = await roomWith(12);
      await joinRoom(t.baseUrl, bob, room.id);
    });

    it('items are full Messages in ascending seq; an empty room answers {items: [], nextCursor: null}', async () => {
      const res = await history(bob, room.id);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      for (const m of res.body.items) expect(Object.keys(m).sort()).toEqual(MESSAGE_KEYS);
      expect(res.body.items.map((m: { content: string }) => m.content)).toEqual(
        range(1, 12).map((i) => `m${i}`),
      );
      expect(res.body.nextCursor).toBeNull();

      const empty = await createRoom(t.baseUrl, alice);
      expect((await history(alice, empty.id)).body).toEqual({ items: [], nextCursor: null });
    });

    it('with neither afterSeq nor beforeSeq: the latest `limit` messages; nextCursor pages back with beforeSeq', async () => {
      const latest = await history(alice, room.id, '?limit=5');
      expect(seqsOf(latest)).toEqual([8, 9, 10, 11, 12]);
      expect(latest.body.nextCursor).toBe('8');
      const back1 = await history(alice, room.id, `?beforeSeq=${latest.body.nextCursor}&limit=5`);
      expect(seqsOf(back1)).toEqual([3, 4, 5, 6, 7]);
      expect(back1.body.nextCursor).toBe('3');
      const back2 = await history(alice, room.id, `?beforeSeq=${back1.body.nextCursor}&limit=5`);
      expect(seqsOf(back2)).toEqual([1, 2]);
      expect(back2.body.nextCursor).toBeNull();
    });

    it('afterSeq=N: the `limit` messages right after N; nextCursor pages forward with afterSeq', async () => {
      const p1 = await history(alice, room.id, '?afterSeq=0&limit=5');
      expect(seqsOf(p1)).toEqual([1, 2, 3, 4, 5]);
      expect(p1.body.nextCursor).toBe('5');
      const p2 = await history(alice, room.id, `?afterSeq=${p1.body.nextCursor}&limit=5`);
      expect(seqsOf(p2)).toEqual([6, 7, 8, 9, 10]);
      expect(p2.body.nextCursor).toBe('10');
      const p3 = await history(alice, room.id, `?afterSeq=${p2.body.nextCursor}&limit=5`);
      expect(seqsOf(p3)).toEqual([11, 12]);
      expect(p3.body.nextCursor).toBeNull();

      expect(seqsOf(await history(alice, room.id, '?afterSeq=7&limit=1'))).toEqual([8]);
      // Exactly `limit` left: all of them, and no next page.
      const exact = await history(alice, room.id, '?afterSeq=2&limit=10');
      expect(seqsOf(exact)).toEqual(range(3, 12));
      expect(exact.body.nextCursor).toBeNull();
      expect((await history(alice, room.id, '?afterSeq=12')).body).toEqual({
        items: [],
        nextCursor: null,
      });
      expect((await history(alice, room.id, '?afterSeq=1000')).body).toEqual({
        items: [],
        nextCursor: null,
      });
    });

    it('beforeSeq=N: the `limit` messages right before N', async () => {
      expect(seqsOf(await history(alice, room.id, '?beforeSeq=8&limit=3'))).toEqual([5, 6, 7]);
      expect(seqsOf(await history(alice, room.id, '?beforeSeq=2&limit=3'))).toEqual([1]);
      expect((await history(alice, room.id, '?beforeSeq=1')).body).toEqual({
        items: [],
        nextCursor: null,
      });
      const pastEnd = await history(alice, room.id, '?beforeSeq=1000&limit=3');
      expect(seqsOf(pastEnd)).toEqual([10, 11, 12]);
      expect(pastEnd.body.nextCursor).toBe('10');
      const exact = await history(alice, room.id, '?beforeSeq=11&limit=10');
      expect(seqsOf(exact)).toEqual(range(1, 10));
      expect(exact.body.nextCursor).toBeNull();
    });

    it.each([
      ['afterSeq', '?afterSeq=1&beforeSeq=5'],
      ['limit', '?limit=201'],
      ['limit', '?limit=0'],
      ['limit', '?limit=ten'],
      ['afterSeq', '?afterSeq=-1'],
      ['afterSeq', '?afterSeq=abc'],
      ['afterSeq', '?afterSeq=1.5'],
      ['afterSeq', '?afterSeq=99999999999999999999'],
      ['beforeSeq', '?beforeSeq=9223372036854775808'],
      ['beforeSeq', '?beforeSeq=0'],
      ['beforeSeq', '?beforeSeq=x'],
    ])('400 naming %s for %s', async (field, query) => {
      const res = await history(alice, room.id, query);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
    });

    it('members only: a non-member gets 403 NOT_ROOM_MEMBER on a public room, 404 on a private one', async () => {
      const priv = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      await sendMessage(t.baseUrl, alice, priv.id, { content: 'secret' });
      expectError(await history(stranger, room.id), 403, 'NOT_ROOM_MEMBER');
      expectError(await history(stranger, priv.id), 404, 'ROOM_NOT_FOUND');
      expectError(await history(stranger, randomUUID()), 404, 'ROOM_NOT_FOUND');
      const bad = await history(alice, 'nope');
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect(errorText(bad)).toContain('id');
    });
  });

  describe('concurrency', () => {
    it('10 users × 20 messages fired at once at one room: seqs are exactly 1..200; limit defaults to 50, max 200', async () => {
      const owner = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner);
      const senders = [
        owner,
        ...(await Promise.all(range(1, 9).map(() => registerUser(t.baseUrl)))),
      ];
      for (const s of senders.slice(1))
        expect((await joinRoom(t.baseUrl, s, room.id)).status).toBe(200);

      const sends = senders.flatMap((s, u) =>
        range(1, 20).map((i) =>
          sendMessage(t.baseUrl, s, room.id, {
            content: `u${u}-m${i}`,
            clientMsgId: `u${u}-m${i}`,
          }),
        ),
      );
      const results = await Promise.all(sends);
      expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
      expect(results.map((r) => r.body.seq).sort((a, b) => a - b)).toEqual(range(1, 200));
      expect(new Set(results.map((r) => r.body.id)).size).toBe(200);

      // Read back: exactly 1..200, each the message its sender was told it was.
      const all = await history(owner, room.id, '?afterSeq=0&limit=200');
      expect(all.status).toBe(200);
      expect(seqsOf(all)).toEqual(range(1, 200));
      expect(all.body.nextCursor).toBeNull();
      const stored = new Map(all.body.items.map((m: { id: string }) => [m.id, m]));
      for (const r of results) expect(stored.get(r.body.id)).toEqual(r.body);
      expect(await lastSeq(room.id)).toBe(200);

      // Default limit: the latest 50.
      const latest = await history(owner, room.id);
      expect(seqsOf(latest)).toEqual(range(151, 200));
      expect(latest.body.nextCursor).toBe('151');
      // Max limit 200: with 201 messages, one page of 200 and a cursor for the rest.
      expect((await sendMessage(t.baseUrl, owner, room.id, { content: 'one more' })).body.seq).toBe(
        201,
      );
      const max = await history(owner, room.id, '?limit=200');
      expect(seqsOf(max)).toEqual(range(2, 201));
      expect(max.body.nextCursor).toBe('2');
      const rest = await history(owner, room.id, `?beforeSeq=${max.body.nextCursor}&limit=200`);
      expect(seqsOf(rest)).toEqual([1]);
      expect(rest.body.nextCursor).toBeNull();
      expectError(await history(owner, room.id, '?limit=201'), 400, 'VALIDATION_FAILED');
    });

    it('concurrent duplicates of one clientMsgId from one sender store exactly one message, with no seq gap', async () => {
      const room = await sharedRoom();
      const clientMsgId = `dup-${randomUUID()}`;
      const dupes = range(1, 10).map(() =>
        sendMessage(t.baseUrl, alice, room.id, { content: 'exactly once', clientMsgId }),
      );
      const others = range(1, 10).map((i) =>
        sendMessage(t.baseUrl, bob, room.id, { content: `bob ${i}` }),
      );
      const [dupResults, otherResults] = await Promise.all([
        Promise.all(dupes),
        Promise.all(others),
      ]);

      for (const r of dupResults) expect([200, 201]).toContain(r.status);
      const ids = new Set(dupResults.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      for (const r of dupResults) expect(r.body).toEqual(dupResults[0].body);
      for (const r of otherResults) expect(r.status).toBe(201);

      const h = await history(alice, room.id, '?afterSeq=0&limit=200');
      expect(seqsOf(h)).toEqual(range(1, 11));
      expect(
        h.body.items.filter((m: { clientMsgId: string | null }) => m.clientMsgId === clientMsgId),
      ).toEqual([dupResults[0].body]);
      expect(await lastSeq(room.id)).toBe(11);
      expect((await sendMessage(t.baseUrl, alice, room.id, { content: 'next' })).body.seq).toBe(12);
    });
  });
});
