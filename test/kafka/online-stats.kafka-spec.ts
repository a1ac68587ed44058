// Online statistics across two service processes on one Kafka topic and one database: a user on
// two devices on two instances is counted once (the union of the sessions), and when an instance
// is SIGKILLed the survivor's sweeper closes its sessions at its last lease renewal, and announces
// the user offline to a subscriber on the survivor.
import { describe, expect, it } from '@jest/globals';
import { twoInstancesOnKafka } from '../support/cluster.js';
import { withDatabase } from '../support/flags.js';
import { createRoom, http, joinRoom, registerUser } from '../support/http.js';
import { withServiceLogs } from '../support/service-process.js';
import { delay, waitFor } from '../support/wait.js';
import { type Frame } from '../support/ws-client.js';

const LEASE_SEC = 3;

interface SessionRow {
  id: string;
  instance_id: string;
  opened_at: Date;
  closed_at: Date | null;
  close_reason: string | null;
}

describe('online statistics across instances', () => {
  const cluster = twoInstancesOnKafka('stats', {
    FEATURE_ONLINE_STATISTICS: 'true',
    ONLINE_LEASE_SEC: String(LEASE_SEC),
  });
  const services = cluster.services;
  const events: string[] = [];
  const mark = (what: string) => events.push(`${new Date().toISOString()} ${what}`);

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as the test reads them
  const query = <T = any>(sql: string, params: unknown[] = []) =>
    withDatabase(cluster.databaseUrl, async (c) => (await c.query(sql, params)).rows as T[]);
  const sessionsOf = (userId: string) =>
    query<SessionRow>(
      `SELECT id, instance_id, opened_at, closed_at, close_reason
         FROM ws_sessions WHERE user_id = $1 ORDER BY opened_at`,
      [userId],
    );
  const untilSessions = (
    userId: string,
    pred: (rows: SessionRow[]) => boolean,
    what: string,
    timeoutMs = 10_000,
  ) =>
    waitFor(
      async () => {
        const rows = await sessionsOf(userId);
        return pred(rows) ? rows : null;
      },
      what,
      { timeoutMs, intervalMs: 50 },
    );
  const connect = cluster.ws;

  it(
    'two devices on two instances at once: the online time is their union, not their sum',
    withServiceLogs(services, async () => {
      const [svcA, svcB] = [cluster.a, cluster.b];
      const u = await registerUser(svcA.baseUrl);
      const from = new Date(Date.now() - 60_000).toISOString();

      const phone = await connect(svcA, u);
      await untilSessions(u.id, (r) => r.length === 1, 'the phone session');
      await delay(1500);
      const laptop = await connect(svcB, u);
      await untilSessions(u.id, (r) => r.length === 2, 'the laptop session');
      await delay(1500);
      phone.close();
      await untilSessions(u.id, (r) => r[0].closed_at !== null, 'the phone to close');
      await delay(1500);
      laptop.close();
      const rows = await untilSessions(
        u.id,
        (r) => r.every((s) => s.closed_at !== null),
        'both sessions to close',
      );
      expect(rows.map((r) => r.instance_id.startsWith('stats-a-'))).toEqual([true, false]);
      expect(rows[1].instance_id.startsWith('stats-b-')).toBe(true);
      expect(rows.map((r) => r.close_reason)).toEqual(['normal', 'normal']);

      const opened = rows.map((r) => r.opened_at.getTime());
      const closed = rows.map((r) => r.closed_at!.getTime());
      expect(opened[1]).toBeLessThan(closed[0]); // they overlapped
      const unionMs = Math.max(...closed) - Math.min(...opened);
      const sumMs = closed[0] - opened[0] + (closed[1] - opened[1]);
      expect(sumMs - unionMs).toBeGreaterThan(1000);

      const to = new Date(Date.now() + 60_000).toISOString();
      // Either instance answers the same.
      for (const svc of [svcA, svcB]) {
        const res = await http(
          svc.baseUrl,
          'GET',
          `/api/stats/online?${new URLSearchParams({ from, to, groupBy: 'hour' }).toString()}`,
          { token: u.accessToken },
        );
        expect(res.status).toBe(200);
        expect(Math.abs(res.body.totalSeconds - unionMs / 1000)).toBeLessThanOrEqual(1);
        expect(res.body.totalSeconds).toBeLessThan(sumMs / 1000 - 0.5);
      }
    }),
    60_000,
  );

  it(
    "a SIGKILLed instance's session is closed at its last renewal; the survivor announces the user offline",
    withServiceLogs(
      services,
      async () => {
        const [survivor, doomed] = [cluster.a, cluster.b];
        const owner = await registerUser(survivor.baseUrl);
        const u = await registerUser(survivor.baseUrl);
        const room = await createRoom(survivor.baseUrl, owner);
        expect((await joinRoom(survivor.baseUrl, u, room.id)).status).toBe(200);
        const watcher = await connect(survivor, owner);
        await watcher.subscribe(room.id);
        const isPresence = (online: boolean) => (f: Frame) =>
          f.event === 'presence' &&
          f.data?.roomId === room.id &&
          f.data?.userId === u.id &&
          f.data?.online === online;

        // U connects on the doomed instance; the watcher on the survivor hears it through Kafka.
        const victim = await connect(doomed, u);
        const [row] = await untilSessions(u.id, (r) => r.length === 1, 'the session on B');
        expect(row.instance_id.startsWith('stats-b-')).toBe(true);
        await watcher.waitFor(isPresence(true), 10_000);
        const online = await http(survivor.baseUrl, 'GET', `/api/rooms/${room.id}/presence`, {
          token: owner.accessToken,
        });
        expect(online.body.online.map((m: { userId: string }) => m.userId)).toContain(u.id);
        // Let it renew its lease a few times.
        await delay(1500);

        mark('killing instance B');
        const killedAt = Date.now();
        const status = await doomed.kill();
        expect(status.signal).toBe('SIGKILL');
        mark('instance B is dead');
        await victim.waitClosed(10_000);

        // Nothing closes the session until B's lease lapses; then the survivor's sweeper does.
        const [closed] = await untilSessions(
          u.id,
          (r) => r[0].closed_at !== null,
          "the survivor's sweeper to close the session",
          LEASE_SEC * 1000 + 15_000,
        );
        const closedSeenAt = Date.now();
        mark(`session closed at ${closed.closed_at!.toISOString()} (${closed.close_reason})`);
        expect(closed.close_reason).toBe('instance_lost');
        expect(closed.closed_at!.getTime()).toBeLessThanOrEqual(killedAt);
        // At the last renewal: at most one renewal interval (a third of the lease) before the kill.
        expect(closed.closed_at!.getTime()).toBeGreaterThan(
          killedAt - (LEASE_SEC * 1000) / 3 - 1000,
        );
        // Not before the lease could have lapsed.
        expect(closedSeenAt - killedAt).toBeGreaterThan((LEASE_SEC * 1000 * 2) / 3 - 500);
        expect(
          await query(`SELECT 1 FROM stats_instances WHERE instance_id = $1`, [row.instance_id]),
        ).toHaveLength(0);

        await watcher.waitFor(isPresence(false), 10_000);
        mark('the watcher on A received presence offline');
        const after = await http(survivor.baseUrl, 'GET', `/api/rooms/${room.id}/presence`, {
          token: owner.accessToken,
        });
        expect(after.body.online.map((m: { userId: string }) => m.userId)).not.toContain(u.id);

        // The killed session counts until its close, not until now.
        const stats = await http(
          survivor.baseUrl,
          'GET',
          `/api/stats/online?${new URLSearchParams({
            from: new Date(Date.now() - 3_600_000).toISOString(),
            to: new Date(Date.now() + 60_000).toISOString(),
            groupBy: 'hour',
          }).toString()}`,
          { token: u.accessToken },
        );
        expect(stats.status).toBe(200);
        const expected = (closed.closed_at!.getTime() - closed.opened_at.getTime()) / 1000;
        expect(Math.abs(stats.body.totalSeconds - expected)).toBeLessThanOrEqual(1);
        console.log(`online-stats instance failure timeline:\n${events.join('\n')}`);
      },
      () => `timeline:\n${events.join('\n')}`,
    ),
    90_000,
  );
});
