// Read markers, direct rooms and invitations across two service processes on one Kafka topic.
import { describe, expect, it } from '@jest/globals';
import { twoInstancesOnKafka } from '../support/cluster.js';
import { createRoom, http, joinRoom, registerUser, sendMessage } from '../support/http.js';

describe('conversations across instances', () => {
  const c = twoInstancesOnKafka('conv', {});

  it("a read marker set on A reaches the same user's socket on B", async () => {
    const owner = await registerUser(c.a.baseUrl);
    const reader = await registerUser(c.a.baseUrl);
    const room = await createRoom(c.a.baseUrl, owner);
    await joinRoom(c.a.baseUrl, reader, room.id);
    for (let i = 0; i < 3; i++)
      expect((await sendMessage(c.a.baseUrl, owner, room.id, { content: `m${i}` })).status).toBe(
        201,
      );
    const onA = await c.ws(c.a, reader);
    const onB = await c.ws(c.b, reader); // not subscribed to the room
    onA.send('room.read', { roomId: room.id, seq: 2 });
    const f = await onB.waitFor(
      (x) => x.event === 'read.updated' && x.data.roomId === room.id,
      15_000,
    );
    expect(f.data).toEqual({ roomId: room.id, lastReadSeq: 2, unreadCount: 1, mentionCount: 0 });
  });

  it('a direct room asked for at the same moment on A and on B is one room', async () => {
    const x = await registerUser(c.a.baseUrl);
    const y = await registerUser(c.b.baseUrl);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0
          ? http(c.a.baseUrl, 'POST', '/api/dms', {
              token: x.accessToken,
              body: { userIds: [y.id] },
            })
          : http(c.b.baseUrl, 'POST', '/api/dms', {
              token: y.accessToken,
              body: { userIds: [x.id] },
            }),
      ),
    );
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
  });

  it("a user's own send on A moves their marker and tells their socket on B", async () => {
    const owner = await registerUser(c.a.baseUrl);
    const member = await registerUser(c.a.baseUrl);
    const room = await createRoom(c.a.baseUrl, owner);
    await joinRoom(c.a.baseUrl, member, room.id);
    expect((await sendMessage(c.a.baseUrl, owner, room.id, { content: 'one' })).status).toBe(201);
    const onB = await c.ws(c.b, member);
    expect((await sendMessage(c.a.baseUrl, member, room.id, { content: 'two' })).status).toBe(201);
    const f = await onB.waitFor(
      (x) => x.event === 'read.updated' && x.data.roomId === room.id,
      15_000,
    );
    expect(f.data).toEqual({ roomId: room.id, lastReadSeq: 2, unreadCount: 0, mentionCount: 0 });
  });

  it("a direct room created on A reaches the other member's socket on B as dm.created", async () => {
    const x = await registerUser(c.a.baseUrl);
    const y = await registerUser(c.a.baseUrl);
    const onB = await c.ws(c.b, y);
    const res = await http(c.a.baseUrl, 'POST', '/api/dms', {
      token: x.accessToken,
      body: { userIds: [y.id] },
    });
    expect(res.status).toBe(201);
    const f = await onB.waitFor('dm.created', 15_000);
    expect(f.data).toEqual({ room: res.body });
  });

  it("an invite made on A reaches the invitee's socket on B", async () => {
    const owner = await registerUser(c.a.baseUrl);
    const guest = await registerUser(c.a.baseUrl);
    const room = await createRoom(c.a.baseUrl, owner, { isPrivate: true, password: 'pw-secret' });
    const onB = await c.ws(c.b, guest);
    const res = await http(c.a.baseUrl, 'POST', `/api/rooms/${room.id}/invites`, {
      token: owner.accessToken,
      body: { userId: guest.id },
    });
    expect(res.status).toBe(201);
    const f = await onB.waitFor('invite.received', 15_000);
    expect(f.data.invite).toEqual(res.body);
    expect((await joinRoom(c.b.baseUrl, guest, room.id)).status).toBe(200);
  });
});
