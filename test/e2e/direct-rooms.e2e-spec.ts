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

describe('direct rooms (POST /api/dms)', () => {
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

  const openDm = (u: TestUser, userIds: unknown) =>
    http(t.baseUrl, 'POST', '/api/dms', { token: u.accessToken, body: { userIds } });
  const directRoomsOf = (ids: string[]) =>
    withDb(async (c) => {
      const key = [...ids].sort().join(',');
      return (await c.query('SELECT id FROM rooms WHERE direct_key = $1', [key])).rows.length;
    });

  it('201 a new direct room, then 200 the same one whoever asks and in whatever order', async () => {
    const [a, b] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const first = await openDm(a, [b.id]);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      kind: 'direct',
      isPrivate: true,
      memberCount: 2,
      ownerId: a.id,
      lastSeq: 0,
    });
    for (const [u, ids] of [
      [b, [a.id]],
      [a, [b.id, a.id]],
      [a, [b.id.toUpperCase()]],
    ] as const) {
      const again = await openDm(u, ids);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
    }
    // Both are members: both read and send; a group of three is another room.
    expect((await sendMessage(t.baseUrl, b, first.body.id, { content: 'hi' })).status).toBe(201);
    const members = await http(t.baseUrl, 'GET', `/api/rooms/${first.body.id}/members`, {
      token: a.accessToken,
    });
    expect(members.body.items.map((m: { userId: string }) => m.userId).sort()).toEqual(
      [a.id, b.id].sort(),
    );
    const c = await registerUser(t.baseUrl);
    const group = await openDm(a, [b.id, c.id]);
    expect(group.status).toBe(201);
    expect(group.body.id).not.toBe(first.body.id);
    expect(group.body.memberCount).toBe(3);
  });

  it("a new direct room reaches every member's sockets as dm.created {room}; reopening it sends nothing", async () => {
    const [a, b, c, stranger] = [
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
    ];
    // None of them subscribed to anything; the opener's other device is told too.
    const [aPhone, b1, b2, c1, s1] = [
      await connect(a),
      await connect(b),
      await connect(b),
      await connect(c),
      await connect(stranger),
    ];
    const res = await openDm(a, [b.id, c.id]);
    expect(res.status).toBe(201);
    for (const ws of [aPhone, b1, b2, c1]) {
      const f = await ws.waitFor('dm.created');
      expect(f.data).toEqual({ room: res.body });
    }
    const created = (ws: WsTestClient) => ws.frames.filter((f: Frame) => f.event === 'dm.created');
    expect((await openDm(b, [a.id, c.id])).status).toBe(200);
    for (const ws of [aPhone, b1, b2, c1, s1]) await ws.roundTrip();
    for (const ws of [aPhone, b1, b2, c1]) expect(created(ws)).toHaveLength(1);
    expect(created(s1)).toEqual([]);
  });

  it('concurrent requests from both sides make one room', async () => {
    const [a, b] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? openDm(a, [b.id]) : openDm(b, [a.id]))),
    );
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(11);
    expect(await directRoomsOf([a.id, b.id])).toBe(1);
  });

  it('is private to its members and never listed by GET /api/rooms', async () => {
    const [a, b, c] = [
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
    ];
    const dm = (await openDm(a, [b.id])).body;
    expect(
      (await http(t.baseUrl, 'GET', `/api/rooms/${dm.id}`, { token: b.accessToken })).body.kind,
    ).toBe('direct');
    expectError(
      await http(t.baseUrl, 'GET', `/api/rooms/${dm.id}`, { token: c.accessToken }),
      404,
      'ROOM_NOT_FOUND',
    );
    for (const u of [a, c]) {
      const list = await http(t.baseUrl, 'GET', '/api/rooms?limit=200', { token: u.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.items.map((r: { id: string }) => r.id)).not.toContain(dm.id);
      expect(list.body.items.every((r: { kind: string }) => r.kind === 'room')).toBe(true);
    }
  });

  it('403 DIRECT_ROOM: nobody joins, leaves, renames or deletes it', async () => {
    const [a, b, c] = [
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
    ];
    const dm = (await openDm(a, [b.id])).body;
    expectError(await joinRoom(t.baseUrl, c, dm.id), 403, 'DIRECT_ROOM');
    expectError(
      await http(t.baseUrl, 'POST', `/api/rooms/${dm.id}/leave`, { token: b.accessToken }),
      403,
      'DIRECT_ROOM',
    );
    expectError(
      await http(t.baseUrl, 'PATCH', `/api/rooms/${dm.id}`, {
        token: a.accessToken,
        body: { name: 'renamed' },
      }),
      403,
      'DIRECT_ROOM',
    );
    expectError(
      await http(t.baseUrl, 'DELETE', `/api/rooms/${dm.id}`, { token: a.accessToken }),
      403,
      'DIRECT_ROOM',
    );
    const after = await http(t.baseUrl, 'GET', `/api/rooms/${dm.id}`, { token: a.accessToken });
    expect(after.body).toMatchObject({ name: dm.name, memberCount: 2 });
  });

  it('the v1 room rules stand for rooms: a private room needs a password, names stay unique', async () => {
    const a = await registerUser(t.baseUrl);
    expectError(
      await http(t.baseUrl, 'POST', '/api/rooms', {
        token: a.accessToken,
        body: { name: `nopw-${a.id}`, isPrivate: true },
      }),
      400,
      'ROOM_PASSWORD_REQUIRED',
    );
    const room = await createRoom(t.baseUrl, a);
    expect(room.kind).toBe('room');
    expectError(
      await http(t.baseUrl, 'POST', '/api/rooms', {
        token: a.accessToken,
        body: { name: room.name.toUpperCase(), isPrivate: false },
      }),
      409,
      'ROOM_NAME_TAKEN',
    );
  });

  it("a direct room's name is not unique: a room may carry it too", async () => {
    const [a, b] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const dm = (await openDm(a, [b.id])).body;
    const room = await createRoom(t.baseUrl, a, { name: dm.name });
    expect(room.name).toBe(dm.name);
  });

  describe('bad input changes nothing', () => {
    it('400 DM_NEEDS_OTHERS with oneself only', async () => {
      const a = await registerUser(t.baseUrl);
      expectError(await openDm(a, [a.id]), 400, 'DM_NEEDS_OTHERS');
      expect(await directRoomsOf([a.id])).toBe(0);
    });

    it('400 VALIDATION_FAILED for a duplicate id, none, not an array, not UUIDs', async () => {
      const [a, b] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
      for (const ids of [[b.id, b.id], [b.id, b.id.toUpperCase()], [], 'x', ['nope'], null])
        expectError(await openDm(a, ids), 400, 'VALIDATION_FAILED');
      expect(await directRoomsOf([a.id, b.id])).toBe(0);
    });

    it('400 DM_TOO_MANY_USERS with more than 8 others', async () => {
      const a = await registerUser(t.baseUrl);
      const others = [];
      for (let i = 0; i < 9; i++) others.push((await registerUser(t.baseUrl)).id);
      expectError(await openDm(a, others), 400, 'DM_TOO_MANY_USERS');
      expect((await openDm(a, others.slice(0, 8))).status).toBe(201);
      expectError(await openDm(a, [...others, a.id]), 400, 'VALIDATION_FAILED'); // 10 entries
    });

    it('404 USER_NOT_FOUND for an unknown user; 403 USER_INACTIVE for a disabled or banned one', async () => {
      const [a, b, d, x] = [
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
      ];
      const unknown = '00000000-0000-4000-8000-00000000dead';
      expectError(await openDm(a, [b.id, unknown]), 404, 'USER_NOT_FOUND');
      await withDb((c) =>
        c.query(
          `UPDATE users SET status = CASE WHEN id = $1 THEN 'disabled' ELSE 'banned' END WHERE id IN ($1, $2)`,
          [d.id, x.id],
        ),
      );
      expectError(await openDm(a, [d.id]), 403, 'USER_INACTIVE');
      expectError(await openDm(a, [b.id, x.id]), 403, 'USER_INACTIVE');
      expect(await directRoomsOf([a.id, b.id, unknown])).toBe(0);
      expect(await directRoomsOf([a.id, d.id])).toBe(0);
      expect(await directRoomsOf([a.id, b.id, x.id])).toBe(0);
    });

    it('401 without a token', async () => {
      expectError(await http(t.baseUrl, 'POST', '/api/dms', { body: { userIds: [] } }), 401);
    });
  });
});
