// Online statistics (FEATURE_ONLINE_STATISTICS): the session ledger, presence, online time and the
// lease sweeper, against the real app, real PostgreSQL and real WebSocket clients. The Kafka suite
// (test/kafka/online-stats.kafka-spec.ts) covers two service processes and a SIGKILLed instance.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../../support/app.js';
import { coreEnv, enterpriseEnv, tablesIn, withDatabase } from '../../support/flags.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  joinRoom,
  registerUser,
  uniqueName,
  type TestUser,
} from '../../support/http.js';
import { waitFor } from '../../support/wait.js';
import { connectWithTicket, type Frame, type WsTestClient } from '../../support/ws-client.js';
import { InstanceLeaseService } from '../../../src/modules/online-stats/instance-lease.service.js';

const MODULE_TABLES = ['stats_instances', 'ws_sessions'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as the tests read them
async function entDb<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
  return withDatabase(
    process.env.ENTERPRISE_DATABASE_URL!,
    async (c) => (await c.query(sql, params)).rows as T[],
  );
}

interface SessionRow {
  id: string;
  user_id: string;
  session_id: string;
  instance_id: string;
  opened_at: Date;
  closed_at: Date | null;
  close_reason: string | null;
}

const sessionsOf = (userId: string) =>
  entDb<SessionRow>(`SELECT * FROM ws_sessions WHERE user_id = $1 ORDER BY opened_at`, [userId]);

/** Inserts a recorded session directly (history for the online-time questions). */
async function insertSession(
  userId: string,
  openedAt: string,
  closedAt: string | null,
  instanceId = 'e2e-history',
): Promise<string> {
  const id = randomUUID();
  await entDb(
    `INSERT INTO ws_sessions (id, user_id, session_id, instance_id, opened_at, closed_at, close_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [id, userId, randomUUID(), instanceId, openedAt, closedAt, closedAt ? 'normal' : null],
  );
  return id;
}

const isPresence = (roomId: string, userId: string, online: boolean) => (f: Frame) =>
  f.event === 'presence' &&
  f.data?.roomId === roomId &&
  f.data?.userId === userId &&
  f.data?.online === online;

const presenceFrames = (c: WsTestClient, userId: string) =>
  c.frames.filter((f) => f.event === 'presence' && f.data?.userId === userId);

describe('online statistics: module on', () => {
  let t: TestApp;
  let lease: InstanceLeaseService;
  const adminName = uniqueName('statsadm');
  let admin: TestUser;
  const open: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp(
      enterpriseEnv(['FEATURE_ONLINE_STATISTICS'], { ADMIN_USERNAMES: adminName }),
    );
    lease = t.app.get(InstanceLeaseService);
    admin = await registerUser(t.baseUrl, { username: adminName });
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

  async function connect(user: TestUser, app: TestApp = t): Promise<WsTestClient> {
    const c = await connectWithTicket(app, user);
    open.push(c);
    return c;
  }

  /** An owner subscribed to a new room, and `n` more members (not connected). */
  async function roomWithWatcher(n: number) {
    const owner = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, owner);
    const members: TestUser[] = [];
    for (let i = 0; i < n; i++) {
      const u = await registerUser(t.baseUrl);
      expect((await joinRoom(t.baseUrl, u, room.id)).status).toBe(200);
      members.push(u);
    }
    const watcher = await connect(owner);
    await watcher.subscribe(room.id);
    return { owner, room, members, watcher };
  }

  const untilSessions = (userId: string, pred: (rows: SessionRow[]) => boolean, what: string) =>
    waitFor(async () => {
      const rows = await sessionsOf(userId);
      return pred(rows) ? rows : null;
    }, what);

  describe('the session ledger', () => {
    it("records each connection's open and close with this instance; the instance holds a lease", async () => {
      const u = await registerUser(t.baseUrl);
      const before = Date.now();
      const ws = await connect(u);
      const [row] = await untilSessions(u.id, (r) => r.length === 1, 'the session row');
      expect(row).toMatchObject({
        user_id: u.id,
        instance_id: lease.instanceId,
        closed_at: null,
        close_reason: null,
      });
      expect(row.opened_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
      // session_id is the login the socket authenticated with.
      const [auth] = await entDb<{ id: string }>(
        `SELECT id FROM auth_sessions WHERE user_id = $1`,
        [u.id],
      );
      expect(row.session_id).toBe(auth.id);
      const [inst] = await entDb<{ lease_until: Date; renewed_at: Date }>(
        `SELECT lease_until, renewed_at FROM stats_instances WHERE instance_id = $1`,
        [lease.instanceId],
      );
      expect(inst.lease_until.getTime()).toBeGreaterThan(Date.now());

      ws.close();
      await ws.waitClosed();
      const [closed] = await untilSessions(
        u.id,
        (r) => r[0]?.closed_at !== null,
        'the session to close',
      );
      expect(closed.close_reason).toBe('normal');
      expect(closed.closed_at!.getTime()).toBeGreaterThanOrEqual(closed.opened_at.getTime());
      expect(closed.closed_at!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('a clean shutdown closes that instance’s open sessions and forgets the instance', async () => {
      const other = await startTestApp(enterpriseEnv(['FEATURE_ONLINE_STATISTICS']));
      const otherId = other.app.get(InstanceLeaseService).instanceId;
      expect(otherId).not.toBe(lease.instanceId);
      const u = await registerUser(other.baseUrl);
      const ws = await connect(u, other);
      await untilSessions(u.id, (r) => r.length === 1, 'the session row');
      const stoppedAt = Date.now();
      await other.close();
      const [row] = await untilSessions(u.id, (r) => r[0]?.closed_at !== null, 'the close');
      expect(row.instance_id).toBe(otherId);
      expect(row.close_reason).toBe('normal');
      expect(row.closed_at!.getTime()).toBeGreaterThanOrEqual(stoppedAt - 1000);
      expect(
        await entDb(`SELECT 1 FROM stats_instances WHERE instance_id = $1`, [otherId]),
      ).toHaveLength(0);
      await ws.waitClosed();
    });
  });

  describe('presence', () => {
    it('online on the first connection, offline after the last; a second device announces nothing', async () => {
      const { room, members, watcher } = await roomWithWatcher(1);
      const [bob] = members;

      const phone = await connect(bob);
      await watcher.waitFor(isPresence(room.id, bob.id, true));
      const laptop = await connect(bob);
      await untilSessions(
        bob.id,
        (r) => r.filter((s) => s.closed_at === null).length === 2,
        'two open sessions',
      );
      const seen = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/presence`, {
        token: bob.accessToken,
      });
      expect(seen.status).toBe(200);
      await watcher.roundTrip();
      expect(presenceFrames(watcher, bob.id)).toHaveLength(1);

      phone.close();
      await untilSessions(bob.id, (r) => r.some((s) => s.closed_at !== null), 'phone closed');
      await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/presence`, { token: bob.accessToken });
      await watcher.roundTrip();
      expect(presenceFrames(watcher, bob.id)).toHaveLength(1); // still online on the laptop

      laptop.close();
      await watcher.waitFor(isPresence(room.id, bob.id, false));
      expect(presenceFrames(watcher, bob.id).map((f) => f.data)).toEqual([
        { roomId: room.id, userId: bob.id, online: true },
        { roomId: room.id, userId: bob.id, online: false },
      ]);
    });

    it('GET /api/rooms/:id/presence lists the members with a connection open', async () => {
      const { owner, room, members } = await roomWithWatcher(2);
      const [bob, carol] = members;
      const bobWs = await connect(bob);
      await untilSessions(bob.id, (r) => r.length === 1, 'bob online');
      const res = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/presence`, {
        token: carol.accessToken,
      });
      expect(res.status).toBe(200);
      const [bobRow] = await sessionsOf(bob.id);
      const [ownerRow] = await sessionsOf(owner.id);
      const expected = [
        { userId: owner.id, username: owner.username, since: ownerRow.opened_at.toISOString() },
        { userId: bob.id, username: bob.username, since: bobRow.opened_at.toISOString() },
      ].sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase()));
      expect(res.body).toEqual({ roomId: room.id, online: expected });
      for (const m of res.body.online) expect(m.since).toMatch(ISO);

      bobWs.close();
      await untilSessions(bob.id, (r) => r[0]?.closed_at !== null, 'bob offline');
      const after = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/presence`, {
        token: carol.accessToken,
      });
      expect(after.body.online.map((m: { userId: string }) => m.userId)).toEqual([owner.id]);
    });

    it('GET presence: 401 without a token, 400 malformed id, 404 unknown or hidden room, 403 non-member', async () => {
      const owner = await registerUser(t.baseUrl);
      const outsider = await registerUser(t.baseUrl);
      const pub = await createRoom(t.baseUrl, owner);
      const priv = await createRoom(t.baseUrl, owner, { isPrivate: true, password: 'secret-pw' });
      expectError(await http(t.baseUrl, 'GET', `/api/rooms/${pub.id}/presence`), 401);
      const bad = await http(t.baseUrl, 'GET', `/api/rooms/not-a-uuid/presence`, {
        token: owner.accessToken,
      });
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect(errorText(bad)).toContain('id');
      expectError(
        await http(t.baseUrl, 'GET', `/api/rooms/${randomUUID()}/presence`, {
          token: owner.accessToken,
        }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await http(t.baseUrl, 'GET', `/api/rooms/${priv.id}/presence`, {
          token: outsider.accessToken,
        }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await http(t.baseUrl, 'GET', `/api/rooms/${pub.id}/presence`, {
          token: outsider.accessToken,
        }),
        403,
        'NOT_ROOM_MEMBER',
      );
    });
  });

  describe('GET /api/stats/online', () => {
    const q = (params: Record<string, string>) =>
      `/api/stats/online?${new URLSearchParams(params).toString()}`;

    it('two devices at once count once: the union, split by UTC day', async () => {
      const u = await registerUser(t.baseUrl);
      // Phone 10:00-11:00, laptop 10:30-12:00 (overlapping), and 23:30 to 00:30 the next day.
      await insertSession(u.id, '2025-01-10T10:00:00Z', '2025-01-10T11:00:00Z');
      await insertSession(u.id, '2025-01-10T10:30:00Z', '2025-01-10T12:00:00Z');
      await insertSession(u.id, '2025-01-10T23:30:00Z', '2025-01-11T00:30:00Z');
      // Outside the range: not counted.
      await insertSession(u.id, '2025-01-09T08:00:00Z', '2025-01-09T09:00:00Z');
      const res = await http(
        t.baseUrl,
        'GET',
        q({ from: '2025-01-10', to: '2025-01-12', groupBy: 'day' }),
        { token: u.accessToken },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        userId: u.id,
        from: '2025-01-10T00:00:00.000Z',
        to: '2025-01-12T00:00:00.000Z',
        groupBy: 'day',
        totalSeconds: 3 * 3600, // 2 h (not 2.5 h) + 1 h
        items: [
          { period: '2025-01-10', start: '2025-01-10T00:00:00.000Z', seconds: 2.5 * 3600 },
          { period: '2025-01-11', start: '2025-01-11T00:00:00.000Z', seconds: 1800 },
        ],
      });
    });

    it('groupBy=hour, a range cut mid-session, and ranges given with offsets', async () => {
      const u = await registerUser(t.baseUrl);
      await insertSession(u.id, '2025-02-01T09:50:00Z', '2025-02-01T10:20:00Z');
      await insertSession(u.id, '2025-02-01T10:10:00Z', '2025-02-01T10:15:00Z');
      const res = await http(
        t.baseUrl,
        'GET',
        q({ from: '2025-02-01T11:00:00+01:00', to: '2025-02-01T12:00:00Z', groupBy: 'hour' }),
        { token: u.accessToken },
      );
      expect(res.status).toBe(200);
      expect(res.body.from).toBe('2025-02-01T10:00:00.000Z');
      expect(res.body.totalSeconds).toBe(20 * 60);
      expect(res.body.items).toEqual([
        { period: '2025-02-01T10', start: '2025-02-01T10:00:00.000Z', seconds: 20 * 60 },
        { period: '2025-02-01T11', start: '2025-02-01T11:00:00.000Z', seconds: 0 },
      ]);
    });

    it('live connections on two devices: the union of what was recorded, less than the sum', async () => {
      const u = await registerUser(t.baseUrl);
      const from = new Date(Date.now() - 60_000).toISOString();
      const d1 = await connect(u);
      await untilSessions(u.id, (r) => r.length === 1, 'device 1');
      await new Promise((r) => setTimeout(r, 1200));
      const d2 = await connect(u);
      await untilSessions(u.id, (r) => r.length === 2, 'device 2');
      await new Promise((r) => setTimeout(r, 1200));
      d1.close();
      await untilSessions(u.id, (r) => r[0]?.closed_at !== null, 'device 1 closed');
      await new Promise((r) => setTimeout(r, 1200));
      d2.close();
      const rows = await untilSessions(
        u.id,
        (r) => r.every((s) => s.closed_at !== null),
        'both closed',
      );
      const to = new Date(Date.now() + 60_000).toISOString();
      const res = await http(t.baseUrl, 'GET', q({ from, to, groupBy: 'hour' }), {
        token: u.accessToken,
      });
      expect(res.status).toBe(200);
      const opened = rows.map((r) => r.opened_at.getTime());
      const closed = rows.map((r) => r.closed_at!.getTime());
      // The second device opened before the first closed: the union is one stretch.
      expect(opened[1]).toBeLessThan(closed[0]);
      const unionMs = Math.max(...closed) - Math.min(...opened);
      const sumMs = closed[0] - opened[0] + (closed[1] - opened[1]);
      expect(res.body.totalSeconds).toBe(Math.round(unionMs / 1000));
      expect(sumMs - unionMs).toBeGreaterThan(1000);
      expect(res.body.totalSeconds).toBeLessThan(Math.round(sumMs / 1000));
      expect(
        res.body.items.reduce((s: number, i: { seconds: number }) => s + i.seconds, 0),
      ).toBeGreaterThanOrEqual(res.body.totalSeconds - 1);
    });

    it('an open session counts until now; defaults: the caller, by day, the last 7 days', async () => {
      const u = await registerUser(t.baseUrl);
      const ws = await connect(u);
      const [row] = await untilSessions(u.id, (r) => r.length === 1, 'online');
      await new Promise((r) => setTimeout(r, 1100));
      const asked = Date.now();
      const res = await http(t.baseUrl, 'GET', '/api/stats/online', { token: u.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.userId).toBe(u.id);
      expect(res.body.groupBy).toBe('day');
      const to = Date.parse(res.body.to);
      expect(Math.abs(to - asked)).toBeLessThan(5000);
      expect(to - Date.parse(res.body.from)).toBe(7 * 86_400_000);
      expect(res.body.items.length).toBeGreaterThanOrEqual(7);
      expect(res.body.items.length).toBeLessThanOrEqual(8);
      const expected = (to - row.opened_at.getTime()) / 1000;
      expect(res.body.totalSeconds).toBeGreaterThanOrEqual(Math.floor(expected) - 1);
      expect(res.body.totalSeconds).toBeLessThanOrEqual(Math.ceil(expected) + 1);
      ws.close();
    });

    it("another user's online time needs stats.read; a holder may ask for anyone", async () => {
      const u = await registerUser(t.baseUrl);
      const other = await registerUser(t.baseUrl);
      await insertSession(u.id, '2025-01-10T10:00:00Z', '2025-01-10T10:00:42Z');
      const path = q({ userId: u.id, from: '2025-01-10', to: '2025-01-11' });
      expectError(await http(t.baseUrl, 'GET', path), 401);
      expectError(
        await http(t.baseUrl, 'GET', path, { token: other.accessToken }),
        403,
        'PERMISSION_DENIED',
      );
      const own = await http(t.baseUrl, 'GET', path, { token: u.accessToken });
      expect(own.status).toBe(200);
      const byAdmin = await http(t.baseUrl, 'GET', path, { token: admin.accessToken });
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body).toEqual(own.body);
      expect(byAdmin.body.totalSeconds).toBe(42);
      expectError(
        await http(t.baseUrl, 'GET', q({ userId: randomUUID() }), { token: admin.accessToken }),
        404,
        'USER_NOT_FOUND',
      );
      // Without stats.read an unknown id is refused the same way as a known one.
      expectError(
        await http(t.baseUrl, 'GET', q({ userId: randomUUID() }), { token: other.accessToken }),
        403,
        'PERMISSION_DENIED',
      );
    });

    it('bad input: 400 naming the field', async () => {
      const u = await registerUser(t.baseUrl);
      const cases: [Record<string, string>, string][] = [
        [{ from: '2025-01-02', to: '2025-01-01' }, 'from must be before to'],
        [{ from: '2025-01-01', to: '2025-01-01' }, 'from must be before to'],
        [{ from: '2024-01-01', to: '2025-01-03' }, '366 days'],
        [{ from: '2025-01-01', to: '2025-02-02', groupBy: 'hour' }, '31 days'],
        [{ groupBy: 'week' }, 'groupBy'],
        [{ from: 'yesterday' }, 'from'],
        [{ from: '2025-02-30' }, 'from'],
        [{ to: '2025-01-01T10:00:00' }, 'to'], // a local time: which zone?
        [{ userId: 'nope' }, 'userId'],
        [{ userId: u.id, extra: '1' }, 'extra'],
      ];
      for (const [params, text] of cases) {
        const res = await http(t.baseUrl, 'GET', q(params), { token: u.accessToken });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toContain(text);
      }
    });
  });

  describe('instances that die', () => {
    it("a lapsed lease's open sessions are closed at its last renewal, and their users announced offline", async () => {
      const { room, members, watcher } = await roomWithWatcher(1);
      const [bob] = members;
      const dead = `e2e-dead-${randomUUID()}`;
      // An instance that renewed 10 s ago and holds a connection of bob's.
      await entDb(
        `INSERT INTO stats_instances (instance_id, started_at, renewed_at, lease_until)
         VALUES ($1, now() - interval '1 minute', now() - interval '10 seconds', now() + interval '1 hour')`,
        [dead],
      );
      const [{ renewed_at: renewedAt }] = await entDb<{ renewed_at: Date }>(
        `SELECT renewed_at FROM stats_instances WHERE instance_id = $1`,
        [dead],
      );
      const openedAt = new Date(renewedAt.getTime() - 50_000);
      const sid = await insertSession(bob.id, openedAt.toISOString(), null, dead);
      const presence = () =>
        http(t.baseUrl, 'GET', `/api/rooms/${room.id}/presence`, { token: bob.accessToken });
      expect((await presence()).body.online.map((m: { userId: string }) => m.userId)).toContain(
        bob.id,
      );

      // The lease lapses. Until a sweeper runs, bob's time already stops at the last renewal.
      await entDb(
        `UPDATE stats_instances SET lease_until = now() - interval '1 second' WHERE instance_id = $1`,
        [dead],
      );
      const swept = await lease.sweep();
      const [row] = await entDb<SessionRow>(`SELECT * FROM ws_sessions WHERE id = $1`, [sid]);
      // This sweep or a concurrent one (another app on the same database) closed it.
      if (swept.includes(dead)) await watcher.waitFor(isPresence(room.id, bob.id, false));
      expect(row.closed_at!.toISOString()).toBe(renewedAt.toISOString());
      expect(row.close_reason).toBe('instance_lost');
      expect(
        await entDb(`SELECT 1 FROM stats_instances WHERE instance_id = $1`, [dead]),
      ).toHaveLength(0);
      expect((await presence()).body.online.map((m: { userId: string }) => m.userId)).not.toContain(
        bob.id,
      );
      const stats = await http(
        t.baseUrl,
        'GET',
        `/api/stats/online?${new URLSearchParams({
          from: new Date(openedAt.getTime() - 60_000).toISOString(),
          to: new Date(Date.now() + 60_000).toISOString(),
          groupBy: 'hour',
        }).toString()}`,
        { token: bob.accessToken },
      );
      expect(stats.body.totalSeconds).toBe(50);
    });

    it('an open session of an instance nobody registered is closed at its opening', async () => {
      const u = await registerUser(t.baseUrl);
      const ghost = `e2e-ghost-${randomUUID()}`;
      const opened = new Date(Date.now() - 5 * 60_000);
      const sid = await insertSession(u.id, opened.toISOString(), null, ghost);
      await lease.sweep();
      const [row] = await entDb<SessionRow>(`SELECT * FROM ws_sessions WHERE id = $1`, [sid]);
      expect(row.close_reason).toBe('instance_lost');
      expect(row.closed_at!.getTime()).toBe(opened.getTime());
    });

    it('an instance taken for dead while alive registers again and reopens its live sessions', async () => {
      const { room, members, watcher } = await roomWithWatcher(1);
      const [bob] = members;
      const ws = await connect(bob);
      await watcher.waitFor(isPresence(room.id, bob.id, true));
      await ws.subscribe(room.id);
      const [row] = await untilSessions(bob.id, (r) => r.length === 1, 'bob online');
      // This instance "stalled" past its lease and was swept.
      await entDb(
        `UPDATE stats_instances SET lease_until = now() - interval '1 second' WHERE instance_id = $1`,
        [lease.instanceId],
      );
      await lease.sweep();
      const [lost] = await entDb<SessionRow>(`SELECT * FROM ws_sessions WHERE id = $1`, [row.id]);
      expect(lost.close_reason).toBe('instance_lost');
      await watcher.waitFor(isPresence(room.id, bob.id, false));
      // Its next tick notices, registers again and reopens bob's still-connected session.
      await lease.tick();
      const [back] = await entDb<SessionRow>(`SELECT * FROM ws_sessions WHERE id = $1`, [row.id]);
      expect(back.closed_at).toBeNull();
      expect(back.close_reason).toBeNull();
      const [inst] = await entDb<{ lease_until: Date }>(
        `SELECT lease_until FROM stats_instances WHERE instance_id = $1`,
        [lease.instanceId],
      );
      expect(inst.lease_until.getTime()).toBeGreaterThan(Date.now());
      await watcher.waitFor(
        (f) => isPresence(room.id, bob.id, true)(f) && presenceFrames(watcher, bob.id).length === 3,
      );
      // Bob's own subscribed socket is not told about himself.
      await ws.roundTrip();
      expect(presenceFrames(ws, bob.id)).toEqual([]);
      ws.close();
      await watcher.waitFor(
        (f) =>
          isPresence(room.id, bob.id, false)(f) && presenceFrames(watcher, bob.id).length === 4,
      );
      const [closed] = await untilSessions(bob.id, (r) => r[0]?.closed_at !== null, 'closed');
      expect(closed.close_reason).toBe('normal');
    });
  });

  it('the organisations roll-up is not registered while organisations is off', async () => {
    const u = await registerUser(t.baseUrl);
    expectError(
      await http(t.baseUrl, 'GET', `/api/stats/online/orgs/${randomUUID()}`, {
        token: u.accessToken,
      }),
      404,
    );
  });

  it('every endpoint is in the OpenAPI document', async () => {
    const doc = await http(t.baseUrl, 'GET', '/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/rooms/{id}/presence', '/api/stats/online']),
    );
    expect(doc.body.paths['/api/stats/online/orgs/{id}']).toBeUndefined();
    const op = doc.body.paths['/api/stats/online'].get;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429']);
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'from',
      'groupBy',
      'to',
      'userId',
    ]);
  });
});

describe('online statistics with organisations on too: GET /api/stats/online/orgs/:id', () => {
  let t: TestApp;
  const readerName = uniqueName('orgstats');
  let reader: TestUser;

  beforeAll(async () => {
    t = await startTestApp(
      enterpriseEnv(['FEATURE_ONLINE_STATISTICS', 'FEATURE_ORGANIZATIONS'], {
        ADMIN_USERNAMES: readerName,
      }),
    );
    reader = await registerUser(t.baseUrl, { username: readerName });
  });
  afterAll(async () => {
    await t.close();
  });

  /** An organisation seeded in its module's tables: departments, members, recorded sessions. */
  async function seededOrg() {
    const [owner, admin, dev, member, outsider] = await Promise.all(
      Array.from({ length: 5 }, () => registerUser(t.baseUrl)),
    );
    const [{ id: orgId }] = await entDb<{ id: string }>(
      `INSERT INTO organizations (name, created_by) VALUES ($1, $2) RETURNING id`,
      [uniqueName('org'), owner.id],
    );
    const dept = async (name: string, parentId: string | null) =>
      (
        await entDb<{ id: string }>(
          `INSERT INTO org_departments (org_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id`,
          [orgId, parentId, name],
        )
      )[0].id;
    const eng = await dept('Engineering', null);
    const backend = await dept('backend', eng);
    const sales = await dept('Sales', null);
    for (const [u, role, d] of [
      [owner, 'owner', eng],
      [dev, 'member', eng],
      [admin, 'admin', backend],
      [member, 'member', null],
    ] as const)
      await entDb(
        `INSERT INTO org_members (org_id, user_id, role, department_id) VALUES ($1, $2, $3, $4)`,
        [orgId, u.id, role, d],
      );
    // The owner on two devices at once (2 h, not 2.5 h), the dev 30 min, the admin 10 min.
    await insertSession(owner.id, '2025-03-04T10:00:00Z', '2025-03-04T11:00:00Z');
    await insertSession(owner.id, '2025-03-04T10:30:00Z', '2025-03-04T12:00:00Z');
    await insertSession(dev.id, '2025-03-04T09:00:00Z', '2025-03-04T09:30:00Z');
    await insertSession(admin.id, '2025-03-04T10:00:00Z', '2025-03-04T10:10:00Z');
    // Outside the range.
    await insertSession(admin.id, '2025-03-06T10:00:00Z', '2025-03-06T11:00:00Z');
    return { orgId, owner, admin, dev, member, outsider, eng, backend, sales };
  }

  const path = (orgId: string, params: Record<string, string> = {}) =>
    `/api/stats/online/orgs/${orgId}?${new URLSearchParams({
      from: '2025-03-04',
      to: '2025-03-05',
      groupBy: 'department',
      ...params,
    }).toString()}`;

  it("per department: the sum of each member's own union; unassigned last", async () => {
    const o = await seededOrg();
    const res = await http(t.baseUrl, 'GET', path(o.orgId), { token: o.owner.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      orgId: o.orgId,
      from: '2025-03-04T00:00:00.000Z',
      to: '2025-03-05T00:00:00.000Z',
      groupBy: 'department',
      totalSeconds: 2 * 3600 + 1800 + 600,
      items: [
        {
          departmentId: o.backend,
          parentId: o.eng,
          name: 'backend',
          memberCount: 1,
          activeMembers: 1,
          seconds: 600,
        },
        {
          departmentId: o.eng,
          parentId: null,
          name: 'Engineering',
          memberCount: 2,
          activeMembers: 2,
          seconds: 2 * 3600 + 1800,
        },
        {
          departmentId: o.sales,
          parentId: null,
          name: 'Sales',
          memberCount: 0,
          activeMembers: 0,
          seconds: 0,
        },
        {
          departmentId: null,
          parentId: null,
          name: 'unassigned',
          memberCount: 1,
          activeMembers: 0,
          seconds: 0,
        },
      ],
    });
    // groupBy may be left out; admins and stats.read holders get the same answer.
    for (const token of [o.admin.accessToken, reader.accessToken]) {
      const again = await http(
        t.baseUrl,
        'GET',
        `/api/stats/online/orgs/${o.orgId}?from=2025-03-04&to=2025-03-05`,
        { token },
      );
      expect(again.status).toBe(200);
      expect(again.body).toEqual(res.body);
    }
  });

  it('members without the owner or admin role: 403; outsiders: 404 as for an unknown id; no token: 401', async () => {
    const o = await seededOrg();
    expectError(await http(t.baseUrl, 'GET', path(o.orgId)), 401);
    for (const u of [o.member, o.dev])
      expectError(
        await http(t.baseUrl, 'GET', path(o.orgId), { token: u.accessToken }),
        403,
        'PERMISSION_DENIED',
      );
    expectError(
      await http(t.baseUrl, 'GET', path(o.orgId), { token: o.outsider.accessToken }),
      404,
      'ORG_NOT_FOUND',
    );
  });

  it('unknown organisation: 404; malformed id and bad input: 400', async () => {
    const o = await seededOrg();
    for (const token of [o.owner.accessToken, reader.accessToken])
      expectError(
        await http(t.baseUrl, 'GET', path(randomUUID()), { token }),
        404,
        'ORG_NOT_FOUND',
      );
    const bad = await http(t.baseUrl, 'GET', path('not-a-uuid'), { token: o.owner.accessToken });
    expectError(bad, 400, 'VALIDATION_FAILED');
    expect(errorText(bad)).toContain('id');
    const cases: [Record<string, string>, string][] = [
      [{ groupBy: 'user' }, 'groupBy'],
      [{ from: '2025-03-05', to: '2025-03-04' }, 'from must be before to'],
      [{ from: '2024-01-01', to: '2025-03-04' }, '366 days'],
      [{ to: 'soon' }, 'to'],
      [{ userId: o.owner.id }, 'userId'],
    ];
    for (const [params, text] of cases) {
      const res = await http(t.baseUrl, 'GET', path(o.orgId, params), {
        token: o.owner.accessToken,
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(text);
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = await http(t.baseUrl, 'GET', '/docs-json');
    const op = doc.body.paths['/api/stats/online/orgs/{id}']?.get;
    expect(op).toBeDefined();
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429']);
  });
});

describe('online statistics: module off', () => {
  let t: TestApp;
  const open: WsTestClient[] = [];

  beforeAll(async () => {
    // The module's own setting is not even read while it is off: a bad value changes nothing.
    t = await startTestApp(coreEnv({ ONLINE_LEASE_SEC: 'soon' }));
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

  it('its paths answer 404', async () => {
    const u = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, u);
    for (const path of [
      `/api/rooms/${room.id}/presence`,
      '/api/stats/online',
      `/api/stats/online?userId=${u.id}`,
      `/api/stats/online/orgs/${randomUUID()}`,
    ])
      expectError(await http(t.baseUrl, 'GET', path, { token: u.accessToken }), 404);
  });

  it('its tables are absent from the core database', async () => {
    const tables = await tablesIn(process.env.CORE_DATABASE_URL!);
    expect(tables).toContain('users');
    for (const name of MODULE_TABLES) expect(tables).not.toContain(name);
  });

  it('no presence frames reach subscribers', async () => {
    const owner = await registerUser(t.baseUrl);
    const bob = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, owner);
    expect((await joinRoom(t.baseUrl, bob, room.id)).status).toBe(200);
    const watcher = await connectWithTicket(t, owner);
    open.push(watcher);
    await watcher.subscribe(room.id);
    const b = await connectWithTicket(t, bob);
    open.push(b);
    await b.subscribe(room.id);
    b.close();
    await b.waitClosed();
    // A message after bob left the socket: once it arrives, anything published before has too.
    await watcher.sendMessage(room.id, 'after', 'after-1');
    await watcher.waitForSeq(room.id, 1);
    await watcher.roundTrip();
    expect(watcher.frames.filter((f) => f.event === 'presence')).toEqual([]);
  });
});
