// The advanced admin module (FEATURE_ADVANCED_ADMIN) end to end: user sanctions, moderation
// (REST and WebSocket), the audit log and the overview, against the real app and database; and
// with the module off, none of it exists.
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
  login,
  registerUser,
  sendMessage,
  uniqueName,
  type HttpResult,
  type TestUser,
} from '../../support/http.js';
import { delay, waitFor } from '../../support/wait.js';
import { connectWithTicket, type Frame, type WsTestClient } from '../../support/ws-client.js';

/** A list item as answered (JSON of the documented shape). */
type Item = Record<string, unknown>;

const ADMIN_TABLES = ['admin_audit', 'admin_instances', 'room_mutes', 'user_sanctions'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const HOUR = 3_600_000;

describe('advanced admin module on', () => {
  const adminName = uniqueName('adm');
  const admin2Name = uniqueName('adm2');
  const instanceId = `admin-e2e-${randomUUID().slice(0, 8)}`;
  const dbUrl = () => process.env.ENTERPRISE_DATABASE_URL!;
  let t: TestApp;
  let admin: TestUser;
  let admin2: TestUser;
  const open: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp(
      enterpriseEnv(['FEATURE_ADVANCED_ADMIN'], {
        ADMIN_USERNAMES: `${adminName},${admin2Name.toUpperCase()}`,
        ADMIN_SWEEP_INTERVAL_MS: '150',
        ADMIN_HEARTBEAT_INTERVAL_MS: '150',
        INSTANCE_ID: instanceId,
      }),
    );
    admin = await registerUser(t.baseUrl, { username: adminName });
    admin2 = await registerUser(t.baseUrl, { username: admin2Name });
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

  const api = (method: string, path: string, user: TestUser | null, body?: unknown) =>
    http(t.baseUrl, method, `/api${path}`, { token: user?.accessToken, body });
  const connect = async (u: TestUser) => {
    const c = await connectWithTicket(t, u);
    open.push(c);
    return c;
  };
  const db = <T>(sql: string, params: unknown[] = []) =>
    withDatabase(dbUrl(), async (c) => (await c.query(sql, params)).rows as T[]);
  const auditRows = (targetId: string) =>
    db<{
      action: string;
      actor_id: string | null;
      reason: string | null;
      details: Record<string, unknown>;
    }>(
      `SELECT action, actor_id, reason, details FROM admin_audit WHERE target_id = $1 ORDER BY id`,
      [targetId],
    );
  const statusOf = async (userId: string) =>
    (await db<{ status: string }>(`SELECT status FROM users WHERE id = $1`, [userId]))[0].status;
  const sanctionsOf = (userId: string) =>
    db(`SELECT * FROM user_sanctions WHERE user_id = $1`, [userId]);

  /** An owner, a member (bob), a room they are both in. */
  async function roomWithMember() {
    const owner = await registerUser(t.baseUrl);
    const bob = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, owner);
    expect((await joinRoom(t.baseUrl, bob, room.id)).status).toBe(200);
    return { owner, bob, room };
  }

  async function send(u: TestUser, roomId: string, content: string) {
    const r = await sendMessage(t.baseUrl, u, roomId, { content });
    expect(r.status).toBe(201);
    return r.body as { id: string; seq: number };
  }

  describe('GET /api/admin/users', () => {
    it('lists users with their sanction, filtered by q and status, keyset-paginated', async () => {
      const tag = uniqueName('lst').slice(0, 12);
      const made: TestUser[] = [];
      for (let i = 0; i < 3; i++)
        made.push(await registerUser(t.baseUrl, { username: `${tag}_${i}` }));
      const page1 = await api('GET', `/admin/users?q=${tag}&limit=2`, admin);
      expect(page1.status).toBe(200);
      expect(page1.body.items).toHaveLength(2);
      expect(page1.body.nextCursor).toEqual(expect.any(String));
      // Newest first.
      expect(page1.body.items.map((u: Item) => u.username)).toEqual([`${tag}_2`, `${tag}_1`]);
      expect(page1.body.items[0]).toEqual({
        id: made[2].id,
        username: `${tag}_2`,
        email: made[2].email,
        avatarUrl: null,
        status: 'active',
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        sanction: null,
      });
      const page2 = await api(
        'GET',
        `/admin/users?q=${tag}&limit=2&cursor=${page1.body.nextCursor}`,
        admin,
      );
      expect(page2.status).toBe(200);
      expect(page2.body.items.map((u: Item) => u.username)).toEqual([`${tag}_0`]);
      expect(page2.body.nextCursor).toBeNull();

      // By email too, case-insensitively; and by status.
      const byEmail = await api('GET', `/admin/users?q=${made[1].email.toUpperCase()}`, admin);
      expect(byEmail.body.items.map((u: Item) => u.id)).toEqual([made[1].id]);
      expect(
        (await api('POST', `/admin/users/${made[0].id}/ban`, admin, { reason: 'spam' })).status,
      ).toBe(200);
      const banned = await api('GET', `/admin/users?q=${tag}&status=banned`, admin);
      expect(banned.body.items).toHaveLength(1);
      expect(banned.body.items[0]).toMatchObject({
        id: made[0].id,
        status: 'banned',
        sanction: { kind: 'banned', reason: 'spam', until: null, by: admin.id },
      });
      expect(banned.body.items[0].sanction.at).toMatch(ISO);
      const active = await api('GET', `/admin/users?q=${tag}&status=active`, admin);
      expect(active.body.items.map((u: Item) => u.username).sort()).toEqual([
        `${tag}_1`,
        `${tag}_2`,
      ]);
      // Wildcards in q are literal.
      const none = await api('GET', `/admin/users?q=${tag}%25_`, admin);
      expect(none.body.items).toEqual([]);
    });

    it('needs a token (401) and user.ban (403); a second configured admin may', async () => {
      const user = await registerUser(t.baseUrl);
      expectError(await api('GET', '/admin/users', null), 401, 'AUTH_REQUIRED');
      expectError(await api('GET', '/admin/users', user), 403, 'PERMISSION_DENIED');
      // ADMIN_USERNAMES is matched case-insensitively.
      expect((await api('GET', '/admin/users?limit=1', admin2)).status).toBe(200);
    });

    it('refuses bad queries with 400 naming the field', async () => {
      for (const [q, field] of [
        ['status=deleted', 'status'],
        ['limit=0', 'limit'],
        ['limit=201', 'limit'],
        ['cursor=not-a-cursor', 'cursor'],
        ['q=' + 'x'.repeat(101), 'q'],
        ['bogus=1', 'bogus'],
      ]) {
        const r = await api('GET', `/admin/users?${q}`, admin);
        expectError(r, 400, 'VALIDATION_FAILED');
        expect(errorText(r)).toContain(field);
      }
    });
  });

  describe('ban, disable, unban', () => {
    it('a ban revokes everything at once: sockets close 4401, tokens 403, refresh and login refused', async () => {
      const victim = await registerUser(t.baseUrl);
      const ws1 = await connect(victim);
      const ws2 = await connect(victim);
      const r = await api('POST', `/admin/users/${victim.id}/ban`, admin, {
        reason: '  abusive  ',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        id: victim.id,
        status: 'banned',
        sanction: { kind: 'banned', reason: 'abusive', until: null, by: admin.id },
      });
      expect(await ws1.waitClosed(3000)).toBe(4401);
      expect(await ws2.waitClosed(3000)).toBe(4401);
      expectError(await api('GET', '/users/me', victim), 403, 'USER_DISABLED');
      const refresh = await http(t.baseUrl, 'POST', '/api/auth/refresh', {
        body: { refreshToken: victim.refreshToken },
      });
      expectError(refresh, 401, 'SESSION_REVOKED');
      expectError(await login(t.baseUrl, victim.username, victim.password), 403, 'USER_DISABLED');
      expect(await statusOf(victim.id)).toBe('banned');
      const audit = await auditRows(victim.id);
      expect(audit).toEqual([
        {
          action: 'user.ban',
          actor_id: admin.id,
          reason: 'abusive',
          details: { until: null, previousStatus: 'active' },
        },
      ]);
    });

    it('disable with an end time; the sweeper lifts it then, audited by the system', async () => {
      const victim = await registerUser(t.baseUrl);
      const until = inMs(1200);
      const r = await api('POST', `/admin/users/${victim.id}/disable`, admin, {
        reason: 'cool off',
        until,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        status: 'disabled',
        sanction: { kind: 'disabled', reason: 'cool off', until, by: admin.id },
      });
      expectError(await login(t.baseUrl, victim.username, victim.password), 403, 'USER_DISABLED');
      await waitFor(async () => (await statusOf(victim.id)) === 'active', 'the disable to end', {
        timeoutMs: 5000,
      });
      expect(await sanctionsOf(victim.id)).toEqual([]);
      expect((await login(t.baseUrl, victim.username, victim.password)).status).toBe(200);
      const audit = await auditRows(victim.id);
      expect(audit.map((a) => [a.action, a.actor_id])).toEqual([
        ['user.disable', admin.id],
        ['user.sanction_expired', null],
      ]);
      expect(audit[1].details).toMatchObject({ kind: 'disabled', sanctionReason: 'cool off' });
      // The system's row reads as such in the API.
      const listed = await api('GET', `/admin/audit?action=user.sanction_expired&limit=200`, admin);
      const row = listed.body.items.find((e: Item) => e.targetId === victim.id);
      expect(row).toMatchObject({ actorId: null, actorUsername: null, targetType: 'user' });
    });

    it('a second ban replaces the first; unban reactivates and the user logs in again', async () => {
      const victim = await registerUser(t.baseUrl);
      await api('POST', `/admin/users/${victim.id}/disable`, admin, {
        reason: 'first',
        until: inMs(HOUR),
      });
      const again = await api('POST', `/admin/users/${victim.id}/ban`, admin2, {
        reason: 'second',
      });
      expect(again.body).toMatchObject({
        status: 'banned',
        sanction: { kind: 'banned', reason: 'second', until: null, by: admin2.id },
      });
      const un = await api('POST', `/admin/users/${victim.id}/unban`, admin, { reason: 'appeal' });
      expect(un.status).toBe(200);
      expect(un.body).toMatchObject({ id: victim.id, status: 'active', sanction: null });
      expect(await sanctionsOf(victim.id)).toEqual([]);
      // Old sessions stay revoked; a new login works.
      expectError(await api('GET', '/users/me', victim), 401, 'SESSION_REVOKED');
      expect((await login(t.baseUrl, victim.username, victim.password)).status).toBe(200);
      const audit = await auditRows(victim.id);
      expect(audit.map((a) => [a.action, a.actor_id, a.reason])).toEqual([
        ['user.disable', admin.id, 'first'],
        ['user.ban', admin2.id, 'second'],
        ['user.unban', admin.id, 'appeal'],
      ]);
      expect(audit[2].details).toMatchObject({
        previousStatus: 'banned',
        previousSanction: { kind: 'banned', reason: 'second', until: null, by: admin2.id },
      });
      // Nothing to lift now; unban needs no body.
      expectError(
        await api('POST', `/admin/users/${victim.id}/unban`, admin),
        409,
        'USER_NOT_SANCTIONED',
      );
      expect(await auditRows(victim.id)).toHaveLength(3);
    });

    it('permission failures change nothing', async () => {
      const user = await registerUser(t.baseUrl);
      const victim = await registerUser(t.baseUrl);
      for (const action of ['ban', 'disable', 'unban']) {
        expectError(
          await api('POST', `/admin/users/${victim.id}/${action}`, null, { reason: 'x' }),
          401,
        );
        expectError(
          await api('POST', `/admin/users/${victim.id}/${action}`, user, { reason: 'x' }),
          403,
          'PERMISSION_DENIED',
        );
      }
      expect(await statusOf(victim.id)).toBe('active');
      expect(await auditRows(victim.id)).toEqual([]);
      expect((await api('GET', '/users/me', victim)).status).toBe(200);
    });

    it('bad input is a 400 naming the field and changes nothing', async () => {
      const victim = await registerUser(t.baseUrl);
      const cases: [string, unknown, string][] = [
        ['ban', {}, 'reason'],
        ['ban', { reason: '' }, 'reason'],
        ['ban', { reason: '   ' }, 'reason'],
        ['ban', { reason: 'x'.repeat(501) }, 'reason'],
        ['ban', { reason: 42 }, 'reason'],
        ['ban', { reason: 'x', until: 'tomorrow' }, 'until'],
        ['ban', { reason: 'x', until: inMs(-60_000) }, 'until'],
        ['ban', { reason: 'x', until: inMs(11 * 366 * 24 * HOUR) }, 'until'],
        ['ban', { reason: 'x', extra: true }, 'extra'],
        ['disable', { reason: 'x', until: '2030-02-31T00:00:00Z' }, 'until'],
        ['unban', { reason: 'x'.repeat(1001) }, 'reason'],
      ];
      for (const [action, body, field] of cases) {
        const r = await api('POST', `/admin/users/${victim.id}/${action}`, admin, body);
        expectError(r, 400, 'VALIDATION_FAILED');
        expect(errorText(r)).toContain(field);
      }
      const malformed = await api('POST', '/admin/users/not-a-uuid/ban', admin, { reason: 'x' });
      expectError(malformed, 400, 'VALIDATION_FAILED');
      expect(errorText(malformed)).toContain('id');
      expect(await statusOf(victim.id)).toBe('active');
      expect(await sanctionsOf(victim.id)).toEqual([]);
      expect(await auditRows(victim.id)).toEqual([]);
    });

    it('unknown users are 404; acting on yourself is 409', async () => {
      for (const action of ['ban', 'disable', 'unban'])
        expectError(
          await api('POST', `/admin/users/${randomUUID()}/${action}`, admin, { reason: 'x' }),
          404,
          'USER_NOT_FOUND',
        );
      for (const action of ['ban', 'disable', 'unban'])
        expectError(
          await api('POST', `/admin/users/${admin.id}/${action}`, admin, { reason: 'x' }),
          409,
          'ADMIN_SELF_ACTION',
        );
      expect(await statusOf(admin.id)).toBe('active');
    });
  });

  describe('deleting any message', () => {
    it('REST: the message becomes a tombstone with its seq, subscribers get message.deleted', async () => {
      const { owner, bob, room } = await roomWithMember();
      const m1 = await send(bob, room.id, 'one');
      const m2 = await send(bob, room.id, 'two');
      await send(bob, room.id, 'three');
      const watcher = await connect(owner);
      await watcher.subscribe(room.id);

      const r = await api('DELETE', `/admin/rooms/${room.id}/messages/${m2.id}`, admin, {
        reason: 'off-topic',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        id: m2.id,
        roomId: room.id,
        seq: 2,
        userId: bob.id,
        content: '',
        deletedAt: expect.stringMatching(ISO),
      });
      const f = await watcher.waitFor('message.deleted', 3000);
      expect(f.data).toEqual({ roomId: room.id, id: m2.id, seq: 2, eventSeq: expect.any(Number) });

      const history = await api('GET', `/rooms/${room.id}/messages`, owner);
      expect(history.body.items.map((m: Item) => [m.seq, m.content, m.deletedAt !== null])).toEqual(
        [
          [1, 'one', false],
          [2, '', true],
          [3, 'three', false],
        ],
      );
      expect(await auditRows(m2.id)).toEqual([
        {
          action: 'message.delete',
          actor_id: admin.id,
          reason: 'off-topic',
          details: { roomId: room.id, seq: 2, authorId: bob.id, via: 'rest' },
        },
      ]);

      // Again: the same tombstone, nothing new recorded or broadcast.
      const again = await api('DELETE', `/admin/rooms/${room.id}/messages/${m2.id}`, admin);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(r.body);
      expect(await auditRows(m2.id)).toHaveLength(1);
      await watcher.roundTrip();
      expect(watcher.frames.filter((x) => x.event === 'message.deleted')).toHaveLength(1);

      // Even the room's owner needs message.delete.any.
      expectError(
        await api('DELETE', `/admin/rooms/${room.id}/messages/${m1.id}`, owner),
        403,
        'PERMISSION_DENIED',
      );
      expectError(await api('DELETE', `/admin/rooms/${room.id}/messages/${m1.id}`, null), 401);
      const after = await api('GET', `/rooms/${room.id}/messages?afterSeq=0&limit=1`, owner);
      expect(after.body.items[0]).toMatchObject({ id: m1.id, content: 'one', deletedAt: null });
    });

    it('REST: unknown ids are 404, malformed ones and a bad reason 400, and nothing changes', async () => {
      const { bob, room } = await roomWithMember();
      const m = await send(bob, room.id, 'keep me');
      const other = await createRoom(t.baseUrl, bob);
      expectError(
        await api('DELETE', `/admin/rooms/${randomUUID()}/messages/${m.id}`, admin),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await api('DELETE', `/admin/rooms/${room.id}/messages/${randomUUID()}`, admin),
        404,
        'MESSAGE_NOT_FOUND',
      );
      expectError(
        await api('DELETE', `/admin/rooms/${other.id}/messages/${m.id}`, admin),
        404,
        'MESSAGE_NOT_FOUND',
      );
      for (const path of [
        `/admin/rooms/nope/messages/${m.id}`,
        `/admin/rooms/${room.id}/messages/nope`,
      ])
        expectError(await api('DELETE', path, admin), 400, 'VALIDATION_FAILED');
      const long = await api('DELETE', `/admin/rooms/${room.id}/messages/${m.id}`, admin, {
        reason: 'x'.repeat(501),
      });
      expectError(long, 400, 'VALIDATION_FAILED');
      expect(errorText(long)).toContain('reason');
      const rows = await db<{ content: string; deleted_at: Date | null }>(
        `SELECT content, deleted_at FROM messages WHERE id = $1`,
        [m.id],
      );
      expect(rows).toEqual([{ content: 'keep me', deleted_at: null }]);
      expect(await auditRows(m.id)).toEqual([]);
    });

    it('WebSocket message.delete: an ack to the caller, message.deleted to subscribers', async () => {
      const { owner, bob, room } = await roomWithMember();
      const m = await send(bob, room.id, 'bye');
      const watcher = await connect(owner);
      await watcher.subscribe(room.id);
      const mod = await connect(admin);

      const ack = await mod.request(
        'message.delete',
        { roomId: room.id, messageId: m.id, reason: 'spam' },
        'message.delete.ack',
      );
      expect(ack).toEqual({
        event: 'message.delete.ack',
        data: { roomId: room.id, id: m.id, seq: 1, deletedAt: expect.stringMatching(ISO) },
      });
      expect((await watcher.waitFor('message.deleted', 3000)).data).toEqual({
        roomId: room.id,
        id: m.id,
        seq: 1,
        eventSeq: expect.any(Number),
      });
      expect(await auditRows(m.id)).toEqual([
        expect.objectContaining({
          action: 'message.delete',
          details: expect.objectContaining({ via: 'ws' }),
        }),
      ]);
    });

    it('WebSocket message.delete: refusals are error frames and the connection stays open', async () => {
      const { owner, bob, room } = await roomWithMember();
      const m = await send(bob, room.id, 'stay');
      const isErr = (f: Frame) => f.event === 'error' && f.data?.ref === 'message.delete';
      const user = await connect(owner);
      const denied = await user.request(
        'message.delete',
        { roomId: room.id, messageId: m.id },
        'x',
      );
      expect(isErr(denied) && denied.data.code).toBe('PERMISSION_DENIED');
      expect(user.isOpen).toBe(true);

      const mod = await connect(admin);
      const bad = await mod.request('message.delete', { roomId: 'nope', messageId: m.id }, 'x');
      expect(isErr(bad) && bad.data.code).toBe('VALIDATION_FAILED');
      expect(bad.data.message).toContain('roomId');
      const missing = await mod.request(
        'message.delete',
        { roomId: room.id, messageId: randomUUID() },
        'x',
      );
      expect(isErr(missing) && missing.data.code).toBe('MESSAGE_NOT_FOUND');
      const extra = await mod.request(
        'message.delete',
        { roomId: room.id, messageId: m.id, hack: 1 },
        'x',
      );
      expect(isErr(extra) && extra.data.code).toBe('VALIDATION_FAILED');
      await mod.roundTrip();
      const rows = await db<{ content: string }>(`SELECT content FROM messages WHERE id = $1`, [
        m.id,
      ]);
      expect(rows[0].content).toBe('stay');
    });
  });

  describe('mutes', () => {
    it('a muted member gets 403 MUTED on REST and an error frame on WS, in that room only; unmute lets them back', async () => {
      const { owner, bob, room } = await roomWithMember();
      const elsewhere = await createRoom(t.baseUrl, bob);
      const until = inMs(HOUR);
      const r = await api('POST', `/admin/rooms/${room.id}/mutes`, admin, {
        userId: bob.id,
        until,
        reason: 'flooding',
      });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({
        roomId: room.id,
        userId: bob.id,
        until,
        reason: 'flooding',
        by: admin.id,
        createdAt: expect.stringMatching(ISO),
      });
      const refused = await sendMessage(t.baseUrl, bob, room.id, { content: 'hi' });
      expectError(refused, 403, 'MUTED');
      expect(errorText(refused)).toContain(until);
      const ws = await connect(bob);
      const frame = await ws.sendMessage(room.id, 'hi over ws', 'mute-ws-1');
      expect(frame).toMatchObject({ event: 'error', data: { code: 'MUTED', ref: 'mute-ws-1' } });
      expect(ws.isOpen).toBe(true);
      // Others still send; bob still sends elsewhere; nothing of bob's was stored here.
      expect((await sendMessage(t.baseUrl, owner, room.id, { content: 'ok' })).status).toBe(201);
      expect((await sendMessage(t.baseUrl, bob, elsewhere.id, { content: 'ok' })).status).toBe(201);
      const stored = await db<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE room_id = $1 AND user_id = $2`,
        [room.id, bob.id],
      );
      expect(stored[0].n).toBe(0);

      expect((await api('DELETE', `/admin/rooms/${room.id}/mutes/${bob.id}`, admin)).status).toBe(
        204,
      );
      expect((await ws.sendMessage(room.id, 'back', 'mute-ws-2')).event).toBe('message.ack');
      expectError(
        await api('DELETE', `/admin/rooms/${room.id}/mutes/${bob.id}`, admin),
        404,
        'MUTE_NOT_FOUND',
      );
      const audit = await auditRows(bob.id);
      expect(audit.map((a) => [a.action, a.actor_id, a.details.roomId])).toEqual([
        ['member.mute', admin.id, room.id],
        ['member.unmute', admin.id, room.id],
      ]);
      expect(audit[0].details.until).toBe(until);
    });

    it('a mute ends by itself at its time', async () => {
      const { bob, room } = await roomWithMember();
      await api('POST', `/admin/rooms/${room.id}/mutes`, admin, {
        userId: bob.id,
        until: inMs(800),
      });
      expectError(await sendMessage(t.baseUrl, bob, room.id, { content: 'x' }), 403, 'MUTED');
      await waitFor(
        async () => (await sendMessage(t.baseUrl, bob, room.id, { content: 'x' })).status === 201,
        'the mute to end',
        { timeoutMs: 5000, intervalMs: 100 },
      );
      await waitFor(
        async () => (await auditRows(bob.id)).some((a) => a.action === 'member.mute_expired'),
        'the sweeper to record the end',
        { timeoutMs: 3000 },
      );
      expect(await db(`SELECT 1 FROM room_mutes WHERE user_id = $1`, [bob.id])).toEqual([]);
    });

    it('muting again replaces the mute', async () => {
      const { bob, room } = await roomWithMember();
      await api('POST', `/admin/rooms/${room.id}/mutes`, admin, {
        userId: bob.id,
        until: inMs(HOUR),
      });
      const later = inMs(2 * HOUR);
      const r = await api('POST', `/admin/rooms/${room.id}/mutes`, admin2, {
        userId: bob.id,
        until: later,
      });
      expect(r.body).toMatchObject({ until: later, by: admin2.id, reason: null });
      expect(
        await db(`SELECT until FROM room_mutes WHERE room_id = $1 AND user_id = $2`, [
          room.id,
          bob.id,
        ]),
      ).toEqual([{ until: new Date(later) }]);
    });

    it('refusals: 401, 403, 400 naming the field, 404 and 409; none of them mutes anyone', async () => {
      const { owner, bob, room } = await roomWithMember();
      const ok = { userId: bob.id, until: inMs(HOUR) };
      expectError(await api('POST', `/admin/rooms/${room.id}/mutes`, null, ok), 401);
      expectError(
        await api('POST', `/admin/rooms/${room.id}/mutes`, owner, ok),
        403,
        'PERMISSION_DENIED',
      );
      expectError(
        await api('DELETE', `/admin/rooms/${room.id}/mutes/${bob.id}`, owner),
        403,
        'PERMISSION_DENIED',
      );
      const bad: [unknown, string][] = [
        [{ userId: bob.id }, 'until'],
        [{ userId: bob.id, until: null }, 'until'],
        [{ userId: bob.id, until: inMs(-1000) }, 'until'],
        [{ userId: bob.id, until: inMs(367 * 24 * HOUR) }, 'until'],
        [{ userId: 'bob', until: inMs(HOUR) }, 'userId'],
        [{ until: inMs(HOUR) }, 'userId'],
        [{ ...ok, reason: 'x'.repeat(600) }, 'reason'],
        [{ ...ok, extra: 1 }, 'extra'],
      ];
      for (const [body, field] of bad) {
        const r = await api('POST', `/admin/rooms/${room.id}/mutes`, admin, body);
        expectError(r, 400, 'VALIDATION_FAILED');
        expect(errorText(r)).toContain(field);
      }
      expectError(
        await api('POST', `/admin/rooms/nope/mutes`, admin, ok),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await api('DELETE', `/admin/rooms/${room.id}/mutes/nope`, admin),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await api('POST', `/admin/rooms/${randomUUID()}/mutes`, admin, ok),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await api('DELETE', `/admin/rooms/${randomUUID()}/mutes/${bob.id}`, admin),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await api('POST', `/admin/rooms/${room.id}/mutes`, admin, { ...ok, userId: randomUUID() }),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await api('POST', `/admin/rooms/${room.id}/mutes`, admin, { ...ok, userId: admin.id }),
        409,
        'ADMIN_SELF_ACTION',
      );
      expect(await db(`SELECT 1 FROM room_mutes WHERE room_id = $1`, [room.id])).toEqual([]);
      expect((await sendMessage(t.baseUrl, bob, room.id, { content: 'free' })).status).toBe(201);
    });
  });

  describe('kick', () => {
    it('removes the member everywhere: member.left to others, room.unsubscribed {kicked} to them', async () => {
      const { owner, bob, room } = await roomWithMember();
      const ownerWs = await connect(owner);
      const bobWs = await connect(bob);
      await ownerWs.subscribe(room.id);
      await bobWs.subscribe(room.id);
      const r = await api('POST', `/admin/rooms/${room.id}/kick/${bob.id}`, admin, {
        reason: 'rude',
      });
      expect(r.status).toBe(204);
      expect((await bobWs.waitFor('room.unsubscribed', 3000)).data).toEqual({
        roomId: room.id,
        reason: 'kicked',
      });
      expect((await ownerWs.waitFor('member.left', 3000)).data).toMatchObject({
        roomId: room.id,
        userId: bob.id,
      });
      const members = await api('GET', `/rooms/${room.id}/members`, owner);
      expect(members.body.items.map((m: Item) => m.userId)).toEqual([owner.id]);
      expectError(await sendMessage(t.baseUrl, bob, room.id, { content: 'x' }), 403);
      expect(await auditRows(bob.id)).toEqual([
        { action: 'member.kick', actor_id: admin.id, reason: 'rude', details: { roomId: room.id } },
      ]);
      // Not a member any more.
      expectError(
        await api('POST', `/admin/rooms/${room.id}/kick/${bob.id}`, admin),
        404,
        'MEMBER_NOT_FOUND',
      );
    });

    it('refusals: the owner, yourself, unknown and malformed ids, no permission', async () => {
      const { owner, bob, room } = await roomWithMember();
      const path = (u: string, r = room.id) => `/admin/rooms/${r}/kick/${u}`;
      expectError(await api('POST', path(owner.id), admin), 409, 'ROOM_OWNER_PROTECTED');
      expectError(await api('POST', path(admin.id), admin), 409, 'ADMIN_SELF_ACTION');
      expectError(await api('POST', path(bob.id, randomUUID()), admin), 404, 'ROOM_NOT_FOUND');
      expectError(await api('POST', path(randomUUID()), admin), 404, 'MEMBER_NOT_FOUND');
      expectError(await api('POST', path('nope'), admin), 400, 'VALIDATION_FAILED');
      expectError(await api('POST', path(bob.id), admin, { reason: 7 }), 400, 'VALIDATION_FAILED');
      expectError(await api('POST', path(bob.id), null), 401);
      expectError(await api('POST', path(bob.id), owner), 403, 'PERMISSION_DENIED');
      const members = await api('GET', `/rooms/${room.id}/members`, owner);
      expect(members.body.items.map((m: Item) => m.userId).sort()).toEqual(
        [owner.id, bob.id].sort(),
      );
    });
  });

  describe('GET /api/admin/audit', () => {
    it('filters by actor, action and time, newest first, keyset-paginated', async () => {
      const v1 = await registerUser(t.baseUrl);
      const v2 = await registerUser(t.baseUrl);
      const v3 = await registerUser(t.baseUrl);
      const start = new Date().toISOString();
      // A few milliseconds apart, so the API's millisecond times order them.
      await api('POST', `/admin/users/${v1.id}/ban`, admin2, { reason: 'a' });
      await delay(5);
      await api('POST', `/admin/users/${v2.id}/disable`, admin2, { reason: 'b' });
      await delay(5);
      await api('POST', `/admin/users/${v3.id}/ban`, admin2, { reason: 'c' });
      const mine = await api(
        'GET',
        `/admin/audit?actorId=${admin2.id}&from=${start}&limit=2`,
        admin,
      );
      expect(mine.status).toBe(200);
      expect(mine.body.items.map((e: Item) => e.targetId)).toEqual([v3.id, v2.id]);
      expect(mine.body.items[0]).toEqual({
        id: expect.stringMatching(/^\d+$/),
        actorId: admin2.id,
        actorUsername: admin2Name,
        action: 'user.ban',
        targetType: 'user',
        targetId: v3.id,
        reason: 'c',
        details: { until: null, previousStatus: 'active' },
        createdAt: expect.stringMatching(ISO),
      });
      const next = await api(
        'GET',
        `/admin/audit?actorId=${admin2.id}&from=${start}&limit=2&cursor=${mine.body.nextCursor}`,
        admin,
      );
      expect(next.body.items.map((e: Item) => e.targetId)).toEqual([v1.id]);
      expect(next.body.nextCursor).toBeNull();

      const bans = await api(
        'GET',
        `/admin/audit?actorId=${admin2.id}&action=user.ban&from=${start}`,
        admin,
      );
      expect(bans.body.items.map((e: Item) => e.targetId)).toEqual([v3.id, v1.id]);
      const firstAt = next.body.items[0].createdAt as string;
      const window = await api(
        'GET',
        `/admin/audit?actorId=${admin2.id}&from=${start}&to=${firstAt}`,
        admin,
      );
      expect(window.body.items).toEqual([]); // `to` is exclusive
      const upTo = new Date(Date.parse(mine.body.items[1].createdAt) + 0).toISOString();
      const early = await api(
        'GET',
        `/admin/audit?actorId=${admin2.id}&from=${start}&to=${upTo}`,
        admin,
      );
      expect(early.body.items.map((e: Item) => e.targetId)).toEqual([v1.id]);
    });

    it('needs audit.read; bad filters are 400 naming the field', async () => {
      const user = await registerUser(t.baseUrl);
      expectError(await api('GET', '/admin/audit', null), 401);
      expectError(await api('GET', '/admin/audit', user), 403, 'PERMISSION_DENIED');
      for (const [q, field] of [
        ['actorId=nope', 'actorId'],
        ['action=user.delete', 'action'],
        ['from=yesterday', 'from'],
        ['to=2030-13-01T00:00:00Z', 'to'],
        ['from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z', 'from'],
        ['cursor=abc', 'cursor'],
        [`cursor=${Buffer.from(JSON.stringify(['1 OR 1=1'])).toString('base64url')}`, 'cursor'],
        ['limit=500', 'limit'],
      ]) {
        const r = await api('GET', `/admin/audit?${q}`, admin);
        expectError(r, 400, 'VALIDATION_FAILED');
        expect(errorText(r)).toContain(field);
      }
    });

    it('is append-only in the database: UPDATE, DELETE and TRUNCATE fail', async () => {
      const v = await registerUser(t.baseUrl);
      await api('POST', `/admin/users/${v.id}/ban`, admin, { reason: 'keep' });
      for (const sql of [
        `UPDATE admin_audit SET reason = 'changed' WHERE target_id = '${v.id}'`,
        `DELETE FROM admin_audit WHERE target_id = '${v.id}'`,
        `TRUNCATE admin_audit`,
      ])
        await expect(db(sql)).rejects.toThrow(/append-only/);
      expect((await auditRows(v.id)).map((a) => a.reason)).toEqual(['keep']);
    });
  });

  describe('GET /api/admin/overview', () => {
    it('counts users, rooms, messages today and sockets open across instances', async () => {
      for (const c of open.splice(0)) c.terminate();
      const { owner, room } = await roomWithMember();
      const before = await api('GET', '/admin/overview', admin);
      expect(before.status).toBe(200);
      await registerUser(t.baseUrl);
      await send(owner, room.id, 'counted');
      await connect(owner);
      await connect(owner);
      // This instance's heartbeat row catches up with its two sockets.
      await waitFor(
        async () =>
          (
            await db<{ sockets: number }>(
              `SELECT sockets FROM admin_instances WHERE instance_id = $1`,
              [instanceId],
            )
          )[0]?.sockets === 2,
        'the heartbeat to report 2 sockets',
        { timeoutMs: 3000 },
      );
      const r = await api('GET', '/admin/overview', admin);
      expect(r.body).toEqual({
        users: expect.any(Number),
        rooms: expect.any(Number),
        messagesToday: expect.any(Number),
        socketsOpen: expect.any(Number),
        instances: expect.any(Number),
        generatedAt: expect.stringMatching(ISO),
      });
      const [counts] = await db<{ users: number }>(
        `SELECT (SELECT count(*) FROM users)::int AS users`,
      );
      // Other suites may share the database (users are never deleted; rooms may be): bounds.
      // The Kafka suite checks exact figures on a database of its own.
      expect(r.body.users).toBeGreaterThanOrEqual(before.body.users + 1);
      expect(r.body.users).toBeLessThanOrEqual(counts.users);
      expect(r.body.rooms).toBeGreaterThanOrEqual(1);
      expect(r.body.messagesToday).toBeGreaterThanOrEqual(before.body.messagesToday + 1);
      expect(r.body.socketsOpen).toBeGreaterThanOrEqual(2);
      expect(r.body.instances).toBeGreaterThanOrEqual(1);
    });

    it('needs audit.read', async () => {
      const user = await registerUser(t.baseUrl);
      expectError(await api('GET', '/admin/overview', null), 401);
      expectError(await api('GET', '/admin/overview', user), 403, 'PERMISSION_DENIED');
    });
  });

  it('documents every admin endpoint with its errors in /docs-json', async () => {
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    const expected: [string, string, string[]][] = [
      ['/api/admin/users', 'get', ['200', '400', '401', '403']],
      ['/api/admin/users/{id}/ban', 'post', ['200', '400', '401', '403', '404', '409']],
      ['/api/admin/users/{id}/disable', 'post', ['200', '400', '401', '403', '404', '409']],
      ['/api/admin/users/{id}/unban', 'post', ['200', '400', '401', '403', '404', '409']],
      ['/api/admin/rooms/{roomId}/messages/{messageId}', 'delete', ['200', '400', '403', '404']],
      ['/api/admin/rooms/{roomId}/mutes', 'post', ['201', '400', '403', '404', '409']],
      ['/api/admin/rooms/{roomId}/mutes/{userId}', 'delete', ['204', '400', '403', '404']],
      ['/api/admin/rooms/{roomId}/kick/{userId}', 'post', ['204', '400', '403', '404', '409']],
      ['/api/admin/audit', 'get', ['200', '400', '401', '403']],
      ['/api/admin/overview', 'get', ['200', '401', '403']],
    ];
    for (const [path, method, statuses] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op).toBeDefined();
      for (const s of statuses) expect(Object.keys(op.responses)).toContain(s);
    }
    expect(doc.components.schemas.ErrorResponseDto.properties.code.enum).toEqual(
      expect.arrayContaining(['MUTED', 'ADMIN_SELF_ACTION', 'ROOM_OWNER_PROTECTED']),
    );
  });
});

describe('advanced admin module off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(coreEnv());
  });
  afterAll(async () => {
    await t.close();
  });

  it('its paths answer 404', async () => {
    const user = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, user);
    const id = randomUUID();
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/admin/users'],
      ['POST', `/api/admin/users/${id}/ban`, { reason: 'x' }],
      ['POST', `/api/admin/users/${id}/disable`, { reason: 'x' }],
      ['POST', `/api/admin/users/${id}/unban`, {}],
      ['DELETE', `/api/admin/rooms/${room.id}/messages/${id}`],
      ['POST', `/api/admin/rooms/${room.id}/mutes`, { userId: id, until: inMs(HOUR) }],
      ['DELETE', `/api/admin/rooms/${room.id}/mutes/${id}`],
      ['POST', `/api/admin/rooms/${room.id}/kick/${id}`],
      ['GET', '/api/admin/audit'],
      ['GET', '/api/admin/overview'],
    ];
    for (const [method, path, body] of calls) {
      const r: HttpResult = await http(t.baseUrl, method, path, { token: user.accessToken, body });
      expectError(r, 404, 'NOT_FOUND');
    }
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/api/admin'))).toEqual([]);
  });

  it('its tables are absent from the core database', async () => {
    const tables = await tablesIn(process.env.CORE_DATABASE_URL!);
    expect(tables).toContain('messages');
    for (const table of ADMIN_TABLES) expect(tables).not.toContain(table);
  });

  it('message.delete on the WebSocket is an unknown event; sends are unaffected', async () => {
    const user = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, user);
    const m = await sendMessage(t.baseUrl, user, room.id, { content: 'stays' });
    const ws = await connectWithTicket(t, user);
    try {
      const f = await ws.request(
        'message.delete',
        { roomId: room.id, messageId: m.body.id },
        'message.delete.ack',
      );
      expect(f).toEqual({
        event: 'error',
        data: { code: 'UNKNOWN_EVENT', message: expect.any(String), ref: 'message.delete' },
      });
      expect((await ws.sendMessage(room.id, 'still works', 'off-1')).event).toBe('message.ack');
    } finally {
      ws.terminate();
    }
    const history = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages`, {
      token: user.accessToken,
    });
    expect(history.body.items[0]).toMatchObject({ content: 'stays', deletedAt: null });
  });
});

describe('advanced admin migrations', () => {
  it('run only with the flag on, and revert cleanly (tables, trigger function, core indexes)', async () => {
    const { migrationsFor, moduleMigrations } = await import('../../../migrations/index.js');
    const { loadFeatureFlags } = await import('../../../src/config/configuration.js');
    const { buildDataSourceOptions } =
      await import('../../../src/infrastructure/database/data-source-options.js');
    const { DataSource } = await import('typeorm');
    const { createScratchDatabase, undoThrough } = await import('../../support/db.js');
    const names = (env: Record<string, string>) =>
      migrationsFor(loadFeatureFlags(env).flags).map((m) => m.name);
    expect(names({})).not.toContain('AdminSchema1765200000000');
    expect(names({ FEATURE_ADVANCED_ADMIN: 'true' })).toContain('AdminSchema1765200000000');

    const scratch = await createScratchDatabase();
    const ds = new DataSource({
      ...buildDataSourceOptions(
        scratch.url,
        migrationsFor(loadFeatureFlags({ FEATURE_ADVANCED_ADMIN: 'true' }).flags),
        2,
      ),
      logging: false,
    });
    await ds.initialize();
    try {
      const state = async () => ({
        tables: (await tablesIn(scratch.url)).filter((x) => ADMIN_TABLES.includes(x)),
        indexes: (
          await ds.query<{ indexname: string }[]>(
            `SELECT indexname FROM pg_indexes WHERE indexname LIKE 'admin\\_%' ORDER BY 1`,
          )
        ).map((r) => r.indexname),
        fn: (
          await ds.query<unknown[]>(
            `SELECT 1 FROM pg_proc WHERE proname = 'admin_audit_append_only'`,
          )
        ).length,
      });
      await ds.runMigrations({ transaction: 'each' });
      const up = await state();
      expect(up.tables).toEqual(ADMIN_TABLES);
      expect(up.indexes).toEqual(
        expect.arrayContaining(['admin_messages_created_brin', 'admin_users_created_idx']),
      );
      expect(up.fn).toBe(1);
      await undoThrough(ds, moduleMigrations.enableAdvancedAdmin);
      expect(await state()).toEqual({ tables: [], indexes: [], fn: 0 });
      expect(await tablesIn(scratch.url)).toContain('messages');
      await ds.runMigrations({ transaction: 'each' });
      expect((await state()).tables).toEqual(ADMIN_TABLES);
    } finally {
      await ds.destroy();
      await scratch.drop();
    }
  });
});
