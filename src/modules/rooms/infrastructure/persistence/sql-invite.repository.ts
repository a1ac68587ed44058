import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { Errors } from '../../../../common/errors/domain-error.js';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import type { Invite, InviteCloseReason } from '../../domain/invite.js';
import { InviteRepository } from '../../domain/invite.repository.js';
import type { Room } from '../../domain/room.js';
import type { KeysetPage } from '../../domain/room.repository.js';
import { ROOM_COLS, toRoom, type RoomRow } from './sql-room.repository.js';

interface InviteRow {
  id: string;
  room_id: string;
  user_id: string;
  invited_by: string;
  created_at: Date;
}

const INVITE_COLS = 'id, room_id, user_id, invited_by, created_at';

const toInvite = (r: InviteRow): Invite => ({
  id: r.id,
  roomId: r.room_id,
  userId: r.user_id,
  invitedBy: r.invited_by,
  createdAt: r.created_at,
});

@Injectable()
export class SqlInviteRepository extends InviteRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async create(roomId: string, userId: string, invitedBy: string): Promise<Invite> {
    try {
      const [row] = await this.ds.query<InviteRow[]>(
        `INSERT INTO room_invites (room_id, user_id, invited_by) VALUES ($1, $2, $3)
         RETURNING ${INVITE_COLS}`,
        [roomId, userId, invitedBy],
      );
      return toInvite(row);
    } catch (err) {
      const d =
        err instanceof QueryFailedError
          ? (err.driverError as { code?: string; constraint?: string })
          : null;
      if (d?.code === '23505' && d.constraint === 'room_invites_open_uq')
        throw Errors.conflict('INVITE_EXISTS', 'this user already has an open invite to this room');
      throw err;
    }
  }

  async findOpen(id: string, roomId: string): Promise<Invite | null> {
    const rows = await this.ds.query<InviteRow[]>(
      `SELECT ${INVITE_COLS} FROM room_invites WHERE id = $1 AND room_id = $2 AND closed_at IS NULL`,
      [id, roomId],
    );
    return rows[0] ? toInvite(rows[0]) : null;
  }

  async close(id: string, reason: InviteCloseReason): Promise<boolean> {
    const rows = rowsOf<{ id: string }>(
      await this.ds.query(
        `UPDATE room_invites SET closed_at = now(), closed_reason = $2
          WHERE id = $1 AND closed_at IS NULL RETURNING id`,
        [id, reason],
      ),
    );
    return rows.length > 0;
  }

  async use(roomId: string, userId: string): Promise<boolean> {
    // One UPDATE: of two concurrent joins on one invite, one closes it, the other finds none.
    const rows = rowsOf<{ id: string }>(
      await this.ds.query(
        `UPDATE room_invites SET closed_at = now(), closed_reason = 'used'
          WHERE room_id = $1 AND user_id = $2 AND closed_at IS NULL RETURNING id`,
        [roomId, userId],
      ),
    );
    return rows.length > 0;
  }

  async listOpenFor(
    userId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<{ invite: Invite; room: Room }>> {
    const params: unknown[] = [userId, limit + 1];
    let where = 'i.user_id = $1 AND i.closed_at IS NULL';
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (i.created_at, i.id) < ($3::timestamptz, $4::uuid)`;
    }
    const roomCols = ROOM_COLS.split(', ')
      .map((c) => `r.${c} AS r_${c}`)
      .join(', ');
    const rows = await this.ds.query<(Record<string, unknown> & { cursor_ts: string })[]>(
      `SELECT i.id, i.room_id, i.user_id, i.invited_by, i.created_at, ${roomCols},
              to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM room_invites i JOIN rooms r ON r.id = i.room_id
        WHERE ${where} ORDER BY i.created_at DESC, i.id DESC LIMIT $2`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => {
        const room = Object.fromEntries(
          ROOM_COLS.split(', ').map((c) => [c, row[`r_${c}`]]),
        ) as unknown as RoomRow;
        return { invite: toInvite(row as unknown as InviteRow), room: toRoom(room) };
      }),
      next: more && last ? [last.cursor_ts, last.id as string] : null,
    };
  }
}
