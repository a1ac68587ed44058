// The advanced admin module across two service processes sharing PostgreSQL and one Kafka topic:
// a ban on one instance ends the user's sockets and tokens on both at once; a message deleted
// on one reaches subscribers on the other; a mute set on one holds on the other; the overview
// counts sockets on every instance; a timed ban lifts itself exactly once though both sweep.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { twoInstancesOnKafka } from '../support/cluster.js';
import { withDatabase } from '../support/flags.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  login,
  registerUser,
  sendMessage,
  uniqueName,
  type TestUser,
} from '../support/http.js';
import { withServiceLogs, type ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { WsTestClient } from '../support/ws-client.js';

/** A list item as answered (JSON of the documented shape). */
type Item = Record<string, unknown>;

const adminName = uniqueName('kadm');
const HEARTBEAT_MS = 200;

describe('advanced admin across two instances on Kafka', () => {
  const cluster = twoInstancesOnKafka('admin', {
    FEATURE_ADVANCED_ADMIN: 'true',
    ADMIN_USERNAMES: adminName,
    ADMIN_SWEEP_INTERVAL_MS: '200',
    ADMIN_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
  });
  const services = cluster.services;
  const ws = cluster.ws;
  let admin: TestUser;
  const api = (svc: ServiceProcess, method: string, path: string, user: TestUser, body?: unknown) =>
    http(svc.baseUrl, method, `/api${path}`, { token: user.accessToken, body });
  const db = <T>(sql: string, params: unknown[] = []) =>
    withDatabase(cluster.databaseUrl, async (c) => (await c.query(sql, params)).rows as T[]);

  beforeAll(async () => {
    admin = await registerUser(cluster.a.baseUrl, { username: adminName });
  });

  it(
    'a ban via A closes the victim’s sockets on A and B with 4401; tokens, refresh and login are refused on B',
    withServiceLogs(services, async () => {
      const victim = await registerUser(cluster.b.baseUrl);
      const onA = await ws(cluster.a, victim);
      const onB = await ws(cluster.b, victim);
      // Warm B's session cache with the token, so "at once" cannot come from a cold cache.
      expect((await api(cluster.b, 'GET', '/users/me', victim)).status).toBe(200);

      const started = Date.now();
      const ban = await api(cluster.a, 'POST', `/admin/users/${victim.id}/ban`, admin, {
        reason: 'cross-instance ban',
      });
      expect(ban.status).toBe(200);
      expect(ban.body).toMatchObject({ status: 'banned', sanction: { kind: 'banned' } });
      const [codeA, codeB] = await Promise.all([onA.waitClosed(5000), onB.waitClosed(5000)]);
      expect([codeA, codeB]).toEqual([4401, 4401]);
      expect(Date.now() - started).toBeLessThan(5000);

      // Right after B closed the socket, B's cached session state is gone too.
      expectError(await api(cluster.b, 'GET', '/users/me', victim), 403, 'USER_DISABLED');
      expectError(await api(cluster.a, 'GET', '/users/me', victim), 403, 'USER_DISABLED');
      const refresh = await http(cluster.b.baseUrl, 'POST', '/api/auth/refresh', {
        body: { refreshToken: victim.refreshToken },
      });
      expectError(refresh, 401, 'SESSION_REVOKED');
      expectError(
        await login(cluster.b.baseUrl, victim.username, victim.password),
        403,
        'USER_DISABLED',
      );
      // A new WebSocket is refused at the upgrade on either instance.
      expect(await WsTestClient.upgradeStatus(cluster.b.wsUrl, { token: victim.accessToken })).toBe(
        403,
      );
      const audit = await db<{ action: string; actor_id: string }>(
        `SELECT action, actor_id FROM admin_audit WHERE target_id = $1`,
        [victim.id],
      );
      expect(audit).toEqual([{ action: 'user.ban', actor_id: admin.id }]);
    }),
    60_000,
  );

  it(
    'a message deleted via B reaches a subscriber on A as message.deleted; history on A shows the tombstone',
    withServiceLogs(services, async () => {
      const owner = await registerUser(cluster.a.baseUrl);
      const bob = await registerUser(cluster.b.baseUrl);
      const room = await createRoom(cluster.a.baseUrl, owner);
      expect((await joinRoom(cluster.b.baseUrl, bob, room.id)).status).toBe(200);
      const watcher = await ws(cluster.a, owner);
      await watcher.subscribe(room.id);
      const sent = [];
      for (const content of ['first', 'second', 'third']) {
        const r = await sendMessage(cluster.b.baseUrl, bob, room.id, { content });
        expect(r.status).toBe(201);
        sent.push(r.body);
      }
      await watcher.waitForSeq(room.id, 3);

      // Over B's WebSocket this time (the REST path is the same service call).
      const mod = await ws(cluster.b, admin);
      const ack = await mod.request(
        'message.delete',
        { roomId: room.id, messageId: sent[1].id, reason: 'cross-instance' },
        'message.delete.ack',
      );
      expect(ack.data).toMatchObject({ roomId: room.id, id: sent[1].id, seq: 2 });
      const deleted = await watcher.waitFor('message.deleted', 10_000);
      expect(deleted.data).toEqual({
        roomId: room.id,
        id: sent[1].id,
        seq: 2,
        eventSeq: expect.any(Number),
      });

      // And over B's REST.
      const rest = await api(
        cluster.b,
        'DELETE',
        `/admin/rooms/${room.id}/messages/${sent[2].id}`,
        admin,
      );
      expect(rest.status).toBe(200);
      await watcher.waitFor((f) => f.event === 'message.deleted' && f.data.seq === 3, 10_000);

      const history = await api(cluster.a, 'GET', `/rooms/${room.id}/messages`, owner);
      expect(
        history.body.items.map((m: Item) => [m.seq, m.id, m.content, m.deletedAt === null]),
      ).toEqual([
        [1, sent[0].id, 'first', true],
        [2, sent[1].id, '', false],
        [3, sent[2].id, '', false],
      ]);
    }),
    60_000,
  );

  it(
    'a mute set via A holds on B within a second, and lifting it via A frees B',
    withServiceLogs(services, async () => {
      const owner = await registerUser(cluster.a.baseUrl);
      const bob = await registerUser(cluster.b.baseUrl);
      const room = await createRoom(cluster.a.baseUrl, owner);
      expect((await joinRoom(cluster.b.baseUrl, bob, room.id)).status).toBe(200);
      // B has read the (empty) mutes for this send already: its index is warm.
      expect(
        (await sendMessage(cluster.b.baseUrl, bob, room.id, { content: 'before' })).status,
      ).toBe(201);
      const bobWs = await ws(cluster.b, bob);

      const muted = await api(cluster.a, 'POST', `/admin/rooms/${room.id}/mutes`, admin, {
        userId: bob.id,
        until: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(muted.status).toBe(201);
      const mutedAt = Date.now();
      let n = 0;
      await waitFor(
        async () => {
          const f = await bobWs.sendMessage(room.id, `try ${n}`, `try-${n++}`);
          return f.event === 'error' && f.data.code === 'MUTED';
        },
        'B to enforce the mute',
        { timeoutMs: 3000, intervalMs: 100 },
      );
      expect(Date.now() - mutedAt).toBeLessThan(2000);
      expectError(
        await sendMessage(cluster.b.baseUrl, bob, room.id, { content: 'x' }),
        403,
        'MUTED',
      );

      expect(
        (await api(cluster.a, 'DELETE', `/admin/rooms/${room.id}/mutes/${bob.id}`, admin)).status,
      ).toBe(204);
      await waitFor(
        async () =>
          (await sendMessage(cluster.b.baseUrl, bob, room.id, { content: 'free' })).status === 201,
        'B to lift the mute',
        { timeoutMs: 3000, intervalMs: 100 },
      );
    }),
    60_000,
  );

  it(
    'the overview counts sockets on both instances, and the same from either',
    withServiceLogs(services, async () => {
      cluster.closeSockets();
      const u = await registerUser(cluster.a.baseUrl);
      for (let i = 0; i < 2; i++) await ws(cluster.a, u);
      for (let i = 0; i < 3; i++) await ws(cluster.b, u);
      for (const svc of [cluster.a, cluster.b]) {
        await waitFor(
          async () => {
            const r = await api(svc, 'GET', '/admin/overview', admin);
            return r.body.socketsOpen === 5 && r.body.instances === 2;
          },
          `${svc.name}'s overview to count 5 sockets on 2 instances`,
          { timeoutMs: 5000, intervalMs: HEARTBEAT_MS / 2 },
        );
      }
      // Everything else is exact too: this database is the suite's own.
      const [expected] = await db<{ users: number; rooms: number; today: number }>(
        `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM rooms)::int AS rooms,
                (SELECT count(*) FROM messages WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')::int AS today`,
      );
      const r = await api(cluster.b, 'GET', '/admin/overview', admin);
      expect(r.body).toMatchObject({
        users: expected.users,
        rooms: expected.rooms,
        messagesToday: expected.today,
        socketsOpen: 5,
        instances: 2,
      });
      expect(expected.today).toBeGreaterThanOrEqual(5);
    }),
    60_000,
  );

  it(
    'a timed ban lifts itself once, though both instances sweep',
    withServiceLogs(services, async () => {
      const victim = await registerUser(cluster.a.baseUrl);
      const ban = await api(cluster.b, 'POST', `/admin/users/${victim.id}/ban`, admin, {
        reason: 'one second',
        until: new Date(Date.now() + 1000).toISOString(),
      });
      expect(ban.status).toBe(200);
      expectError(
        await login(cluster.a.baseUrl, victim.username, victim.password),
        403,
        'USER_DISABLED',
      );
      await waitFor(
        async () =>
          (await login(cluster.a.baseUrl, victim.username, victim.password)).status === 200,
        'the ban to end',
        { timeoutMs: 5000, intervalMs: 100 },
      );
      // Give both sweepers a few more rounds: still exactly one system row.
      await new Promise((r) => setTimeout(r, 1000));
      const rows = await db<{ action: string; actor_id: string | null }>(
        `SELECT action, actor_id FROM admin_audit WHERE target_id = $1 ORDER BY id`,
        [victim.id],
      );
      expect(rows).toEqual([
        { action: 'user.ban', actor_id: admin.id },
        { action: 'user.sanction_expired', actor_id: null },
      ]);
    }),
    60_000,
  );
});
