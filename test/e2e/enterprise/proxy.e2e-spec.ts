// The proxy module (FEATURE_PROXY_SYSTEM) end to end, in process: granting, listing, revoking,
// sending on someone's behalf over REST and WebSocket, the audit trail; and the module off.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { coreMigrations } from '../../../migrations/index.js';
import { proxyMigrations } from '../../../migrations/proxy/index.js';
import { buildDataSourceOptions } from '../../../src/infrastructure/database/data-source-options.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createScratchDatabase, undoThrough } from '../../support/db.js';
import { coreEnv, enterpriseEnv, tablesIn, withDatabase } from '../../support/flags.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  joinRoom,
  registerUser,
  type TestUser,
} from '../../support/http.js';
import { grantProxy, postGrant, sendAs, wsSendAs } from '../../support/proxy-helpers.js';
import { delay, waitFor } from '../../support/wait.js';
import { WsTestClient } from '../../support/ws-client.js';

const GRANT_KEYS = [
  'active',
  'createdAt',
  'endsAt',
  'grantorId',
  'grantorUsername',
  'id',
  'proxyUserId',
  'proxyUsername',
  'revokedAt',
  'roomIds',
  'startsAt',
];
const AUDIT_KEYS = [
  'action',
  'actorId',
  'createdAt',
  'grantId',
  'grantorId',
  'id',
  'messageId',
  'proxyUserId',
  'roomId',
  'seq',
  'via',
];
const PROXY_TABLES = ['proxy_audit', 'proxy_grants'];

const entDb = <T>(fn: (c: pg.Client) => Promise<T>) =>
  withDatabase(process.env.ENTERPRISE_DATABASE_URL!, fn);

async function grantCount(grantorId: string): Promise<number> {
  return entDb(async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM proxy_grants WHERE grantor_id = $1`,
      [grantorId],
    );
    return rows[0].n;
  });
}

async function auditRows(grantId: string): Promise<{ action: string; actor_id: string }[]> {
  return entDb(async (c) => {
    const { rows } = await c.query<{ action: string; actor_id: string }>(
      `SELECT action, actor_id FROM proxy_audit WHERE grant_id = $1 ORDER BY created_at`,
      [grantId],
    );
    return rows;
  });
}

describe('proxy module on (FEATURE_PROXY_SYSTEM)', () => {
  let t: TestApp;
  let grantor: TestUser;
  let proxy: TestUser;
  let observer: TestUser;
  let stranger: TestUser;
  /** grantor's public room with proxy and observer in it */
  let r1: { id: string };
  /** another room of the grantor's, with proxy and observer in it */
  let r2: { id: string };
  const sockets: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp(enterpriseEnv(['FEATURE_PROXY_SYSTEM']));
    [grantor, proxy, observer, stranger] = await Promise.all([
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
    ]);
    r1 = await createRoom(t.baseUrl, grantor);
    r2 = await createRoom(t.baseUrl, grantor);
    for (const r of [r1, r2])
      for (const u of [proxy, observer])
        expect((await joinRoom(t.baseUrl, u, r.id)).status).toBe(200);
  });

  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await t.close();
  });

  const ws = async (u: TestUser) => {
    const c = await WsTestClient.connect(t.wsUrl, { token: u.accessToken });
    sockets.push(c);
    return c;
  };
  const get = (u: TestUser | null, path: string) =>
    http(t.baseUrl, 'GET', path, u ? { token: u.accessToken } : {});
  const del = (u: TestUser | null, path: string) =>
    http(t.baseUrl, 'DELETE', path, u ? { token: u.accessToken } : {});
  const lastSeq = async (roomId: string): Promise<number> =>
    (await get(grantor, `/api/rooms/${roomId}`)).body.lastSeq;
  /** A fresh grantor/proxy pair sharing a fresh room (for tests that change grants). */
  async function pair(): Promise<{ g: TestUser; p: TestUser; room: { id: string } }> {
    const [g, p] = await Promise.all([registerUser(t.baseUrl), registerUser(t.baseUrl)]);
    const room = await createRoom(t.baseUrl, g);
    expect((await joinRoom(t.baseUrl, p, room.id)).status).toBe(200);
    return { g, p, room };
  }

  describe('POST /api/proxies', () => {
    it('grants: 201 with the grant, defaults all rooms, from now, no end; audited', async () => {
      const before = Date.now();
      const res = await postGrant(t.baseUrl, grantor, { proxyUserId: stranger.id });
      expect(res.status).toBe(201);
      const g = res.body;
      expect(Object.keys(g).sort()).toEqual(GRANT_KEYS);
      expect(g).toMatchObject({
        grantorId: grantor.id,
        grantorUsername: grantor.username,
        proxyUserId: stranger.id,
        proxyUsername: stranger.username,
        roomIds: null,
        endsAt: null,
        revokedAt: null,
        active: true,
      });
      expect(Math.abs(Date.parse(g.startsAt) - before)).toBeLessThan(5000);
      expect(g.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
      expect(await auditRows(g.id)).toEqual([{ action: 'grant.created', actor_id: grantor.id }]);
    });

    it('grants for listed rooms and a window; null roomIds and endsAt mean all rooms, no end', async () => {
      const startsAt = new Date(Date.now() + 3_600_000).toISOString();
      const endsAt = new Date(Date.now() + 7_200_000).toISOString();
      const g = await grantProxy(t.baseUrl, grantor, {
        proxyUserId: stranger.id,
        roomIds: [r1.id, r2.id],
        startsAt,
        endsAt,
      });
      expect(g).toMatchObject({ roomIds: [r1.id, r2.id], startsAt, endsAt, active: false });
      const offset = await grantProxy(t.baseUrl, grantor, {
        proxyUserId: stranger.id,
        startsAt: '2020-01-01T02:00:00+02:00',
        endsAt: null,
        roomIds: null,
      });
      expect(offset).toMatchObject({
        startsAt: '2020-01-01T00:00:00.000Z',
        endsAt: null,
        roomIds: null,
        active: true,
      });
    });

    it('401 without a token', async () => {
      expectError(
        await http(t.baseUrl, 'POST', '/api/proxies', { body: { proxyUserId: proxy.id } }),
        401,
      );
    });

    it('400 naming the field on bad input, and stores nothing', async () => {
      const before = await grantCount(grantor.id);
      const soon = new Date(Date.now() + 60_000).toISOString();
      const cases: [Record<string, unknown>, RegExp][] = [
        [{}, /proxyUserId/],
        [{ proxyUserId: 'nope' }, /proxyUserId must be a UUID/],
        [{ proxyUserId: grantor.id }, /proxyUserId must be another user/],
        [{ proxyUserId: proxy.id, roomIds: [] }, /roomIds/],
        [{ proxyUserId: proxy.id, roomIds: 'all' }, /roomIds/],
        [{ proxyUserId: proxy.id, roomIds: [r1.id, r1.id] }, /roomIds must not repeat/],
        [{ proxyUserId: proxy.id, roomIds: ['x'] }, /roomIds must be a UUID/],
        [
          { proxyUserId: proxy.id, roomIds: Array.from({ length: 101 }, () => randomUUID()) },
          /roomIds/,
        ],
        [{ proxyUserId: proxy.id, startsAt: 'tomorrow' }, /startsAt must be an ISO-8601/],
        [{ proxyUserId: proxy.id, startsAt: '2030-01-01T00:00:00' }, /startsAt must be/],
        [{ proxyUserId: proxy.id, startsAt: null }, /startsAt/],
        [{ proxyUserId: proxy.id, startsAt: '2030-02-30T00:00:00Z' }, /startsAt must be/],
        [{ proxyUserId: proxy.id, endsAt: 5 }, /endsAt/],
        [{ proxyUserId: proxy.id, startsAt: soon, endsAt: soon }, /endsAt must be after startsAt/],
        [{ proxyUserId: proxy.id, endsAt: '2001-01-01T00:00:00Z' }, /endsAt must be in the future/],
        [{ proxyUserId: proxy.id, role: 'admin' }, /property role should not exist/],
      ];
      for (const [body, msg] of cases) {
        const res = await postGrant(t.baseUrl, grantor, body);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toMatch(msg);
      }
      // A public room the grantor is not in: 400 naming it.
      const foreign = await createRoom(t.baseUrl, stranger);
      const res = await postGrant(t.baseUrl, grantor, {
        proxyUserId: proxy.id,
        roomIds: [r1.id, foreign.id],
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(foreign.id);
      expect(await grantCount(grantor.id)).toBe(before);
    });

    it('404 for an unknown proxy user, or a listed room that does not exist or is hidden', async () => {
      const before = await grantCount(grantor.id);
      expectError(
        await postGrant(t.baseUrl, grantor, { proxyUserId: randomUUID() }),
        404,
        'USER_NOT_FOUND',
      );
      const unknown = randomUUID();
      let res = await postGrant(t.baseUrl, grantor, {
        proxyUserId: proxy.id,
        roomIds: [r1.id, unknown],
      });
      expectError(res, 404, 'ROOM_NOT_FOUND');
      expect(errorText(res)).toContain(unknown);
      const hidden = await createRoom(t.baseUrl, stranger, {
        isPrivate: true,
        password: 'pw-1234',
      });
      res = await postGrant(t.baseUrl, grantor, { proxyUserId: proxy.id, roomIds: [hidden.id] });
      expectError(res, 404, 'ROOM_NOT_FOUND');
      expect(errorText(res)).toContain(hidden.id);
      expect(await grantCount(grantor.id)).toBe(before);
    });
  });

  describe('sending on behalf', () => {
    it('REST: stored and answered with userId = grantor, sentBy = proxy; history agrees; audited', async () => {
      const { g, p, room } = await pair();
      const grant = await grantProxy(t.baseUrl, g, { proxyUserId: p.id });
      const res = await sendAs(t.baseUrl, p, room.id, g.id, 'said for g', { clientMsgId: 'px-1' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        roomId: room.id,
        seq: 1,
        userId: g.id,
        username: g.username,
        sentBy: p.id,
        content: 'said for g',
        clientMsgId: 'px-1',
      });
      const history = await get(g, `/api/rooms/${room.id}/messages`);
      expect(history.body.items).toEqual([res.body]);
      const row = await entDb(
        async (c) =>
          (await c.query(`SELECT user_id, sent_by FROM messages WHERE id = $1`, [res.body.id]))
            .rows[0],
      );
      expect(row).toEqual({ user_id: g.id, sent_by: p.id });

      // The audit trail, written once the message is stored.
      const audit = await waitFor(async () => {
        const a = await get(g, `/api/proxies/audit?grantId=${grant.id}`);
        return a.body.items.length === 2 ? a.body.items : null;
      }, 'the send to be audited');
      expect(Object.keys(audit[0]).sort()).toEqual(AUDIT_KEYS);
      expect(audit[0]).toMatchObject({
        grantId: grant.id,
        grantorId: g.id,
        proxyUserId: p.id,
        actorId: p.id,
        action: 'message.send',
        via: 'rest',
        roomId: room.id,
        messageId: res.body.id,
        seq: 1,
      });
      expect(audit[1]).toMatchObject({ action: 'grant.created', actorId: g.id, messageId: null });

      // An idempotent resend answers the same message and audits nothing more.
      const again = await sendAs(t.baseUrl, p, room.id, g.id, 'said for g', {
        clientMsgId: 'px-1',
      });
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(res.body.id);
      await delay(200);
      expect((await auditRows(grant.id)).length).toBe(2);
    });

    it('WebSocket: every subscriber receives message.new with userId = grantor and sentBy = proxy', async () => {
      const grant = await grantProxy(t.baseUrl, grantor, {
        proxyUserId: proxy.id,
        roomIds: [r1.id],
      });
      const o = await ws(observer);
      const pws = await ws(proxy);
      await o.subscribe(r1.id);
      const ack = await wsSendAs(pws, r1.id, grantor.id, 'ws for grantor', `w-${randomUUID()}`);
      expect(ack.event).toBe('message.ack');
      const got = await o.waitFor(
        (f) => f.event === 'message.new' && f.data.id === ack.data.id,
        5000,
      );
      expect(got.data).toMatchObject({
        roomId: r1.id,
        userId: grantor.id,
        username: grantor.username,
        sentBy: proxy.id,
        content: 'ws for grantor',
      });
      // Outside the grant's rooms: an error frame naming the send, nothing stored.
      const before = await lastSeq(r2.id);
      const err = await wsSendAs(pws, r2.id, grantor.id, 'not here', 'w-r2');
      expect(err.data).toMatchObject({ code: 'PROXY_NOT_ALLOWED', ref: 'w-r2' });
      expect(await lastSeq(r2.id)).toBe(before);
      await waitFor(
        async () => (await auditRows(grant.id)).some((a) => a.action === 'message.send'),
        'the ws send to be audited',
      );
      const audit = await get(grantor, `/api/proxies/audit?grantId=${grant.id}`);
      expect(audit.body.items[0]).toMatchObject({ action: 'message.send', via: 'ws' });
    });

    it('403 PROXY_NOT_ALLOWED outside the listed rooms, without a grant, or with a grant the other way; nothing stored', async () => {
      const { g, p, room } = await pair();
      const other = await createRoom(t.baseUrl, g);
      expect((await joinRoom(t.baseUrl, p, other.id)).status).toBe(200);
      await grantProxy(t.baseUrl, g, { proxyUserId: p.id, roomIds: [room.id] });
      expectError(await sendAs(t.baseUrl, p, other.id, g.id, 'x'), 403, 'PROXY_NOT_ALLOWED');
      // g holds no grant from p.
      expectError(await sendAs(t.baseUrl, g, room.id, p.id, 'x'), 403, 'PROXY_NOT_ALLOWED');
      // Nobody holds a grant from a user who does not exist.
      expectError(await sendAs(t.baseUrl, p, room.id, randomUUID(), 'x'), 403, 'PROXY_NOT_ALLOWED');
      expect(await lastSeq(other.id)).toBe(0);
      expect(await lastSeq(room.id)).toBe(0);
      expect((await sendAs(t.baseUrl, p, room.id, g.id, 'inside')).status).toBe(201);
    });

    it('400 for a malformed onBehalfOf; onBehalfOf yourself is an ordinary send', async () => {
      const res = await sendAs(t.baseUrl, proxy, r1.id, 'someone', 'x');
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toMatch(/onBehalfOf must be a UUID/);
      const self = await sendAs(t.baseUrl, proxy, r1.id, proxy.id, 'me myself');
      expect(self.status).toBe(201);
      expect(self.body).toMatchObject({ userId: proxy.id, sentBy: null });
    });

    it('null roomIds covers every room the grantor is in at send time, even one joined later, and no other', async () => {
      const { g, p, room } = await pair();
      await grantProxy(t.baseUrl, g, { proxyUserId: p.id });
      const later = await createRoom(t.baseUrl, p);
      // g is not in `later`: the core refuses the author's non-membership.
      expectError(await sendAs(t.baseUrl, p, later.id, g.id, 'x'), 403, 'NOT_ROOM_MEMBER');
      expect((await joinRoom(t.baseUrl, g, later.id)).status).toBe(200);
      expect((await sendAs(t.baseUrl, p, later.id, g.id, 'now member')).status).toBe(201);
      expect((await sendAs(t.baseUrl, p, room.id, g.id, 'first room')).status).toBe(201);
      // A room the proxy is not in: the grant still lets them send there as the grantor.
      const gOnly = await createRoom(t.baseUrl, g);
      const res = await sendAs(t.baseUrl, p, gOnly.id, g.id, 'posted, not read');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ userId: g.id, sentBy: p.id });
      expectError(await get(p, `/api/rooms/${gOnly.id}/messages`), 403, 'NOT_ROOM_MEMBER');
    });

    it('the window: not before startsAt, not from endsAt on', async () => {
      const { g, p, room } = await pair();
      const future = await grantProxy(t.baseUrl, g, {
        proxyUserId: p.id,
        startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(future.active).toBe(false);
      expectError(await sendAs(t.baseUrl, p, room.id, g.id, 'too early'), 403, 'PROXY_NOT_ALLOWED');
      const endsAt = new Date(Date.now() + 1500);
      const short = await grantProxy(t.baseUrl, g, {
        proxyUserId: p.id,
        endsAt: endsAt.toISOString(),
      });
      expect(short.active).toBe(true);
      expect((await sendAs(t.baseUrl, p, room.id, g.id, 'in time')).status).toBe(201);
      await delay(endsAt.getTime() - Date.now() + 100);
      expectError(await sendAs(t.baseUrl, p, room.id, g.id, 'too late'), 403, 'PROXY_NOT_ALLOWED');
      expect(await lastSeq(room.id)).toBe(1);
      expect((await get(p, `/api/proxies/${short.id}`)).body.active).toBe(false);
    });

    it('refused while the grantor account is disabled', async () => {
      const { g, p, room } = await pair();
      await grantProxy(t.baseUrl, g, { proxyUserId: p.id });
      await entDb((c) => c.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [g.id]));
      try {
        expectError(await sendAs(t.baseUrl, p, room.id, g.id, 'x'), 403, 'PROXY_NOT_ALLOWED');
      } finally {
        await entDb((c) => c.query(`UPDATE users SET status = 'active' WHERE id = $1`, [g.id]));
      }
      expect((await sendAs(t.baseUrl, p, room.id, g.id, 'back')).status).toBe(201);
    });
  });

  describe('DELETE /api/proxies/:id', () => {
    it('the grantor revokes: 204, the next send is refused at once; again: 204, audited once', async () => {
      const { g, p, room } = await pair();
      const grant = await grantProxy(t.baseUrl, g, { proxyUserId: p.id });
      expect((await sendAs(t.baseUrl, p, room.id, g.id, 'before')).status).toBe(201);
      const res = await del(g, `/api/proxies/${grant.id}`);
      expect(res.status).toBe(204);
      expect(res.body).toBeNull();
      expectError(await sendAs(t.baseUrl, p, room.id, g.id, 'after'), 403, 'PROXY_NOT_ALLOWED');
      const after = (await get(g, `/api/proxies/${grant.id}`)).body;
      expect(after.active).toBe(false);
      expect(Date.parse(after.revokedAt)).toBeGreaterThan(Date.parse(after.createdAt));
      expect((await del(g, `/api/proxies/${grant.id}`)).status).toBe(204);
      expect((await get(g, `/api/proxies/${grant.id}`)).body.revokedAt).toBe(after.revokedAt);
      await waitFor(async () => (await auditRows(grant.id)).length === 3, '3 audit lines');
      expect((await auditRows(grant.id)).map((a) => a.action).sort()).toEqual([
        'grant.created',
        'grant.revoked',
        'message.send',
      ]);
    });

    it('the proxy renounces: 204, recorded with the proxy as actor', async () => {
      const { g, p, room } = await pair();
      const grant = await grantProxy(t.baseUrl, g, { proxyUserId: p.id });
      expect((await del(p, `/api/proxies/${grant.id}`)).status).toBe(204);
      expectError(await sendAs(t.baseUrl, p, room.id, g.id, 'x'), 403, 'PROXY_NOT_ALLOWED');
      expect(await auditRows(grant.id)).toEqual([
        { action: 'grant.created', actor_id: g.id },
        { action: 'grant.revoked', actor_id: p.id },
      ]);
    });

    it('404 PROXY_NOT_FOUND for anyone else and unknown ids, 400 malformed, 401 no token; nothing changes', async () => {
      const grant = await grantProxy(t.baseUrl, grantor, { proxyUserId: proxy.id });
      expectError(await del(stranger, `/api/proxies/${grant.id}`), 404, 'PROXY_NOT_FOUND');
      expectError(await del(grantor, `/api/proxies/${randomUUID()}`), 404, 'PROXY_NOT_FOUND');
      const bad = await del(grantor, '/api/proxies/nope');
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect(errorText(bad)).toMatch(/id must be a UUID/);
      expectError(await del(null, `/api/proxies/${grant.id}`), 401);
      expect((await get(grantor, `/api/proxies/${grant.id}`)).body).toMatchObject({
        revokedAt: null,
        active: true,
      });
    });
  });

  describe('GET /api/proxies and /api/proxies/:id', () => {
    it('lists grants given and received, newest first, revoked ones too; filters; pages', async () => {
      const [a, b, c] = await Promise.all([
        registerUser(t.baseUrl),
        registerUser(t.baseUrl),
        registerUser(t.baseUrl),
      ]);
      const g1 = await grantProxy(t.baseUrl, a, { proxyUserId: b.id });
      const g2 = await grantProxy(t.baseUrl, c, { proxyUserId: a.id });
      const g3 = await grantProxy(t.baseUrl, a, { proxyUserId: c.id });
      expect((await del(a, `/api/proxies/${g3.id}`)).status).toBe(204);

      const all = await get(a, '/api/proxies');
      expect(all.status).toBe(200);
      expect(all.body.nextCursor).toBeNull();
      expect(all.body.items.map((g: { id: string }) => g.id)).toEqual([g3.id, g2.id, g1.id]);
      expect(Object.keys(all.body.items[0]).sort()).toEqual(GRANT_KEYS);
      expect(all.body.items[0]).toMatchObject({ active: false });
      const ids = async (q: string) =>
        (await get(a, `/api/proxies${q}`)).body.items.map((g: { id: string }) => g.id);
      expect(await ids('?role=granted')).toEqual([g3.id, g1.id]);
      expect(await ids('?role=received')).toEqual([g2.id]);
      expect(await ids('?active=true')).toEqual([g2.id, g1.id]);
      expect(await ids('?active=false')).toEqual([g3.id]);
      expect(await ids('?role=granted&active=true')).toEqual([g1.id]);
      // b sees only the grant to them.
      expect((await get(b, '/api/proxies')).body.items.map((g: { id: string }) => g.id)).toEqual([
        g1.id,
      ]);

      // Keyset pages of one.
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(
          a,
          `/api/proxies?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(1);
        seen.push(...res.body.items.map((g: { id: string }) => g.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([g3.id, g2.id, g1.id]);
    });

    it('400 on bad query parameters, 401 without a token', async () => {
      for (const q of [
        '?role=both',
        '?active=yes',
        '?limit=0',
        '?limit=201',
        '?cursor=garbage',
        '?x=1',
      ])
        expectError(await get(grantor, `/api/proxies${q}`), 400, 'VALIDATION_FAILED');
      expectError(await get(null, '/api/proxies'), 401);
    });

    it('GET /:id: the grantor and the proxy see it; others and unknown ids 404; malformed 400', async () => {
      const grant = await grantProxy(t.baseUrl, grantor, { proxyUserId: proxy.id });
      for (const u of [grantor, proxy]) {
        const res = await get(u, `/api/proxies/${grant.id}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(grant);
      }
      expectError(await get(stranger, `/api/proxies/${grant.id}`), 404, 'PROXY_NOT_FOUND');
      expectError(await get(grantor, `/api/proxies/${randomUUID()}`), 404, 'PROXY_NOT_FOUND');
      expectError(await get(grantor, '/api/proxies/1234'), 400, 'VALIDATION_FAILED');
      expectError(await get(null, `/api/proxies/${grant.id}`), 401);
    });
  });

  describe('GET /api/proxies/audit', () => {
    it('the grantor reads every action on their behalf, the proxy theirs, nobody else any; pages newest first', async () => {
      const { g, p, room } = await pair();
      const grant = await grantProxy(t.baseUrl, g, { proxyUserId: p.id });
      for (let i = 0; i < 3; i++)
        expect((await sendAs(t.baseUrl, p, room.id, g.id, `m${i}`)).status).toBe(201);
      expect((await del(g, `/api/proxies/${grant.id}`)).status).toBe(204);
      await waitFor(async () => (await auditRows(grant.id)).length === 5, '5 audit lines');

      const mine = await get(g, '/api/proxies/audit');
      expect(mine.status).toBe(200);
      expect(mine.body.items.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['grant.created', 'message.send', 'grant.revoked']),
      );
      expect(mine.body.items).toHaveLength(5);
      expect(mine.body.items[mine.body.items.length - 1].action).toBe('grant.created');
      const times = mine.body.items.map((e: { createdAt: string }) => Date.parse(e.createdAt));
      expect([...times].sort((x, y) => y - x)).toEqual(times);
      const seqs = mine.body.items
        .filter((e: { action: string }) => e.action === 'message.send')
        .map((e: { seq: number }) => e.seq)
        .sort();
      expect(seqs).toEqual([1, 2, 3]);
      expect((await get(p, '/api/proxies/audit')).body.items).toEqual(mine.body.items);
      const outsider = await registerUser(t.baseUrl);
      expect((await get(outsider, '/api/proxies/audit')).body.items).toEqual([]);
      expect(
        (await get(stranger, '/api/proxies/audit')).body.items.filter(
          (e: { grantId: string }) => e.grantId === grant.id,
        ),
      ).toEqual([]);
      expectError(
        await get(stranger, `/api/proxies/audit?grantId=${grant.id}`),
        404,
        'PROXY_NOT_FOUND',
      );

      const paged: unknown[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(
          g,
          `/api/proxies/audit?grantId=${grant.id}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.status).toBe(200);
        paged.push(...res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(paged).toEqual(mine.body.items);
    });

    it('404 for an unknown grantId, 400 on bad parameters, 401 without a token', async () => {
      expectError(
        await get(grantor, `/api/proxies/audit?grantId=${randomUUID()}`),
        404,
        'PROXY_NOT_FOUND',
      );
      for (const q of ['?grantId=abc', '?limit=0', '?cursor=%%%', '?action=x'])
        expectError(await get(grantor, `/api/proxies/audit${q}`), 400, 'VALIDATION_FAILED');
      expectError(await get(null, '/api/proxies/audit'), 401);
    });
  });

  it('the OpenAPI document describes every endpoint', async () => {
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    expect(Object.keys(doc.paths['/api/proxies']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/proxies/{id}']).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/api/proxies/audit'])).toEqual(['get']);
    expect(doc.paths['/api/proxies'].post.responses).toHaveProperty('201');
    expect(doc.paths['/api/proxies'].post.responses).toHaveProperty('404');
    expect(doc.components.schemas.CreateProxyGrantDto.properties).toHaveProperty('roomIds');
    expect(doc.components.schemas.ProxyGrantDto.required).toEqual(
      expect.arrayContaining(['id', 'grantorId', 'proxyUserId', 'active']),
    );
  });
});

describe('proxy module off', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await startTestApp(coreEnv());
    [alice, bob] = await Promise.all([registerUser(t.baseUrl), registerUser(t.baseUrl)]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('its paths answer 404', async () => {
    const id = randomUUID();
    for (const [method, path] of [
      ['POST', '/api/proxies'],
      ['GET', '/api/proxies'],
      ['GET', '/api/proxies/audit'],
      ['GET', `/api/proxies/${id}`],
      ['DELETE', `/api/proxies/${id}`],
    ]) {
      const res = await http(t.baseUrl, method, path, {
        token: alice.accessToken,
        ...(method === 'POST' ? { body: { proxyUserId: bob.id } } : {}),
      });
      expectError(res, 404);
    }
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/api/proxies'))).toEqual([]);
    expect((await http(t.baseUrl, 'GET', '/api/features')).body.enableProxySystem).toBe(false);
  });

  it('onBehalfOf is refused with 400 over REST and WebSocket, and nothing is stored', async () => {
    const room = await createRoom(t.baseUrl, alice);
    expect((await joinRoom(t.baseUrl, bob, room.id)).status).toBe(200);
    const res = await sendAs(t.baseUrl, bob, room.id, alice.id, 'as alice');
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(errorText(res)).toMatch(/onBehalfOf is only accepted when the proxy module is on/);
    const c = await WsTestClient.connect(t.wsUrl, { token: bob.accessToken });
    try {
      const err = await wsSendAs(c, room.id, alice.id, 'as alice', 'off-1');
      expect(err.data).toMatchObject({ code: 'VALIDATION_FAILED', ref: 'off-1' });
      // An ordinary send still works.
      expect((await wsSendAs(c, room.id, undefined, 'as bob', 'off-2')).event).toBe('message.ack');
    } finally {
      c.terminate();
    }
    const history = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages`, {
      token: alice.accessToken,
    });
    expect(history.body.items.map((m: { content: string }) => m.content)).toEqual(['as bob']);
  });

  it('its tables exist only where its migrations ran', async () => {
    const core = await tablesIn(process.env.CORE_DATABASE_URL!);
    for (const table of PROXY_TABLES) expect(core).not.toContain(table);
    const ent = await tablesIn(process.env.ENTERPRISE_DATABASE_URL!);
    for (const table of PROXY_TABLES) expect(ent).toContain(table);
  });
});

describe('proxy migrations', () => {
  it('up creates the tables and their rules; down removes them', async () => {
    const scratch = await createScratchDatabase();
    const ds = new DataSource({
      ...buildDataSourceOptions(scratch.url, [...coreMigrations, ...proxyMigrations], 2),
      logging: false,
    });
    try {
      await ds.initialize();
      await ds.runMigrations({ transaction: 'each' });
      expect(await tablesIn(scratch.url)).toEqual(expect.arrayContaining(PROXY_TABLES));
      const [u, v] = await ds.query<{ id: string }[]>(
        `INSERT INTO users (username, email, password_hash)
         VALUES ('mig_u', 'mig_u@x.test', 'x'), ('mig_v', 'mig_v@x.test', 'x') RETURNING id`,
      );
      // Granting to oneself and an end before the start are refused by the schema too.
      await expect(
        ds.query(`INSERT INTO proxy_grants (grantor_id, proxy_id) VALUES ($1, $1)`, [u.id]),
      ).rejects.toThrow(/proxy_grants_not_self/);
      await expect(
        ds.query(
          `INSERT INTO proxy_grants (grantor_id, proxy_id, ends_at) VALUES ($1, $2, now() - interval '1 hour')`,
          [u.id, v.id],
        ),
      ).rejects.toThrow(/proxy_grants_window/);
      await ds.query(`INSERT INTO proxy_grants (grantor_id, proxy_id) VALUES ($1, $2)`, [
        u.id,
        v.id,
      ]);
      await undoThrough(ds, proxyMigrations);
      const left = await tablesIn(scratch.url);
      for (const table of PROXY_TABLES) expect(left).not.toContain(table);
      expect(left).toContain('messages');
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await scratch.drop();
    }
  });
});
