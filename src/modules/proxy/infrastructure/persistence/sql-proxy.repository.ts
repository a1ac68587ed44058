import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { Errors } from '../../../../common/errors/domain-error.js';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import type { AuditAction, AuditEntry, ProxyGrant, RoomAccess } from '../../domain/proxy-grant.js';
import {
  ProxyRepository,
  type GrantFilter,
  type KeysetPage,
  type NewAuditEntry,
  type NewGrant,
} from '../../domain/proxy.repository.js';

interface GrantRow {
  id: string;
  grantor_id: string;
  grantor_username: string;
  proxy_id: string;
  proxy_username: string;
  room_ids: string[] | null;
  starts_at: Date;
  ends_at: Date | null;
  created_at: Date;
  revoked_at: Date | null;
  active: boolean;
  cursor_ts: string;
}

interface AuditRow {
  id: string;
  grant_id: string | null;
  grantor_id: string;
  proxy_id: string;
  actor_id: string;
  action: AuditAction;
  via: string | null;
  room_id: string | null;
  message_id: string | null;
  seq: string | null;
  created_at: Date;
  cursor_ts: string;
}

/** A grant is live: not revoked, and the database's now() within [starts_at, ends_at). */
const LIVE = (g: string) =>
  `(${g}.revoked_at IS NULL AND ${g}.starts_at <= now() AND (${g}.ends_at IS NULL OR ${g}.ends_at > now()))`;

/** Timestamps travel in cursors as ISO strings with PostgreSQL's microseconds kept. */
const CURSOR_TS = (col: string) =>
  `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts`;

/** Columns of a grant with its parties' names, from `g` (grants) joined to gu/pu (users). */
const GRANT_SELECT = `
  SELECT g.id, g.grantor_id, gu.username AS grantor_username, g.proxy_id, pu.username AS proxy_username,
         g.room_ids, g.starts_at, g.ends_at, g.created_at, g.revoked_at, ${LIVE('g')} AS active,
         ${CURSOR_TS('g.created_at')}`;
const GRANT_JOINS = `JOIN users gu ON gu.id = g.grantor_id JOIN users pu ON pu.id = g.proxy_id`;

const toGrant = (r: GrantRow): ProxyGrant => ({
  id: r.id,
  grantorId: r.grantor_id,
  grantorUsername: r.grantor_username,
  proxyUserId: r.proxy_id,
  proxyUsername: r.proxy_username,
  roomIds: r.room_ids,
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  active: r.active,
});

const toAudit = (r: AuditRow): AuditEntry => ({
  id: r.id,
  grantId: r.grant_id,
  grantorId: r.grantor_id,
  proxyUserId: r.proxy_id,
  actorId: r.actor_id,
  action: r.action,
  via: r.via,
  roomId: r.room_id,
  messageId: r.message_id,
  seq: r.seq === null ? null : Number(r.seq),
  createdAt: r.created_at,
});

function page<R extends { id: string; cursor_ts: string }, T>(
  rows: R[],
  limit: number,
  map: (r: R) => T,
): KeysetPage<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    next: rows.length > limit && last ? [last.cursor_ts, last.id] : null,
  };
}

@Injectable()
export class SqlProxyRepository extends ProxyRepository {
  private readonly prepared: PreparedQueries;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
    this.prepared = new PreparedQueries(ds);
  }

  async create(grant: NewGrant): Promise<ProxyGrant> {
    try {
      // One statement: the grant and its audit line are stored together or not at all.
      const rows = await this.ds.query<GrantRow[]>(
        `WITH g AS (
           INSERT INTO proxy_grants (grantor_id, proxy_id, room_ids, starts_at, ends_at)
           VALUES ($1, $2, $3::uuid[], COALESCE($4::timestamptz, now()), $5::timestamptz)
           RETURNING *
         ), a AS (
           INSERT INTO proxy_audit (grant_id, grantor_id, proxy_id, actor_id, action)
           SELECT id, grantor_id, proxy_id, grantor_id, 'grant.created' FROM g
         )
         ${GRANT_SELECT} FROM g ${GRANT_JOINS}`,
        [grant.grantorId, grant.proxyUserId, grant.roomIds, grant.startsAt, grant.endsAt],
      );
      return toGrant(rows[0]);
    } catch (err) {
      const code =
        err instanceof QueryFailedError ? (err.driverError as { code?: string }).code : '';
      // The proxy user vanished between the service's check and the insert.
      if (code === '23503') throw Errors.notFound('USER_NOT_FOUND', 'user not found');
      // endsAt checked against this host's clock, but the start defaulted to the database's.
      if (code === '23514')
        throw Errors.validation('VALIDATION_FAILED', 'endsAt must be after startsAt');
      throw err;
    }
  }

  async findById(id: string): Promise<ProxyGrant | null> {
    const rows = await this.ds.query<GrantRow[]>(
      `${GRANT_SELECT} FROM proxy_grants g ${GRANT_JOINS} WHERE g.id = $1`,
      [id],
    );
    return rows[0] ? toGrant(rows[0]) : null;
  }

  async revoke(
    id: string,
    actorId: string,
  ): Promise<{ grant: ProxyGrant; changed: boolean } | null> {
    const rows = rowsOf<{ changed: number }>(
      await this.ds.query(
        `WITH r AS (
           UPDATE proxy_grants SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
           RETURNING id, grantor_id, proxy_id
         ), a AS (
           INSERT INTO proxy_audit (grant_id, grantor_id, proxy_id, actor_id, action)
           SELECT id, grantor_id, proxy_id, $2, 'grant.revoked' FROM r
         )
         SELECT count(*)::int AS changed FROM r`,
        [id, actorId],
      ),
    );
    const grant = await this.findById(id);
    return grant ? { grant, changed: rows[0].changed > 0 } : null;
  }

  async listFor(
    userId: string,
    filter: GrantFilter,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<ProxyGrant>> {
    const params: unknown[] = [userId, limit + 1];
    const where = [
      filter.role === 'granted'
        ? 'g.grantor_id = $1'
        : filter.role === 'received'
          ? 'g.proxy_id = $1'
          : '(g.grantor_id = $1 OR g.proxy_id = $1)',
    ];
    if (filter.active !== undefined) where.push(filter.active ? LIVE('g') : `NOT ${LIVE('g')}`);
    if (after) {
      params.push(after[0], after[1]);
      where.push(
        `(g.created_at, g.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    const rows = await this.ds.query<GrantRow[]>(
      `${GRANT_SELECT} FROM proxy_grants g ${GRANT_JOINS}
        WHERE ${where.join(' AND ')}
        ORDER BY g.created_at DESC, g.id DESC LIMIT $2`,
      params,
    );
    return page(rows, limit, toGrant);
  }

  async findLiveGrant(proxyId: string, grantorId: string, roomId: string): Promise<string | null> {
    // On every proxied send: a prepared statement on proxy_grants_lookup_idx.
    const rows = await this.prepared.query<{ id: string }>(
      'proxy_live_grant',
      `SELECT g.id FROM proxy_grants g JOIN users u ON u.id = g.grantor_id
        WHERE g.proxy_id = $1 AND g.grantor_id = $2 AND ${LIVE('g')}
          AND (g.room_ids IS NULL OR $3::uuid = ANY (g.room_ids))
          AND u.status = 'active'
        ORDER BY g.created_at DESC LIMIT 1`,
      [proxyId, grantorId, roomId],
    );
    return rows[0]?.id ?? null;
  }

  async roomAccess(userId: string, roomIds: string[]): Promise<RoomAccess[]> {
    const rows = await this.ds.query<
      {
        room_id: string;
        found: boolean;
        is_private: boolean;
        org_id: string | null;
        member: boolean;
      }[]
    >(
      `SELECT x.id AS room_id, r.id IS NOT NULL AS found, COALESCE(r.is_private, false) AS is_private,
              r.org_id, m.user_id IS NOT NULL AS member
         FROM unnest($1::uuid[]) WITH ORDINALITY AS x (id, ord)
         LEFT JOIN rooms r ON r.id = x.id
         LEFT JOIN room_members m ON m.room_id = x.id AND m.user_id = $2
        ORDER BY x.ord`,
      [roomIds, userId],
    );
    return rows.map((r) => ({
      roomId: r.room_id,
      exists: r.found,
      isPrivate: r.is_private,
      orgId: r.org_id,
      member: r.member,
    }));
  }

  async recordAudit(e: NewAuditEntry): Promise<void> {
    await this.ds.query(
      `INSERT INTO proxy_audit (grant_id, grantor_id, proxy_id, actor_id, action, via, room_id, message_id, seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        e.grantId,
        e.grantorId,
        e.proxyUserId,
        e.actorId,
        e.action,
        e.via ?? null,
        e.roomId ?? null,
        e.messageId ?? null,
        e.seq ?? null,
      ],
    );
  }

  async listAudit(
    userId: string,
    grantId: string | null,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<AuditEntry>> {
    const params: unknown[] = [userId, limit + 1];
    const where = ['(a.grantor_id = $1 OR a.proxy_id = $1)'];
    if (grantId) {
      params.push(grantId);
      where.push(`a.grant_id = $${params.length}`);
    }
    if (after) {
      params.push(after[0], after[1]);
      where.push(
        `(a.created_at, a.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    const rows = await this.ds.query<AuditRow[]>(
      `SELECT a.id, a.grant_id, a.grantor_id, a.proxy_id, a.actor_id, a.action, a.via, a.room_id,
              a.message_id, a.seq, a.created_at, ${CURSOR_TS('a.created_at')}
         FROM proxy_audit a
        WHERE ${where.join(' AND ')}
        ORDER BY a.created_at DESC, a.id DESC LIMIT $2`,
      params,
    );
    return page(rows, limit, toAudit);
  }
}
