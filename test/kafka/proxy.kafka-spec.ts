// The proxy module across two service processes sharing PostgreSQL and a Kafka topic: a grant
// made on one instance is honoured on the other, its room list and time window hold there, and
// a revocation on one instance stops the very next send on the other (no cache, no wait).
import { describe, expect, it } from '@jest/globals';
import { twoInstancesOnKafka } from '../support/cluster.js';
import { createRoom, expectError, http, joinRoom, registerUser } from '../support/http.js';
import { grantProxy, sendAs, wsSendAs } from '../support/proxy-helpers.js';
import { withServiceLogs } from '../support/service-process.js';
import { delay, waitFor } from '../support/wait.js';

describe('proxy grants across two service processes (FEATURE_PROXY_SYSTEM)', () => {
  const cluster = twoInstancesOnKafka('proxy', { FEATURE_PROXY_SYSTEM: 'true' });
  const services = cluster.services;
  const ws = cluster.ws;

  /** Grantor G and observer O registered on A, proxy P on B; G's rooms R1, R2 with P and O in them. */
  async function cast() {
    const [A, B] = [cluster.a, cluster.b];
    const [g, p, o] = await Promise.all([
      registerUser(A.baseUrl),
      registerUser(B.baseUrl),
      registerUser(A.baseUrl),
    ]);
    const r1 = await createRoom(A.baseUrl, g);
    const r2 = await createRoom(A.baseUrl, g);
    for (const r of [r1, r2])
      for (const u of [p, o]) expect((await joinRoom(B.baseUrl, u, r.id)).status).toBe(200);
    // O listens on A; P sends on B.
    const oWs = await ws(A, o);
    await oWs.subscribe(r1.id);
    await oWs.subscribe(r2.id);
    const pWs = await ws(B, p);
    const lastSeq = async (roomId: string): Promise<number> =>
      (await http(B.baseUrl, 'GET', `/api/rooms/${roomId}`, { token: o.accessToken })).body.lastSeq;
    return { A, B, g, p, o, r1, r2, oWs, pWs, lastSeq };
  }

  it(
    "scope: a grant for R1 made on A lets P send as G on B; O on A gets G's message with sentBy P; R2 is refused",
    withServiceLogs(services, async () => {
      const { A, B, g, p, r1, r2, oWs, pWs, lastSeq } = await cast();
      const grant = await grantProxy(A.baseUrl, g, { proxyUserId: p.id, roomIds: [r1.id] });
      expect(grant).toMatchObject({ grantorId: g.id, proxyUserId: p.id, active: true });

      const ack = await wsSendAs(pWs, r1.id, g.id, 'from p, for g', 's-1');
      expect(ack).toMatchObject({ event: 'message.ack', data: { seq: 1 } });
      const [m1] = await oWs.waitForSeq(r1.id, 1);
      expect(m1).toMatchObject({
        id: ack.data.id,
        seq: 1,
        userId: g.id,
        username: g.username,
        sentBy: p.id,
        content: 'from p, for g',
      });

      const refused = await wsSendAs(pWs, r2.id, g.id, 'not in r2', 's-2');
      expect(refused).toMatchObject({
        event: 'error',
        data: { code: 'PROXY_NOT_ALLOWED', ref: 's-2' },
      });
      expectError(await sendAs(B.baseUrl, p, r2.id, g.id, 'by REST'), 403, 'PROXY_NOT_ALLOWED');
      expect(await lastSeq(r2.id)).toBe(0);
      await oWs.roundTrip();
      expect(oWs.messages(r2.id)).toEqual([]);

      // The grantor's trail, read on A, has the send made on B.
      const trail = await waitFor(async () => {
        const res = await http(A.baseUrl, 'GET', `/api/proxies/audit?grantId=${grant.id}`, {
          token: g.accessToken,
        });
        return res.body.items.length === 2 ? res.body.items : null;
      }, 'the send on B to be audited');
      expect(trail[0]).toMatchObject({
        action: 'message.send',
        actorId: p.id,
        grantorId: g.id,
        via: 'ws',
        roomId: r1.id,
        messageId: ack.data.id,
        seq: 1,
      });
      expect(trail[1]).toMatchObject({ action: 'grant.created', actorId: g.id });
    }),
    60_000,
  );

  it(
    'window: a grant made on A ending in 3 s works on B until then, and is refused there after',
    withServiceLogs(services, async () => {
      const { A, B, g, p, r2, oWs, pWs, lastSeq } = await cast();
      const endsAt = new Date(Date.now() + 3000);
      const short = await grantProxy(A.baseUrl, g, {
        proxyUserId: p.id,
        roomIds: [r2.id],
        endsAt: endsAt.toISOString(),
      });
      const inTime = await wsSendAs(pWs, r2.id, g.id, 'in the window', 'w-1');
      expect(inTime).toMatchObject({ event: 'message.ack', data: { seq: 1 } });
      const [m] = await oWs.waitForSeq(r2.id, 1);
      expect(m).toMatchObject({ userId: g.id, sentBy: p.id, content: 'in the window' });

      await delay(endsAt.getTime() - Date.now() + 200);
      const late = await wsSendAs(pWs, r2.id, g.id, 'after the window', 'w-2');
      expect(late).toMatchObject({
        event: 'error',
        data: { code: 'PROXY_NOT_ALLOWED', ref: 'w-2' },
      });
      expectError(
        await sendAs(B.baseUrl, p, r2.id, g.id, 'late by REST'),
        403,
        'PROXY_NOT_ALLOWED',
      );
      expect(await lastSeq(r2.id)).toBe(1);
      const now = await http(B.baseUrl, 'GET', `/api/proxies/${short.id}`, {
        token: p.accessToken,
      });
      expect(now.body).toMatchObject({ active: false, revokedAt: null });
    }),
    60_000,
  );

  it(
    "revocation: G revokes on A and P's very next send on B is refused, with no wait",
    withServiceLogs(services, async () => {
      const { A, B, g, p, r1, oWs, pWs, lastSeq } = await cast();
      const grant = await grantProxy(A.baseUrl, g, { proxyUserId: p.id });
      expect((await wsSendAs(pWs, r1.id, g.id, 'before revoke', 'v-1')).event).toBe('message.ack');
      const del = await http(A.baseUrl, 'DELETE', `/api/proxies/${grant.id}`, {
        token: g.accessToken,
      });
      expect(del.status).toBe(204);
      const after = await wsSendAs(pWs, r1.id, g.id, 'after revoke', 'v-2');
      expect(after).toMatchObject({
        event: 'error',
        data: { code: 'PROXY_NOT_ALLOWED', ref: 'v-2' },
      });
      expectError(await sendAs(B.baseUrl, p, r1.id, g.id, 'by REST'), 403, 'PROXY_NOT_ALLOWED');
      expect(await lastSeq(r1.id)).toBe(1);
      await oWs.waitForSeq(r1.id, 1);
      await oWs.roundTrip();
      expect(oWs.messages(r1.id).map((m) => m.content)).toEqual(['before revoke']);

      // Both instances report it revoked, and the trail on B records who revoked it.
      for (const svc of [A, B]) {
        const res = await http(svc.baseUrl, 'GET', `/api/proxies/${grant.id}`, {
          token: p.accessToken,
        });
        expect(res.body).toMatchObject({ active: false });
        expect(res.body.revokedAt).not.toBeNull();
      }
      const trail = await waitFor(async () => {
        const res = await http(B.baseUrl, 'GET', `/api/proxies/audit?grantId=${grant.id}`, {
          token: g.accessToken,
        });
        return res.body.items.length === 3 ? res.body.items : null;
      }, 'three audit lines');
      expect(trail.map((e: { action: string }) => e.action).sort()).toEqual([
        'grant.created',
        'grant.revoked',
        'message.send',
      ]);
      expect(trail.find((e: { action: string }) => e.action === 'grant.revoked')).toMatchObject({
        actorId: g.id,
      });
    }),
    60_000,
  );
});
