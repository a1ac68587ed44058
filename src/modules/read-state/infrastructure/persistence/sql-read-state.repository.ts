import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import {
  ROOM_COLS,
  toRoom,
  type RoomRow,
} from '../../../rooms/infrastructure/persistence/sql-room.repository.js';
import { unreadCount, type ReadState } from '../../domain/read-marker.js';
import { ReadStateRepository, type RoomListItem } from '../../domain/read-state.repository.js';

interface StateRow {
  last_read_seq: string;
  last_seq: string;
  mention_count: number;
}

const MENTIONS_AFTER = (user: string, room: string, marker: string) =>
  `(SELECT count(*) FROM message_mentions mm
     WHERE mm.user_id = ${user} AND mm.room_id = ${room} AND mm.seq > ${marker})::int`;

/**
 * A membership's room by primary key, one probe per membership read (OFFSET 0 keeps the planner
 * from turning it into a join: the range of memberships is bounded at run time by the head,
 * which no plan can know, and a guess of a third of the user's rooms made it hash all rooms).
 */
const ROOM_OF_M = `CROSS JOIN LATERAL (SELECT * FROM rooms r WHERE r.id = m.room_id OFFSET 0) r`;

const R_COLS = ROOM_COLS.split(', ')
  .map((c) => `r.${c}`)
  .join(', ');

/**
 * The room list: $1 the user, $2 the page size (+1), then ($3, $4) the keyset position (the
 * previous page's last room: its activity time and id). Two range scans of
 * room_members_user_listed_idx (user_id, room_listed_at DESC, room_id), whatever the number of
 * rooms the user is in. A membership's room_listed_at is its room's activity time, lagging it by
 * less than chat_room_list_lag() (migration RoomListIndex): listed <= activity < listed + lag.
 * - head: the $2 memberships with the highest copies among the rooms after the cursor. At least
 *   $2 rooms after the cursor are then at least as recent as the lowest of those copies, so
 *   the page's last room is, and every room of the page has a copy above that lowest minus
 *   the lag (or: fewer than $2 rooms are left, and all of them are candidates).
 * - page: the memberships with a copy in that range, by the exact activity time (rooms by
 *   primary key), the top $2.
 * Then for the page's rooms only: the mention count (a range of message_mentions_user_idx) and
 * the newest message (one messages_pkey probe). No query per room.
 */
export function roomListSql(withCursor: boolean): string {
  const after = withCursor
    ? `AND m.room_listed_at <= $3::timestamptz AND (r.last_activity_at, r.id) < ($3::timestamptz, $4::uuid)`
    : '';
  // Without a cursor every room counts, so the head needs no room row.
  const head = withCursor
    ? `SELECT m.room_listed_at FROM room_members m ${ROOM_OF_M}
          WHERE m.user_id = $1 ${after}`
    : `SELECT m.room_listed_at FROM room_members m WHERE m.user_id = $1`;
  return `WITH head AS (
         ${head}
          ORDER BY m.room_listed_at DESC
          LIMIT $2),
       floor AS (
         SELECT CASE WHEN count(*) < $2 THEN '-infinity'::timestamptz
                     ELSE min(room_listed_at) - chat_room_list_lag() END AS at
           FROM head),
       page AS (
         SELECT ${R_COLS}, r.last_activity_at, m.last_read_seq,
                to_char(r.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
           FROM room_members m ${ROOM_OF_M}
          WHERE m.user_id = $1 AND m.room_listed_at > (SELECT at FROM floor) ${after}
          ORDER BY r.last_activity_at DESC, r.id DESC
          LIMIT $2)
       SELECT p.*, ${MENTIONS_AFTER('$1', 'p.id', 'p.last_read_seq')} AS mention_count,
              lm.id AS lm_id, lm.user_id AS lm_user_id, u.username AS lm_username,
              CASE WHEN lm.deleted_at IS NULL THEN lm.content ELSE '' END AS lm_content,
              lm.type AS lm_type, lm.created_at AS lm_created_at,
              (lm.deleted_at IS NOT NULL) AS lm_deleted
         FROM page p
         LEFT JOIN messages lm ON lm.room_id = p.id AND lm.seq = p.last_seq
         LEFT JOIN users u ON u.id = lm.user_id
        ORDER BY p.last_activity_at DESC, p.id DESC`;
}

@Injectable()
export class SqlReadStateRepository extends ReadStateRepository {
  private readonly prepared: PreparedQueries;

  constructor(@InjectDataSource() ds: DataSource) {
    super();
    this.prepared = new PreparedQueries(ds);
  }

  private toState(roomId: string, r: StateRow): ReadState {
    const lastReadSeq = Number(r.last_read_seq);
    return {
      roomId,
      lastReadSeq,
      unreadCount: unreadCount(Number(r.last_seq), lastReadSeq),
      mentionCount: r.mention_count,
    };
  }

  async advance(roomId: string, userId: string, seq: number): Promise<ReadState | null> {
    // The room row is read, not locked: a read never waits for the room's sends. GREATEST is
    // evaluated on the row version the UPDATE locks, so racing calls only move it forward.
    const rows = await this.prepared.query<StateRow>(
      'read_state_advance',
      `WITH upd AS (
         UPDATE room_members m SET last_read_seq = GREATEST(m.last_read_seq, LEAST($3::bigint, r.last_seq))
           FROM rooms r
          WHERE r.id = m.room_id AND m.room_id = $1 AND m.user_id = $2
            AND m.last_read_seq < LEAST($3::bigint, r.last_seq)
         RETURNING m.last_read_seq, r.last_seq)
       SELECT u.last_read_seq, u.last_seq, ${MENTIONS_AFTER('$2', '$1', 'u.last_read_seq')} AS mention_count
         FROM upd u`,
      [roomId, userId, seq],
    );
    return rows[0] ? this.toState(roomId, rows[0]) : null;
  }

  async statesOf(
    pairs: { roomId: string; userId: string }[],
  ): Promise<(ReadState & { userId: string })[]> {
    if (pairs.length === 0) return [];
    const rows = await this.prepared.query<StateRow & { room_id: string; user_id: string }>(
      'read_states_of',
      `SELECT t.room_id, t.user_id, m.last_read_seq, r.last_seq,
              ${MENTIONS_AFTER('t.user_id', 't.room_id', 'm.last_read_seq')} AS mention_count
         FROM unnest($1::uuid[], $2::uuid[]) AS t(room_id, user_id)
         JOIN room_members m ON m.room_id = t.room_id AND m.user_id = t.user_id
         JOIN rooms r ON r.id = t.room_id`,
      [pairs.map((p) => p.roomId), pairs.map((p) => p.userId)],
    );
    return rows.map((r) => ({ ...this.toState(r.room_id, r), userId: r.user_id }));
  }

  async listRooms(
    userId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<{ items: RoomListItem[]; next: [string, string] | null }> {
    const params: unknown[] = [userId, limit + 1];
    if (after) params.push(after[0], after[1]);
    const rows = await this.prepared.query<
      RoomRow & {
        last_read_seq: string;
        cursor_ts: string;
        mention_count: number;
        lm_id: string | null;
        lm_user_id: string | null;
        lm_username: string | null;
        lm_content: string | null;
        lm_type: string | null;
        lm_created_at: Date | null;
        lm_deleted: boolean | null;
      }
    >(after ? 'room_list_after' : 'room_list_first', roomListSql(after !== null), params);
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        room: toRoom(r),
        lastReadSeq: Number(r.last_read_seq),
        mentionCount: r.mention_count,
        lastMessage:
          r.lm_id !== null
            ? {
                id: r.lm_id,
                seq: Number(r.last_seq),
                userId: r.lm_user_id!,
                username: r.lm_username ?? '',
                content: r.lm_content ?? '',
                type: r.lm_type!,
                createdAt: r.lm_created_at!,
                deleted: r.lm_deleted === true,
              }
            : null,
      })),
      next: more && last ? [last.cursor_ts, last.id] : null,
    };
  }
}
