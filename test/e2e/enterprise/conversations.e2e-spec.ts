// Conversations (read state, direct rooms, invitations, people) with the enterprise modules on:
// the same rules hold for a banned user's direct rooms, a muted member and organisation rooms.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { enterpriseEnv, withDatabase } from '../../support/flags.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  uniqueName,
  type TestUser,
} from '../../support/http.js';
import { connectWithTicket, type WsTestClient } from '../../support/ws-client.js';

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('conversations with the admin and organisations modules on', () => {
  const adminName = uniqueName('cadm');
  let t: TestApp;
  let admin: TestUser;
  const sockets: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp(
      enterpriseEnv(['FEATURE_ADVANCED_ADMIN', 'FEATURE_ORGANIZATIONS'], {
        ADMIN_USERNAMES: adminName,
        RATE_LIMIT_HTTP_PER_MIN: '1000000',
      }),
    );
    admin = await registerUser(t.baseUrl, { username: adminName });
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await t.close();
  });

  const api = (user: TestUser, method: string, path: string, body?: unknown) =>
    http(t.baseUrl, method, `/api${path}`, { token: user.accessToken, body });
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    withDatabase(
      process.env.ENTERPRISE_DATABASE_URL!,
      async (c) => (await c.query(text, params)).rows as T[],
    );
  const connect = async (u: TestUser) => {
    const s = await connectWithTicket(t, u);
    sockets.push(s);
    return s;
  };
  const users = (n: number) =>
    Promise.all(Array.from({ length: n }, () => registerUser(t.baseUrl)));
  const itemOf = async (u: TestUser, roomId: string) =>
    (await api(u, 'GET', '/users/me/rooms?limit=200')).body.items.find(
      (i: { id: string }) => i.id === roomId,
    );
  const directRooms = async (ids: string[]) =>
    (await sql('SELECT id FROM rooms WHERE direct_key = $1', [[...ids].sort().join(',')])).length;

  describe("a banned user's direct rooms", () => {
    it('no new or reopened direct room with them while banned; the existing one stays readable; after unban it is the same room', async () => {
      const [a, b, c] = await users(3);
      const dm = await api(a, 'POST', '/dms', { userIds: [b.id] });
      expect(dm.status).toBe(201);
      expect(
        (await sendMessage(t.baseUrl, b, dm.body.id, { content: 'before the ban' })).status,
      ).toBe(201);
      expect(
        (await api(admin, 'POST', `/admin/users/${b.id}/ban`, { reason: 'spam' })).status,
      ).toBe(200);

      expectError(await api(a, 'POST', '/dms', { userIds: [b.id] }), 403, 'USER_INACTIVE');
      expectError(await api(c, 'POST', '/dms', { userIds: [b.id, a.id] }), 403, 'USER_INACTIVE');
      expect(await directRooms([a.id, b.id])).toBe(1);
      expect(await directRooms([a.id, b.id, c.id])).toBe(0);
      // Nor invited anywhere, nor found by the people search.
      const priv = await createRoom(t.baseUrl, a, { isPrivate: true, password: 'pw-secret' });
      expectError(
        await api(a, 'POST', `/rooms/${priv.id}/invites`, { userId: b.id }),
        403,
        'USER_INACTIVE',
      );
      const found = await api(a, 'GET', `/users?q=${encodeURIComponent(b.username)}`);
      expect(found.body.items).toEqual([]);
      // The other side keeps the conversation: listed with its unread message, readable.
      expect(await itemOf(a, dm.body.id)).toMatchObject({ kind: 'direct', unreadCount: 1 });
      const history = await api(a, 'GET', `/rooms/${dm.body.id}/messages`);
      expect(history.body.items.map((m: { content: string }) => m.content)).toEqual([
        'before the ban',
      ]);
      expect((await api(a, 'POST', `/rooms/${dm.body.id}/read`, { seq: 1 })).status).toBe(204);

      expect((await api(admin, 'POST', `/admin/users/${b.id}/unban`, {})).status).toBe(200);
      const again = await api(a, 'POST', '/dms', { userIds: [b.id] });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(dm.body.id);
    });
  });

  describe('a muted member of a direct room', () => {
    it('cannot send there (REST and WS), so their marker does not move; reading still does', async () => {
      const [a, b] = await users(2);
      const dm = (await api(a, 'POST', '/dms', { userIds: [b.id] })).body;
      for (const content of ['one', 'two'])
        expect((await sendMessage(t.baseUrl, a, dm.id, { content })).status).toBe(201);
      expect(
        (
          await api(admin, 'POST', `/admin/rooms/${dm.id}/mutes`, {
            userId: b.id,
            until: inAnHour(),
          })
        ).status,
      ).toBe(201);

      const ws = await connect(b);
      expectError(await sendMessage(t.baseUrl, b, dm.id, { content: 'let me talk' }), 403, 'MUTED');
      const refused = await ws.sendMessage(dm.id, 'over ws', 'muted-dm-1');
      expect(refused).toMatchObject({ event: 'error', data: { code: 'MUTED', ref: 'muted-dm-1' } });
      await ws.roundTrip();
      expect(ws.frames.filter((f) => f.event === 'read.updated')).toEqual([]);
      expect(await itemOf(b, dm.id)).toMatchObject({ lastSeq: 2, lastReadSeq: 0, unreadCount: 2 });

      ws.send('room.read', { roomId: dm.id, seq: 2 });
      const f = await ws.waitFor((x) => x.event === 'read.updated' && x.data.roomId === dm.id);
      expect(f.data).toEqual({ roomId: dm.id, lastReadSeq: 2, unreadCount: 0, mentionCount: 0 });
      // The mute is the room's: a's own sends and another direct room of b's are untouched.
      expect((await sendMessage(t.baseUrl, a, dm.id, { content: 'three' })).status).toBe(201);
      const [c] = await users(1);
      const other = (await api(b, 'POST', '/dms', { userIds: [c.id] })).body;
      expect((await sendMessage(t.baseUrl, b, other.id, { content: 'elsewhere' })).status).toBe(
        201,
      );
    });
  });

  describe('organisation rooms', () => {
    async function orgWith(members: TestUser[], owner: TestUser) {
      const org = await api(owner, 'POST', '/orgs', { name: uniqueName('ConvOrg') });
      expect(org.status).toBe(201);
      for (const m of members)
        expect((await api(owner, 'PUT', `/orgs/${org.body.id}/members/${m.id}`, {})).status).toBe(
          201,
        );
      return org.body.id as string;
    }
    async function orgRoom(owner: TestUser, orgId: string, isPrivate: boolean) {
      const body = { name: uniqueName('orgroom'), isPrivate, orgId };
      const res = await api(
        owner,
        'POST',
        '/rooms',
        isPrivate ? { ...body, password: 'pw-secret' } : body,
      );
      expect(res.status).toBe(201);
      return res.body as { id: string };
    }

    it("inviting someone outside the room's organisation is refused and tells them nothing", async () => {
      const [owner, colleague, outsider] = await users(3);
      const orgId = await orgWith([colleague], owner);
      const room = await orgRoom(owner, orgId, true);
      const outsiderWs = await connect(outsider);

      expectError(
        await api(owner, 'POST', `/rooms/${room.id}/invites`, { userId: outsider.id }),
        403,
        'NOT_ORG_MEMBER',
      );
      expect(await sql('SELECT 1 FROM room_invites WHERE room_id = $1', [room.id])).toEqual([]);
      // A colleague is invited as usual, and the invite lets them in.
      const ok = await api(owner, 'POST', `/rooms/${room.id}/invites`, { userId: colleague.id });
      expect(ok.status).toBe(201);
      expect((await joinRoom(t.baseUrl, colleague, room.id)).status).toBe(200);
      await outsiderWs.roundTrip();
      expect(outsiderWs.frames.filter((f) => f.event === 'invite.received')).toEqual([]);
      expect((await api(outsider, 'GET', '/users/me/invites')).body.items).toEqual([]);
    });

    it('an org room is in the room list with its read state; removed from the organisation, it is gone from the list and room.read', async () => {
      const [owner, colleague] = await users(2);
      const orgId = await orgWith([colleague], owner);
      const room = await orgRoom(owner, orgId, false);
      expect((await joinRoom(t.baseUrl, colleague, room.id)).status).toBe(200);
      expect(
        (await sendMessage(t.baseUrl, owner, room.id, { content: `hi @${colleague.username}` }))
          .status,
      ).toBe(201);
      expect(await itemOf(colleague, room.id)).toMatchObject({
        orgId,
        unreadCount: 1,
        mentionCount: 1,
      });

      expect((await api(owner, 'DELETE', `/orgs/${orgId}/members/${colleague.id}`)).status).toBe(
        204,
      );
      expect(await itemOf(colleague, room.id)).toBeUndefined();
      expectError(
        await api(colleague, 'POST', `/rooms/${room.id}/read`, { seq: 1 }),
        404,
        'ROOM_NOT_FOUND',
      );
      const ws = await connect(colleague);
      const from = ws.frames.length;
      ws.send('room.read', { roomId: room.id, seq: 1 });
      expect((await ws.waitFor('error', 5000, from)).data.code).toBe('ROOM_NOT_FOUND');
    });

    it('an open invite to an org room stops being listed or usable once the invitee leaves the organisation', async () => {
      const [owner, colleague] = await users(2);
      const orgId = await orgWith([colleague], owner);
      const room = await orgRoom(owner, orgId, true);
      expect(
        (await api(owner, 'POST', `/rooms/${room.id}/invites`, { userId: colleague.id })).status,
      ).toBe(201);
      expect(
        (await api(colleague, 'DELETE', `/orgs/${orgId}/members/${colleague.id}`)).status,
      ).toBe(204);
      expect((await api(colleague, 'GET', '/users/me/invites')).body.items).toEqual([]);
      expectError(await joinRoom(t.baseUrl, colleague, room.id), 404, 'ROOM_NOT_FOUND');
    });
  });
});
