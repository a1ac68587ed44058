import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  withDb,
  type TestUser,
} from '../support/http.js';
import { WsTestClient } from '../support/ws-client.js';

describe('room invitations', () => {
  let t: TestApp;
  const sockets: WsTestClient[] = [];
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t.close();
  });

  const invite = (owner: TestUser, roomId: string, userId: unknown) =>
    http(t.baseUrl, 'POST', `/api/rooms/${roomId}/invites`, {
      token: owner.accessToken,
      body: { userId },
    });
  const myInvites = (u: TestUser) =>
    http(t.baseUrl, 'GET', '/api/users/me/invites', { token: u.accessToken });
  const privateRoom = (owner: TestUser) =>
    createRoom(t.baseUrl, owner, { isPrivate: true, password: 'secret-pw' });
  const openInvites = (roomId: string) =>
    withDb(async (c) =>
      Number(
        (
          await c.query(
            'SELECT count(*) AS n FROM room_invites WHERE room_id = $1 AND closed_at IS NULL',
            [roomId],
          )
        ).rows[0].n,
      ),
    );
  const connect = async (u: TestUser) => {
    const s = await WsTestClient.connect(t.wsUrl, { token: u.accessToken });
    sockets.push(s);
    return s;
  };

  it('201 an invite; the invitee sees it live and listed, joins without the password, once', async () => {
    const [owner, guest] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const room = await privateRoom(owner);
    const [ws1, ws2] = [await connect(guest), await connect(guest)];

    const res = await invite(owner, room.id, guest.id);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual([
      'createdAt',
      'id',
      'invitedBy',
      'roomId',
      'userId',
    ]);
    expect(res.body).toMatchObject({ roomId: room.id, userId: guest.id, invitedBy: owner.id });

    // Every socket of the invitee, none of them subscribed to anything.
    for (const ws of [ws1, ws2]) {
      const f = await ws.waitFor('invite.received');
      expect(f.data.invite).toEqual(res.body);
      expect(f.data.room).toMatchObject({ id: room.id, kind: 'room', isPrivate: true });
    }

    const listed = await myInvites(guest);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ ...res.body, room: { id: room.id } });
    expect(listed.body.nextCursor).toBeNull();

    const joined = await joinRoom(t.baseUrl, guest, room.id);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ roomId: room.id, userId: guest.id, role: 'member' });
    expect((await myInvites(guest)).body.items).toEqual([]);

    // Used: after leaving, the password is needed again.
    expect(
      (await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/leave`, { token: guest.accessToken }))
        .status,
    ).toBe(204);
    expectError(await joinRoom(t.baseUrl, guest, room.id), 403, 'ROOM_PASSWORD_INVALID');
  });

  it('two concurrent joins on one invite: both end as the one membership, the invite used once', async () => {
    const [owner, guest] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
    const room = await privateRoom(owner);
    await invite(owner, room.id, guest.id);
    const results = await Promise.all([
      joinRoom(t.baseUrl, guest, room.id),
      joinRoom(t.baseUrl, guest, room.id),
    ]);
    // One used the invite; the other either saw the membership or found no invite left.
    expect(results.map((r) => r.status)).toContain(200);
    const used = await withDb(
      async (c) =>
        (
          await c.query(
            `SELECT count(*)::int AS n FROM room_invites WHERE room_id = $1 AND closed_reason = 'used'`,
            [room.id],
          )
        ).rows[0].n,
    );
    expect(used).toBe(1);
  });

  it('DELETE: the owner withdraws, the invitee declines; either way it no longer lets anyone in', async () => {
    const [owner, a, b, stranger] = [
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
      await registerUser(t.baseUrl),
    ];
    const room = await privateRoom(owner);
    const ia = (await invite(owner, room.id, a.id)).body;
    const ib = (await invite(owner, room.id, b.id)).body;
    const del = (u: TestUser, id: string) =>
      http(t.baseUrl, 'DELETE', `/api/rooms/${room.id}/invites/${id}`, { token: u.accessToken });

    expectError(await del(stranger, ia.id), 404, 'INVITE_NOT_FOUND');
    expectError(await del(b, ia.id), 404, 'INVITE_NOT_FOUND'); // not b's invite
    expect((await del(owner, ia.id)).status).toBe(204);
    expect((await del(b, ib.id)).status).toBe(204);
    expectError(await del(b, ib.id), 404, 'INVITE_NOT_FOUND'); // already closed
    for (const u of [a, b]) {
      expect((await myInvites(u)).body.items).toEqual([]);
      expectError(await joinRoom(t.baseUrl, u, room.id), 403, 'ROOM_PASSWORD_INVALID');
    }
    // Closed, a new invite may be sent.
    expect((await invite(owner, room.id, a.id)).status).toBe(201);
  });

  describe('refusals change nothing', () => {
    it('409 ALREADY_MEMBER for a member, 409 INVITE_EXISTS for a second open invite', async () => {
      const [owner, member, guest] = [
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
      ];
      const room = await privateRoom(owner);
      await joinRoom(t.baseUrl, member, room.id, 'secret-pw');
      expectError(await invite(owner, room.id, member.id), 409, 'ALREADY_MEMBER');
      expectError(await invite(owner, room.id, owner.id), 409, 'ALREADY_MEMBER');
      expect((await invite(owner, room.id, guest.id)).status).toBe(201);
      expectError(await invite(owner, room.id, guest.id), 409, 'INVITE_EXISTS');
      expect(await openInvites(room.id)).toBe(1);
    });

    it('400 ROOM_NOT_PRIVATE for a public room; 403 DIRECT_ROOM for a direct one', async () => {
      const [owner, guest, third] = [
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
      ];
      const pub = await createRoom(t.baseUrl, owner);
      expectError(await invite(owner, pub.id, guest.id), 400, 'ROOM_NOT_PRIVATE');
      const dm = await http(t.baseUrl, 'POST', '/api/dms', {
        token: owner.accessToken,
        body: { userIds: [guest.id] },
      });
      expectError(await invite(owner, dm.body.id, third.id), 403, 'DIRECT_ROOM');
      expect(await openInvites(pub.id)).toBe(0);
      expect(await openInvites(dm.body.id)).toBe(0);
    });

    it('403 NOT_ROOM_OWNER for a member; 404 for a non-member of a private room', async () => {
      const [owner, member, outsider, guest] = [
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
        await registerUser(t.baseUrl),
      ];
      const room = await privateRoom(owner);
      await joinRoom(t.baseUrl, member, room.id, 'secret-pw');
      expectError(await invite(member, room.id, guest.id), 403, 'NOT_ROOM_OWNER');
      expectError(await invite(outsider, room.id, guest.id), 404, 'ROOM_NOT_FOUND');
      expect(await openInvites(room.id)).toBe(0);
    });

    it('404 USER_NOT_FOUND, 403 USER_INACTIVE, 400 for a malformed id or room', async () => {
      const [owner, off] = [await registerUser(t.baseUrl), await registerUser(t.baseUrl)];
      const room = await privateRoom(owner);
      expectError(
        await invite(owner, room.id, '00000000-0000-4000-8000-00000000dead'),
        404,
        'USER_NOT_FOUND',
      );
      await withDb((c) => c.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [off.id]));
      expectError(await invite(owner, room.id, off.id), 403, 'USER_INACTIVE');
      expectError(await invite(owner, room.id, 'nope'), 400, 'VALIDATION_FAILED');
      expectError(await invite(owner, 'nope', off.id), 400, 'VALIDATION_FAILED');
      expect(await openInvites(room.id)).toBe(0);
    });
  });
});
