import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import type { SessionSpan } from '../../domain/online-time.js';
import {
  SessionLedger,
  type OnlineMember,
  type PresenceChange,
  type RecordedConnection,
} from '../../domain/session-ledger.js';

/**
 * Serialises presence decisions per user across every instance: "is this the user's first
 * (last) open session?" is asked and answered under the same lock as the write, so an open on one
 * instance racing a close on another can never both conclude the wrong way. (The sweeper does
 * not take it; that is why "open" below means on a live instance, see hasOpenSession.)
 */
const lockUser = (m: EntityManager, userId: string) =>
  m.query(`SELECT pg_advisory_xact_lock(hashtextextended('online-stats:' || $1, 0))`, [userId]);

/**
 * A session that counts for presence: not closed, on an instance whose lease holds (as
 * onlineMembers has it). A session of a dead instance the sweeper has not closed yet does not
 * count, so a live close racing that sweep still sees itself as the user's last one (were both
 * to count the other's session, nobody would announce the user offline).
 */
const openOnLiveInstance = (user: string) => `SELECT 1 FROM ws_sessions s
    JOIN stats_instances i ON i.instance_id = s.instance_id AND i.lease_until >= now()
   WHERE s.user_id = ${user} AND s.closed_at IS NULL`;

const hasOpenSession = async (m: EntityManager, userId: string): Promise<boolean> => {
  const rows = await m.query<{ open: boolean }[]>(
    `SELECT EXISTS (${openOnLiveInstance('$1')}) AS open`,
    [userId],
  );
  return rows[0].open;
};

@Injectable()
export class SqlSessionLedger extends SessionLedger {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async registerInstance(instanceId: string, leaseMs: number): Promise<void> {
    await this.ds.query(
      `INSERT INTO stats_instances (instance_id, started_at, renewed_at, lease_until)
       VALUES ($1, now(), now(), now() + make_interval(secs => $2::double precision / 1000))
       ON CONFLICT (instance_id) DO UPDATE
         SET renewed_at = EXCLUDED.renewed_at, lease_until = EXCLUDED.lease_until`,
      [instanceId, leaseMs],
    );
  }

  async renewLease(instanceId: string, leaseMs: number): Promise<boolean> {
    // Row-locks against a concurrent sweep: whichever commits first wins, the other re-checks.
    const rows = rowsOf<{ instance_id: string }>(
      await this.ds.query(
        `UPDATE stats_instances
            SET renewed_at = now(), lease_until = now() + make_interval(secs => $2::double precision / 1000)
          WHERE instance_id = $1
        RETURNING instance_id`,
        [instanceId, leaseMs],
      ),
    );
    return rows.length > 0;
  }

  async sweepLapsed(orphanGraceMs: number): Promise<{ instanceIds: string[]; userIds: string[] }> {
    // One statement: the dead instances are forgotten and their sessions closed together.
    // SKIP LOCKED: an instance renewing right now is not dead; two sweepers never wait on each other.
    const rows = await this.ds.query<{ instance_id: string; user_id: string | null }[]>(
      `WITH dead AS (
         DELETE FROM stats_instances
          WHERE instance_id IN (
            SELECT instance_id FROM stats_instances
             WHERE lease_until < now()
             FOR UPDATE SKIP LOCKED)
         RETURNING instance_id, renewed_at
       ), closed AS (
         UPDATE ws_sessions s
            SET closed_at = GREATEST(s.opened_at, d.renewed_at), close_reason = 'instance_lost'
           FROM dead d
          WHERE s.instance_id = d.instance_id AND s.closed_at IS NULL
         RETURNING s.instance_id, s.user_id
       )
       SELECT d.instance_id, c.user_id
         FROM dead d LEFT JOIN closed c ON c.instance_id = d.instance_id`,
    );
    const orphans = rowsOf<{ user_id: string }>(
      await this.ds.query(
        `UPDATE ws_sessions s SET closed_at = s.opened_at, close_reason = 'instance_lost'
          WHERE s.closed_at IS NULL
            AND s.opened_at < now() - make_interval(secs => $1::double precision / 1000)
            AND NOT EXISTS (SELECT 1 FROM stats_instances i WHERE i.instance_id = s.instance_id)
        RETURNING s.user_id`,
        [orphanGraceMs],
      ),
    );
    return {
      instanceIds: [...new Set(rows.map((r) => r.instance_id))],
      userIds: [
        ...new Set([
          ...rows.flatMap((r) => (r.user_id ? [r.user_id] : [])),
          ...orphans.map((r) => r.user_id),
        ]),
      ],
    };
  }

  async retireInstance(instanceId: string, closedAt: Date): Promise<string[]> {
    const rows = await this.ds.query<{ user_id: string }[]>(
      `WITH gone AS (
         DELETE FROM stats_instances WHERE instance_id = $1
       ), closed AS (
         UPDATE ws_sessions
            SET closed_at = GREATEST(opened_at, $2::timestamptz), close_reason = 'normal'
          WHERE instance_id = $1 AND closed_at IS NULL
         RETURNING user_id
       )
       SELECT DISTINCT user_id FROM closed`,
      [instanceId, closedAt],
    );
    return rows.map((r) => r.user_id);
  }

  async reopenLost(instanceId: string, connectionIds: string[]): Promise<string[]> {
    if (connectionIds.length === 0) return [];
    const rows = rowsOf<{ user_id: string }>(
      await this.ds.query(
        `UPDATE ws_sessions SET closed_at = NULL, close_reason = NULL
          WHERE id = ANY($2::uuid[]) AND instance_id = $1 AND close_reason = 'instance_lost'
        RETURNING user_id`,
        [instanceId, connectionIds],
      ),
    );
    return [...new Set(rows.map((r) => r.user_id))];
  }

  async open(c: RecordedConnection): Promise<{ firstForUser: boolean }> {
    return this.ds.transaction(async (m) => {
      await lockUser(m, c.userId);
      const hadOpen = await hasOpenSession(m, c.userId);
      // A close that got here first (a very short connection) already wrote the row: then
      // nothing is inserted, and nothing opened.
      const inserted = rowsOf<{ id: string }>(
        await m.query(
          `INSERT INTO ws_sessions (id, user_id, session_id, instance_id, opened_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO NOTHING
           RETURNING id`,
          [c.connectionId, c.userId, c.sessionId, c.instanceId, c.openedAt],
        ),
      );
      return { firstForUser: !hadOpen && inserted.length > 0 };
    });
  }

  async close(c: RecordedConnection, closedAt: Date): Promise<{ lastForUser: boolean }> {
    return this.ds.transaction(async (m) => {
      await lockUser(m, c.userId);
      // Upsert: the close may overtake its open. A sweeper's guess (instance_lost) gives way to
      // the real close this live instance saw.
      const changed = rowsOf<{ id: string }>(
        await m.query(
          `INSERT INTO ws_sessions AS s
                  (id, user_id, session_id, instance_id, opened_at, closed_at, close_reason)
           VALUES ($1, $2, $3, $4, $5, GREATEST($5::timestamptz, $6::timestamptz), 'normal')
           ON CONFLICT (id) DO UPDATE
             SET closed_at = GREATEST(s.opened_at, EXCLUDED.closed_at), close_reason = 'normal'
             WHERE s.closed_at IS NULL OR s.close_reason = 'instance_lost'
           RETURNING s.id`,
          [c.connectionId, c.userId, c.sessionId, c.instanceId, c.openedAt, closedAt],
        ),
      );
      return { lastForUser: changed.length > 0 && !(await hasOpenSession(m, c.userId)) };
    });
  }

  async roomsOf(userIds: string[]): Promise<PresenceChange[]> {
    if (userIds.length === 0) return [];
    const rows = await this.ds.query<{ room_id: string; user_id: string }[]>(
      `SELECT room_id, user_id FROM room_members WHERE user_id = ANY($1::uuid[])`,
      [userIds],
    );
    return rows.map((r) => ({ roomId: r.room_id, userId: r.user_id }));
  }

  async offlineChanges(userIds: string[]): Promise<PresenceChange[]> {
    if (userIds.length === 0) return [];
    const rows = await this.ds.query<{ room_id: string; user_id: string }[]>(
      `SELECT m.room_id, m.user_id
         FROM room_members m
        WHERE m.user_id = ANY($1::uuid[])
          AND NOT EXISTS (${openOnLiveInstance('m.user_id')})`,
      [userIds],
    );
    return rows.map((r) => ({ roomId: r.room_id, userId: r.user_id }));
  }

  async onlineMembers(roomId: string): Promise<OnlineMember[]> {
    const rows = await this.ds.query<{ user_id: string; username: string; since: Date }[]>(
      `SELECT m.user_id, u.username, min(s.opened_at) AS since
         FROM room_members m
         JOIN users u ON u.id = m.user_id
         JOIN ws_sessions s ON s.user_id = m.user_id AND s.closed_at IS NULL
         JOIN stats_instances i ON i.instance_id = s.instance_id AND i.lease_until >= now()
        WHERE m.room_id = $1
        GROUP BY m.user_id, u.username
        ORDER BY lower(u.username), m.user_id`,
      [roomId],
    );
    return rows.map((r) => ({ userId: r.user_id, username: r.username, since: r.since }));
  }

  async sessionsOf(userIds: string[], from: Date, to: Date): Promise<Map<string, SessionSpan[]>> {
    const out = new Map<string, SessionSpan[]>();
    if (userIds.length === 0) return out;
    // An open session whose instance's lease lapsed (or whose instance is gone) ends where the
    // sweeper will close it: at that instance's last renewal.
    const rows = await this.ds.query<
      { user_id: string; opened_at: Date; closed_at: Date | null; lost_at: Date | null }[]
    >(
      `SELECT s.user_id, s.opened_at, s.closed_at,
              CASE WHEN s.closed_at IS NULL AND (i.instance_id IS NULL OR i.lease_until < now())
                   THEN GREATEST(s.opened_at, COALESCE(i.renewed_at, s.opened_at)) END AS lost_at
         FROM ws_sessions s
         LEFT JOIN stats_instances i ON i.instance_id = s.instance_id
        WHERE s.user_id = ANY($1::uuid[])
          AND s.opened_at < $3
          AND (s.closed_at IS NULL OR s.closed_at > $2)`,
      [userIds, from, to],
    );
    for (const r of rows) {
      let list = out.get(r.user_id);
      if (!list) out.set(r.user_id, (list = []));
      list.push({ openedAt: r.opened_at, closedAt: r.closed_at, lostAt: r.lost_at });
    }
    return out;
  }
}
