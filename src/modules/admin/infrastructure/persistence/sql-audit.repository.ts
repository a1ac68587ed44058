import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditRepository, type KeysetPage } from '../../domain/admin.repository.js';
import type {
  AuditAction,
  AuditEntry,
  AuditFilter,
  AuditTargetType,
  NewAuditEntry,
} from '../../domain/audit.js';
import { insertAudit } from './audit-sql.js';

interface AuditRow {
  id: string;
  actor_id: string | null;
  actor_username: string | null;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: string;
  reason: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

const toEntry = (r: AuditRow): AuditEntry => ({
  id: r.id,
  actorId: r.actor_id,
  actorUsername: r.actor_username,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  reason: r.reason,
  details: r.details,
  createdAt: r.created_at,
});

@Injectable()
export class SqlAuditRepository extends AuditRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async append(entry: NewAuditEntry): Promise<void> {
    await insertAudit(this.ds, entry);
  }

  async list(
    filter: AuditFilter,
    limit: number,
    beforeId: string | null,
  ): Promise<KeysetPage<AuditEntry>> {
    const params: unknown[] = [limit + 1];
    const where: string[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.actorId) add('a.actor_id = ?', filter.actorId);
    if (filter.action) add('a.action = ?', filter.action);
    if (filter.from) add('a.created_at >= ?', filter.from);
    if (filter.to) add('a.created_at < ?', filter.to);
    if (beforeId) add('a.id < ?::bigint', beforeId);
    const rows = await this.ds.query<AuditRow[]>(
      `SELECT a.id::text AS id, a.actor_id, u.username AS actor_username, a.action, a.target_type,
              a.target_id, a.reason, a.details, a.created_at
         FROM admin_audit a LEFT JOIN users u ON u.id = a.actor_id
        ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY a.id DESC LIMIT $1`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toEntry), next: more && last ? [last.id] : null };
  }
}
