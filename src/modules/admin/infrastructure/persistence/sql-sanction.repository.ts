import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { UserStatus } from '../../../users/domain/user.js';
import { SanctionRepository, type KeysetPage } from '../../domain/admin.repository.js';
import type { NewAuditEntry } from '../../domain/audit.js';
import type { AdminUser, SanctionKind } from '../../domain/sanction.js';
import { containsPattern, cursorTs, insertAudit, type SqlRunner } from './audit-sql.js';

interface UserRow {
  id: string;
  username: string;
  email: string;
  avatar_url: string | null;
  status: UserStatus;
  created_at: Date;
  updated_at: Date;
  s_kind: SanctionKind | null;
  s_reason: string | null;
  s_until: Date | null;
  s_by: string | null;
  s_at: Date | null;
  cursor_ts: string;
}

const USER_SELECT = `
  SELECT u.id, u.username, u.email, u.avatar_url, u.status, u.created_at, u.updated_at,
         s.kind AS s_kind, s.reason AS s_reason, s.until AS s_until, s.by AS s_by,
         s.created_at AS s_at, ${cursorTs('u.created_at')} AS cursor_ts
    FROM users u LEFT JOIN user_sanctions s ON s.user_id = u.id`;

const toAdminUser = (r: UserRow): AdminUser => ({
  id: r.id,
  username: r.username,
  email: r.email,
  avatarUrl: r.avatar_url,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  sanction:
    r.s_kind && r.s_at
      ? { kind: r.s_kind, reason: r.s_reason ?? '', until: r.s_until, by: r.s_by, at: r.s_at }
      : null,
});

@Injectable()
export class SqlSanctionRepository extends SanctionRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async listUsers(
    filter: { q?: string; status?: UserStatus },
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<AdminUser>> {
    const params: unknown[] = [limit + 1];
    const where: string[] = [];
    if (filter.q) {
      params.push(containsPattern(filter.q));
      where.push(`(u.username ILIKE $${params.length} OR u.email ILIKE $${params.length})`);
    }
    if (filter.status) {
      params.push(filter.status);
      where.push(`u.status = $${params.length}`);
    }
    if (after) {
      params.push(after[0], after[1]);
      where.push(
        `(u.created_at, u.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    const rows = await this.ds.query<UserRow[]>(
      `${USER_SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY u.created_at DESC, u.id DESC LIMIT $1`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toAdminUser), next: more && last ? [last.cursor_ts, last.id] : null };
  }

  async findUser(userId: string): Promise<AdminUser | null> {
    return this.userIn(this.ds, userId);
  }

  async impose(
    s: { userId: string; kind: SanctionKind; reason: string; until: Date | null; by: string },
    audit: NewAuditEntry,
  ): Promise<AdminUser | null> {
    return this.ds.transaction(async (m) => {
      const before = await this.lockUser(m, s.userId);
      if (!before) return null;
      await m.query(`UPDATE users SET status = $2, updated_at = now() WHERE id = $1`, [
        s.userId,
        s.kind,
      ]);
      await m.query(
        `INSERT INTO user_sanctions (user_id, kind, reason, until, by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE
           SET kind = EXCLUDED.kind, reason = EXCLUDED.reason, until = EXCLUDED.until,
               by = EXCLUDED.by, created_at = now()`,
        [s.userId, s.kind, s.reason, s.until, s.by],
      );
      await insertAudit(m, {
        ...audit,
        details: { ...audit.details, previousStatus: before.status },
      });
      return this.userIn(m, s.userId);
    });
  }

  async lift(
    userId: string,
    audit: NewAuditEntry,
  ): Promise<{ before: AdminUser; after: AdminUser } | null> {
    return this.ds.transaction(async (m) => {
      const before = await this.lockUser(m, userId);
      if (!before) return null;
      if (before.status === 'active' && !before.sanction) return { before, after: before };
      await m.query(`DELETE FROM user_sanctions WHERE user_id = $1`, [userId]);
      await m.query(`UPDATE users SET status = 'active', updated_at = now() WHERE id = $1`, [
        userId,
      ]);
      await insertAudit(m, {
        ...audit,
        details: {
          ...audit.details,
          previousStatus: before.status,
          previousSanction: before.sanction
            ? {
                kind: before.sanction.kind,
                reason: before.sanction.reason,
                until: before.sanction.until?.toISOString() ?? null,
                by: before.sanction.by,
              }
            : null,
        },
      });
      return { before, after: (await this.userIn(m, userId))! };
    });
  }

  async liftExpired(): Promise<string[]> {
    // One statement: concurrent sweeps on several instances lock the same rows, and the one
    // that waited finds them gone, so each sanction is lifted (and audited) exactly once.
    const rows = await this.ds.query<{ user_id: string }[]>(
      `WITH lifted AS (
         DELETE FROM user_sanctions s
          WHERE s.until IS NOT NULL AND s.until <= now()
          RETURNING s.user_id, s.kind, s.reason, s.until, s.by
       ), reactivated AS (
         UPDATE users u SET status = 'active', updated_at = now()
           FROM lifted l WHERE u.id = l.user_id AND u.status = l.kind
         RETURNING u.id
       ), audited AS (
         INSERT INTO admin_audit (actor_id, action, target_type, target_id, reason, details)
         SELECT NULL, 'user.sanction_expired', 'user', l.user_id::text, 'the sanction ended',
                jsonb_build_object('kind', l.kind, 'until', l.until, 'by', l.by,
                                   'sanctionReason', l.reason,
                                   'reactivated', EXISTS (SELECT 1 FROM reactivated r WHERE r.id = l.user_id))
           FROM lifted l
       )
       SELECT user_id FROM lifted`,
    );
    return rows.map((r) => r.user_id);
  }

  private async lockUser(m: EntityManager, userId: string): Promise<AdminUser | null> {
    const rows = await m.query<UserRow[]>(`${USER_SELECT} WHERE u.id = $1 FOR UPDATE OF u`, [
      userId,
    ]);
    return rows[0] ? toAdminUser(rows[0]) : null;
  }

  private async userIn(run: SqlRunner, userId: string): Promise<AdminUser | null> {
    const rows = (await run.query(`${USER_SELECT} WHERE u.id = $1`, [userId])) as UserRow[];
    return rows[0] ? toAdminUser(rows[0]) : null;
  }
}
