// The organizations module across two service processes sharing PostgreSQL and a Kafka topic:
// removing a user from an organisation on instance A ends, at once, their subscriptions to the
// organisation's rooms on instance B (room.unsubscribed, reason kicked, and no later message),
// and B refuses their reads, sends, joins and subscriptions from then on.
import { describe, expect, it } from '@jest/globals';
import { twoInstancesOnKafka } from '../support/cluster.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  uniqueName,
  type TestUser,
} from '../support/http.js';
import { withServiceLogs, type ServiceProcess } from '../support/service-process.js';
import { type Frame, type WsTestClient } from '../support/ws-client.js';

describe('organisation rooms across two service processes (FEATURE_ORGANIZATIONS)', () => {
  const cluster = twoInstancesOnKafka('orgs', { FEATURE_ORGANIZATIONS: 'true' });
  const services = cluster.services;
  const ws = cluster.ws;

  const req = (svc: ServiceProcess, user: TestUser, method: string, path: string, body?: unknown) =>
    http(svc.baseUrl, method, path, { token: user.accessToken, body });

  /** Subscribes and answers the first frame that settles it: room.subscribed or an error. */
  async function trySubscribe(c: WsTestClient, roomId: string): Promise<Frame> {
    const from = c.frames.length;
    c.send('room.subscribe', { roomId });
    return c.waitFor(
      (f) =>
        (f.event === 'room.subscribed' && f.data.roomId === roomId) ||
        (f.event === 'error' && f.data.ref === 'room.subscribe'),
      5000,
      from,
    );
  }

  /**
   * Owner O (on A) with an organisation and one of its rooms; member M (registered on B) in
   * both, and observer W (an org member who stays) in the room, subscribed on B.
   */
  async function cast() {
    const [A, B] = [cluster.a, cluster.b];
    const [o, m, w] = await Promise.all([
      registerUser(A.baseUrl),
      registerUser(B.baseUrl),
      registerUser(B.baseUrl),
    ]);
    const org = await req(A, o, 'POST', '/api/orgs', { name: uniqueName('KOrg') });
    expect(org.status).toBe(201);
    for (const u of [m, w])
      expect((await req(A, o, 'PUT', `/api/orgs/${org.body.id}/members/${u.id}`, {})).status).toBe(
        201,
      );
    const room = await req(A, o, 'POST', '/api/rooms', {
      name: uniqueName('kroom'),
      isPrivate: false,
      orgId: org.body.id,
    });
    expect(room.status).toBe(201);
    for (const u of [m, w]) expect((await joinRoom(B.baseUrl, u, room.body.id)).status).toBe(200);
    return { A, B, o, m, w, orgId: org.body.id as string, roomId: room.body.id as string };
  }

  it(
    'a member removed on A stops receiving the org room on B at once, and B refuses them from then on',
    withServiceLogs(services, async () => {
      const { A, B, o, m, w, orgId, roomId } = await cast();
      const plain = await createRoom(A.baseUrl, o); // not the organisation's: unaffected
      expect((await joinRoom(B.baseUrl, m, plain.id)).status).toBe(200);

      const mOnB = await ws(B, m);
      const mOnA = await ws(A, m); // a second connection of theirs, on the other instance
      const wOnB = await ws(B, w);
      for (const c of [mOnB, mOnA, wOnB]) await c.subscribe(roomId);
      await mOnB.subscribe(plain.id);

      // Delivery across instances works before the removal, so its absence later means something.
      expect((await sendMessage(A.baseUrl, o, roomId, { content: 'before' })).status).toBe(201);
      await mOnB.waitForSeq(roomId, 1);
      await mOnA.waitForSeq(roomId, 1);
      await wOnB.waitForSeq(roomId, 1);

      expect((await req(A, o, 'DELETE', `/api/orgs/${orgId}/members/${m.id}`)).status).toBe(204);

      for (const c of [mOnB, mOnA]) {
        const f = await c.waitFor(
          (x) => x.event === 'room.unsubscribed' && x.data.roomId === roomId,
          10_000,
        );
        expect(f.data).toEqual({ roomId, reason: 'kicked' });
      }
      await wOnB.waitFor(
        (x) => x.event === 'member.left' && x.data.userId === m.id && x.data.roomId === roomId,
        10_000,
      );

      // The next message reaches the observer on B, and not the removed member's socket there.
      expect((await sendMessage(A.baseUrl, o, roomId, { content: 'after' })).status).toBe(201);
      await wOnB.waitForSeq(roomId, 2);
      await mOnB.roundTrip();
      await mOnA.roundTrip();
      expect(mOnB.messages(roomId).map((x) => x.content)).toEqual(['before']);
      expect(mOnA.messages(roomId).map((x) => x.content)).toEqual(['before']);
      expect(mOnB.isOpen).toBe(true);

      // B refuses everything in the room now, as if it were not there.
      expectError(await req(B, m, 'GET', `/api/rooms/${roomId}/messages`), 404, 'ROOM_NOT_FOUND');
      expectError(
        await sendMessage(B.baseUrl, m, roomId, { content: 'let me in' }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(await joinRoom(B.baseUrl, m, roomId), 404, 'ROOM_NOT_FOUND');
      expectError(await req(B, m, 'GET', `/api/rooms/${roomId}`), 404, 'ROOM_NOT_FOUND');
      expectError(await req(B, m, 'GET', `/api/orgs/${orgId}/rooms`), 404, 'ORG_NOT_FOUND');
      const resub = await trySubscribe(mOnB, roomId);
      expect(resub).toMatchObject({ event: 'error', data: { code: 'ROOM_NOT_FOUND' } });
      const wsSend = await mOnB.sendMessage(roomId, 'via ws', 'k-after');
      expect(wsSend).toMatchObject({ event: 'error', data: { code: 'ROOM_NOT_FOUND' } });
      const history = await req(B, w, 'GET', `/api/rooms/${roomId}/messages`);
      expect(history.body.items.map((x: { content: string }) => x.content)).toEqual([
        'before',
        'after',
      ]);

      // Their other room is untouched.
      expect((await sendMessage(A.baseUrl, o, plain.id, { content: 'still yours' })).status).toBe(
        201,
      );
      await mOnB.waitForSeq(plain.id, 1);
    }),
    60_000,
  );

  it(
    'a member leaving on B is dropped from the org room on A the same way',
    withServiceLogs(services, async () => {
      const { A, B, o, m, orgId, roomId } = await cast();
      const mOnA = await ws(A, m);
      const oOnA = await ws(A, o);
      await mOnA.subscribe(roomId);
      await oOnA.subscribe(roomId);

      expect((await req(B, m, 'DELETE', `/api/orgs/${orgId}/members/${m.id}`)).status).toBe(204);
      const f = await mOnA.waitFor(
        (x) => x.event === 'room.unsubscribed' && x.data.roomId === roomId,
        10_000,
      );
      expect(f.data).toEqual({ roomId, reason: 'kicked' });

      expect((await sendMessage(B.baseUrl, o, roomId, { content: 'gone' })).status).toBe(201);
      await oOnA.waitForSeq(roomId, 1);
      await mOnA.roundTrip();
      expect(mOnA.messages(roomId)).toEqual([]);
      expectError(await req(A, m, 'GET', `/api/rooms/${roomId}/messages`), 404, 'ROOM_NOT_FOUND');
      expectError(await joinRoom(A.baseUrl, m, roomId), 404, 'ROOM_NOT_FOUND');
    }),
    60_000,
  );
});
