import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import { MuteRepository } from '../../domain/admin.repository.js';
import type { NewAuditEntry } from '../../domain/audit.js';
import type { ActiveMute } from '../../domain/mute-index.js';
import type { Mute } from '../../domain/sanction.js';
import { insertAudit } from './audit-sql.js';

interface MuteRow {
  room_id: string;
  user_id: string;
  until: Date;
  reason: string | null;
  by: string | null;
  created_at: Date;
}

const toMute = (r: MuteRow): Mute => ({
  roomId: r.room_id,
  userId: r.user_id,
  until: r.until,
  reason: r.reason,
  by: r.by,
  createdAt: r.created_at,
});

/** How many mutes in force an instance indexes at most (far beyond any real moderation load). */
const ACTIVE_MAX = 200_000;

@Injectable()
export class SqlMuteRepository extends MuteRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async upsert(mute: Omit<Mute, 'createdAt'>, audit: NewAuditEntry): Promise<Mute> {
    return this.ds.transaction(async (m) => {
      const [row] = await m.query<MuteRow[]>(
        `INSERT INTO room_mutes (room_id, user_id, until, reason, by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room_id, user_id) DO UPDATE
           SET until = EXCLUDED.until, reason = EXCLUDED.reason, by = EXCLUDED.by, created_at = now()
         RETURNING room_id, user_id, until, reason, by, created_at`,
        [mute.roomId, mute.userId, mute.until, mute.reason, mute.by],
      );
      await insertAudit(m, audit);
      return toMute(row);
    });
  }

  async remove(roomId: string, userId: string, audit: NewAuditEntry): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const rows = rowsOf<MuteRow>(
        await m.query(
          `DELETE FROM room_mutes WHERE room_id = $1 AND user_id = $2 AND until > now()
           RETURNING room_id, user_id, until, reason, by, created_at`,
          [roomId, userId],
        ),
      );
      if (rows.length === 0) return false;
      await insertAudit(m, {
        ...audit,
        details: { ...audit.details, until: rows[0].until.toISOString() },
      });
      return true;
    });
  }

  async active(): Promise<ActiveMute[]> {
    const rows = await this.ds.query<{ room_id: string; user_id: string; until_ms: string }[]>(
      `SELECT room_id, user_id, (extract(epoch FROM until) * 1000)::bigint AS until_ms
         FROM room_mutes WHERE until > now() LIMIT ${ACTIVE_MAX}`,
    );
    return rows.map((r) => ({ roomId: r.room_id, userId: r.user_id, untilMs: Number(r.until_ms) }));
  }

  async removeExpired(): Promise<number> {
    const rows = await this.ds.query<{ user_id: string }[]>(
      `WITH ended AS (
         DELETE FROM room_mutes WHERE until <= now()
         RETURNING room_id, user_id, until, reason, by
       ), audited AS (
         INSERT INTO admin_audit (actor_id, action, target_type, target_id, reason, details)
         SELECT NULL, 'member.mute_expired', 'user', e.user_id::text, 'the mute ended',
                jsonb_build_object('roomId', e.room_id, 'until', e.until, 'by', e.by,
                                   'muteReason', e.reason)
           FROM ended e
       )
       SELECT user_id FROM ended`,
    );
    return rows.length;
  }
}
