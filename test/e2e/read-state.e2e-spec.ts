import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  withDb,
  type TestUser,
} from '../support/http.js';
import { WsTestClient, type Frame } from '../support/ws-client.js';
import { roomListSql } from '../../src/modules/read-state/infrastructure/persistence/sql-read-state.repository.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

describe('read state and the room list', () => {
  let t: TestApp;
  const sockets: WsTestClient[] = [];
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t.close();
  });

  const connect = async (u: TestUser) => {
    const s = await WsTestClient.connect(t.wsUrl, { token: u.accessToken });
    sockets.push(s);
    return s;
  };
  const myRooms = (u: TestUser, query = '') =>
    http(t.baseUrl, 'GET', `/api/users/me/rooms${query}`, { token: u.accessToken });
  const markRead = (u: TestUser, roomId: string, seq: unknown) =>
    http(t.baseUrl, 'POST', `/api/rooms/${roomId}/read`, { token: u.accessToken, body: { seq } });
  const itemOf = async (u: TestUser, roomId: string) =>
    (await myRooms(u, '?limit=200')).body.items.find((i: { id: string }) => i.id === roomId);
  const readUpdates = (ws: WsTestClient, roomId: string) =>
    ws.frames.filter((f: Frame) => f.event === 'read.updated' && f.data.roomId === roomId);
  const send = async (u: TestUser, roomId: string, n: number) => {
    for (let i = 0; i < n; i++)
      expect((await sendMessage(t.baseUrl, u, roomId, { content: `m${i}` })).status).toBe(201);
  };

  it('room.read moves the marker forward only, clamped to lastSeq; every socket of the user hears it', async () => {
    const [owner, reader] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const room = await createRoom(t.baseUrl, owner);
    await joinRoom(t.baseUrl, reader, room.id);
    await send(owner, room.id, 5);
    expect(await itemOf(reader, room.id)).toMatchObject({
      lastReadSeq: 0,
      unreadCount: 5,
      lastSeq: 5,
    });

    // Two sockets, neither subscribed to the room.
    const [ws1, ws2] = [await connect(reader), await connect(reader)];
    ws1.send('room.read', { roomId: room.id, seq: 3 });
    for (const ws of [ws1, ws2]) {
      const f = await ws.waitFor((x) => x.event === 'read.updated' && x.data.roomId === room.id);
      expect(f.data).toEqual({ roomId: room.id, lastReadSeq: 3, unreadCount: 2, mentionCount: 0 });
    }

    // Backwards: nothing moves, nobody is told.
    ws1.send('room.read', { roomId: room.id, seq: 2 });
    expect((await markRead(reader, room.id, 1)).status).toBe(204);
    await ws1.roundTrip();
    await ws2.roundTrip();
    expect(readUpdates(ws2, room.id)).toHaveLength(1);
    expect((await itemOf(reader, room.id)).lastReadSeq).toBe(3);

    // Past the end: clamped to lastSeq (REST this time).
    expect((await markRead(reader, room.id, 999)).status).toBe(204);
    const f = await ws2.waitFor(
      (x) => x.event === 'read.updated' && x.data.roomId === room.id && x.data.lastReadSeq === 5,
    );
    expect(f.data.unreadCount).toBe(0);
    expect(await itemOf(reader, room.id)).toMatchObject({ lastReadSeq: 5, unreadCount: 0 });
  });

  it("a user's own send moves their marker, and their other sockets hear it", async () => {
    const [owner, member] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const room = await createRoom(t.baseUrl, owner);
    await joinRoom(t.baseUrl, member, room.id);
    await send(owner, room.id, 4);
    const phone = await connect(member);
    await send(member, room.id, 1);
    const f = await phone.waitFor((x) => x.event === 'read.updated' && x.data.roomId === room.id);
    expect(f.data).toEqual({ roomId: room.id, lastReadSeq: 5, unreadCount: 0, mentionCount: 0 });
    expect(await itemOf(member, room.id)).toMatchObject({ lastReadSeq: 5, unreadCount: 0 });
    // The owner's own four sends left them nothing unread; the member's one is unread for them.
    expect(await itemOf(owner, room.id)).toMatchObject({ lastReadSeq: 4, unreadCount: 1 });
  });

  it('a new member starts with nothing unread; members list their lastReadSeq', async () => {
    const [owner, late] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const room = await createRoom(t.baseUrl, owner);
    await send(owner, room.id, 3);
    await joinRoom(t.baseUrl, late, room.id);
    expect(await itemOf(late, room.id)).toMatchObject({ lastReadSeq: 3, unreadCount: 0 });
    const members = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/members`, {
      token: late.accessToken,
    });
    expect(
      Object.fromEntries(
        members.body.items.map((m: { userId: string; lastReadSeq: number }) => [
          m.userId,
          m.lastReadSeq,
        ]),
      ),
    ).toEqual({ [owner.id]: 3, [late.id]: 3 });
  });

  it('mentionCount counts the mentions after the marker', async () => {
    const [owner, member] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const room = await createRoom(t.baseUrl, owner);
    await joinRoom(t.baseUrl, member, room.id);
    await send(owner, room.id, 4);
    // Stored as the send path stores them: one row per mentioned member.
    await withDb((c) =>
      c.query(
        `INSERT INTO message_mentions (room_id, seq, user_id) VALUES ($1, 2, $2), ($1, 4, $2)
         ON CONFLICT DO NOTHING`,
        [room.id, member.id],
      ),
    );
    expect((await itemOf(member, room.id)).mentionCount).toBe(2);
    const ws = await connect(member);
    ws.send('room.read', { roomId: room.id, seq: 2 });
    const f = await ws.waitFor((x) => x.event === 'read.updated' && x.data.roomId === room.id);
    expect(f.data).toEqual({ roomId: room.id, lastReadSeq: 2, unreadCount: 2, mentionCount: 1 });
    expect((await itemOf(member, room.id)).mentionCount).toBe(1);
  });

  it('mentionCount counts @mentions written by the send path itself, and a read clears them', async () => {
    const [owner, member] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const room = await createRoom(t.baseUrl, owner);
    await joinRoom(t.baseUrl, member, room.id);
    const mention = (content: string) =>
      sendMessage(t.baseUrl, owner, room.id, { content }).then((r) => {
        expect(r.status).toBe(201);
        return r.body as { seq: number; mentions: string[] };
      });
    expect((await mention(`hello @${member.username}`)).mentions).toEqual([member.id]);
    await mention('no mention here');
    const last = await mention(`@${member.username} and @nobody_${member.username}`);
    expect(await itemOf(member, room.id)).toMatchObject({ unreadCount: 3, mentionCount: 2 });
    expect((await itemOf(owner, room.id)).mentionCount).toBe(0);
    expect((await markRead(member, room.id, last.seq)).status).toBeLessThan(300);
    expect(await itemOf(member, room.id)).toMatchObject({ unreadCount: 0, mentionCount: 0 });
  });

  describe('bad room.read input: an error, the connection stays, nothing moves', () => {
    it.each([
      ['a negative seq', -1, 'VALIDATION_FAILED'],
      ['a fractional seq', 1.5, 'VALIDATION_FAILED'],
      ['a string seq', '2', 'VALIDATION_FAILED'],
      ['no seq', undefined, 'VALIDATION_FAILED'],
    ])('%s', async (_l, seq, code) => {
      const owner = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner);
      await send(owner, room.id, 2);
      await markRead(owner, room.id, 0);
      const ws = await connect(owner);
      const from = ws.frames.length;
      ws.send('room.read', seq === undefined ? { roomId: room.id } : { roomId: room.id, seq });
      const err = await ws.waitFor('error', 5000, from);
      expect(err.data.code).toBe(code);
      await ws.roundTrip(); // still open
      expectError(await markRead(owner, room.id, seq ?? null), 400, 'VALIDATION_FAILED');
      expect((await itemOf(owner, room.id)).lastReadSeq).toBe(2); // own sends only
    });

    it('a room the caller is not in: 403 NOT_ROOM_MEMBER (public), 404 ROOM_NOT_FOUND (private)', async () => {
      const [owner, outsider] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
      const pub = await createRoom(t.baseUrl, owner);
      const priv = await createRoom(t.baseUrl, owner, { isPrivate: true, password: 'pw-secret' });
      const ws = await connect(outsider);
      const from = ws.frames.length;
      ws.send('room.read', { roomId: pub.id, seq: 1 });
      expect((await ws.waitFor('error', 5000, from)).data.code).toBe('NOT_ROOM_MEMBER');
      const from2 = ws.frames.length;
      ws.send('room.read', { roomId: priv.id, seq: 1 });
      expect((await ws.waitFor('error', 5000, from2)).data.code).toBe('ROOM_NOT_FOUND');
      expectError(await markRead(outsider, pub.id, 1), 403, 'NOT_ROOM_MEMBER');
      expectError(await markRead(outsider, priv.id, 1), 404, 'ROOM_NOT_FOUND');
      expectError(await markRead(outsider, 'nope', 1), 400, 'VALIDATION_FAILED');
    });
  });

  it('GET /api/users/me/rooms: rooms and direct rooms, most recent message first, keyset-paginated', async () => {
    const [me, other] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const quiet = await createRoom(t.baseUrl, me);
    const a = await createRoom(t.baseUrl, other);
    const b = await createRoom(t.baseUrl, me);
    await joinRoom(t.baseUrl, me, a.id);
    const dm = (
      await http(t.baseUrl, 'POST', '/api/dms', {
        token: me.accessToken,
        body: { userIds: [other.id] },
      })
    ).body;
    // Activity order, newest last: b, dm, a.
    await send(me, b.id, 1);
    await sendMessage(t.baseUrl, other, dm.id, { content: 'psst @' + me.username });
    await sendMessage(t.baseUrl, other, a.id, { content: 'latest' });

    const first = await myRooms(me, '?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([a.id, dm.id]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await myRooms(me, `?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((i: { id: string }) => i.id)).toEqual([b.id, quiet.id]);
    expect(second.body.nextCursor).toBeNull();

    const [top, direct] = first.body.items;
    expect(top).toMatchObject({
      id: a.id,
      kind: 'room',
      lastSeq: 1,
      lastReadSeq: 0,
      unreadCount: 1,
      mentionCount: 0,
      lastMessage: { seq: 1, userId: other.id, username: other.username, content: 'latest' },
    });
    expect(direct).toMatchObject({ id: dm.id, kind: 'direct', unreadCount: 1 });
    expect(second.body.items[0]).toMatchObject({ unreadCount: 0, lastReadSeq: 1 });
    expect(second.body.items[1]).toMatchObject({ lastSeq: 0, lastMessage: null, unreadCount: 0 });
    expect(Object.keys(top).sort()).toEqual(
      [
        'createdAt',
        'description',
        'id',
        'isPrivate',
        'kind',
        'lastEventSeq',
        'lastMessage',
        'lastReadSeq',
        'lastSeq',
        'memberCount',
        'mentionCount',
        'name',
        'orgId',
        'ownerId',
        'retentionDays',
        'unreadCount',
        'updatedAt',
      ].sort(),
    );
    expectError(await myRooms(me, '?cursor=nope'), 400, 'VALIDATION_FAILED');
    expectError(await myRooms(me, '?limit=0'), 400, 'VALIDATION_FAILED');
  });

  it('the room list is index scans only: memberships by user and copy of activity, rooms and messages by key, no per-room query', async () => {
    const me = await registerUser(t.baseUrl);
    for (let i = 0; i < 12; i++) {
      const r = await createRoom(t.baseUrl, me);
      if (i % 3 === 0) await send(me, r.id, 1);
    }
    const plan = await withDb(async (c) => {
      // As in the migrations test: ask whether the index paths exist, whatever the table sizes.
      await c.query('SET enable_seqscan = off');
      await c.query('SET enable_bitmapscan = off');
      const res = await c.query(`EXPLAIN (FORMAT JSON) ${roomListSql(true)}`, [
        me.id,
        51,
        '2100-01-01T00:00:00.000000Z',
        '00000000-0000-4000-8000-000000000000',
      ]);
      return (res.rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan;
    });
    const all = nodes(plan);
    const scans = all.filter((n) => n['Relation Name']);
    expect(scans.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    const indexOf = (table: string) =>
      new Set(scans.filter((n) => n['Relation Name'] === table).map((n) => n['Index Name']));
    expect(indexOf('room_members')).toEqual(new Set(['room_members_user_listed_idx']));
    expect(indexOf('rooms')).toEqual(new Set(['rooms_pkey']));
    expect(indexOf('messages')).toEqual(new Set(['messages_pkey']));
    expect(indexOf('message_mentions')).toEqual(new Set(['message_mentions_user_idx']));
    // The head and the page each scan memberships and rooms once; then mentions, the newest
    // message and its author (the per-page probes are loop iterations).
    expect(scans).toHaveLength(7);
    const res = await myRooms(me, '?limit=50');
    expect(res.body.items).toHaveLength(12);
  });

  it('a user in 1,000 rooms: a page reads about a page of memberships, in the exact order while the copies of activity lag', async () => {
    const [me, other] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const ids = await withDb(async (c) => {
      const { rows } = await c.query<{ id: string }>(
        `INSERT INTO rooms (name, owner_id, is_private, member_count)
         SELECT 'list-' || $2::text || '-' || g, $1, false, 2 FROM generate_series(1, 1000) g RETURNING id`,
        [other.id, me.username],
      );
      const roomIds = rows.map((r) => r.id);
      await c.query(
        `INSERT INTO room_members (room_id, user_id, role)
         SELECT r, $2::uuid, 'owner' FROM unnest($1::uuid[]) r
         UNION ALL SELECT r, $3::uuid, 'member' FROM unnest($1::uuid[]) r`,
        [roomIds, other.id, me.id],
      );
      // Activity 2 s apart, then every seventh room a little more recent (less than the lag, so
      // its members' copy stays behind) and past some of its neighbours.
      await c.query(
        `UPDATE rooms r SET last_activity_at = now() - t.n * interval '2 seconds'
           FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n) WHERE r.id = t.id`,
        [roomIds],
      );
      await c.query(
        `UPDATE rooms r SET last_activity_at = last_activity_at + interval '5 seconds'
           FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n) WHERE r.id = t.id AND t.n % 7 = 0`,
        [roomIds],
      );
      await c.query('ANALYZE rooms, room_members');
      return roomIds;
    });
    const expected = await withDb(async (c) => {
      const { rows } = await c.query<{ id: string }>(
        `SELECT r.id FROM rooms r JOIN room_members m ON m.room_id = r.id
          WHERE m.user_id = $1 ORDER BY r.last_activity_at DESC, r.id DESC`,
        [me.id],
      );
      return rows.map((r) => r.id);
    });
    expect(expected).toHaveLength(ids.length);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 25; page++) {
      const res = await myRooms(me, `?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(expected);

    // Rows read from the memberships per page: a page and the rooms within the lag of its
    // end, not all 1,000 (the plan the app's prepared statement settles on, a generic one).
    const [first] = await withDb(async (c) =>
      (await c.query(roomListSql(false), [me.id, 51])).rows.slice(49, 50),
    );
    for (const [sql, params] of [
      [roomListSql(false), [me.id, 51]],
      [roomListSql(true), [me.id, 51, first.cursor_ts, first.id]],
    ] as const) {
      const plan = await withDb(async (c) => {
        await c.query('SET plan_cache_mode = force_generic_plan');
        await c.query(`PREPARE list_page AS ${sql}`);
        const args = params.map((p) => (typeof p === 'number' ? String(p) : `'${p}'`)).join(', ');
        const res = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE list_page(${args})`);
        return (res.rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan;
      });
      const membershipRows = nodes(plan)
        .filter((n) => n['Relation Name'] === 'room_members')
        .reduce((a, n) => a + (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1), 0);
      expect(membershipRows).toBeGreaterThanOrEqual(51);
      expect(membershipRows).toBeLessThan(200);
    }
  });
});
