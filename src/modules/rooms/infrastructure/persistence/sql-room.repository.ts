import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { Errors } from '../../../../common/errors/domain-error.js';
import type { RoomEvent } from '../../../../common/events/chat-events.js';
import { OutboxPolicy } from '../../../../common/events/outbox.js';
import { inRoomEventTx } from '../../../room-events/infrastructure/persistence/room-event-tx.js';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import {
  toRoomView,
  type Membership,
  type MemberRole,
  type Room,
  type RoomKind,
} from '../../domain/room.js';
import {
  RoomRepository,
  type KeysetPage,
  type NewRoom,
  type RoomPatch,
} from '../../domain/room.repository.js';

export interface RoomRow {
  id: string;
  kind: RoomKind;
  name: string;
  description: string;
  owner_id: string;
  is_private: boolean;
  password_hash: string | null;
  org_id: string | null;
  member_count: number;
  last_seq: string;
  last_event_seq: string;
  retention_days?: number | null;
  created_at: Date;
  updated_at: Date;
}

interface MemberRow {
  room_id: string;
  user_id: string;
  username: string;
  role: MemberRole;
  joined_at: Date;
  last_read_seq?: string;
}

export const ROOM_COLS = `id, kind, name, description, owner_id, is_private, password_hash, org_id, member_count, last_seq, last_event_seq, retention_days, created_at, updated_at`;

export const toRoom = (r: RoomRow): Room => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  description: r.description,
  ownerId: r.owner_id,
  isPrivate: r.is_private,
  passwordHash: r.password_hash,
  orgId: r.org_id,
  memberCount: Number(r.member_count),
  lastSeq: Number(r.last_seq),
  lastEventSeq: Number(r.last_event_seq),
  retentionDays: r.retention_days ?? null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toMembership = (r: MemberRow): Membership => ({
  roomId: r.room_id,
  userId: r.user_id,
  username: r.username,
  role: r.role,
  joinedAt: r.joined_at,
  ...(r.last_read_seq !== undefined ? { lastReadSeq: Number(r.last_read_seq) } : {}),
});

function mapNameConflict(err: unknown): never {
  const d =
    err instanceof QueryFailedError
      ? (err.driverError as { code?: string; constraint?: string })
      : null;
  if (d?.code === '23505' && d.constraint === 'rooms_name_lower_uq')
    throw Errors.conflict('ROOM_NAME_TAKEN', 'a room with this name already exists');
  throw err;
}

/**
 * The room ($1) and one user's ($2) membership in it: one row, none without the room. The
 * access check's read; other modules' statements that check access in the same round trip as
 * what they read select from it as a subquery, so the rule of what it reads has one owner.
 */
export const ROOM_WITH_MEMBERSHIP_SQL = `SELECT ${ROOM_COLS.split(', ')
  .map((c) => 'r.' + c)
  .join(', ')}, m.role AS m_role, m.joined_at AS m_joined_at, u.username AS m_username,
              m.last_read_seq AS m_last_read_seq
         FROM rooms r
         LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = $2
         LEFT JOIN users u ON u.id = m.user_id
        WHERE r.id = $1`;

export type RoomWithMembershipRow = RoomRow & {
  m_role: MemberRole | null;
  m_joined_at: Date | null;
  m_username: string | null;
  m_last_read_seq: string | null;
};

export function toRoomWithMembership(
  r: RoomWithMembershipRow,
  userId: string,
): { room: Room; membership: Membership | null } {
  const membership =
    r.m_role && r.m_joined_at
      ? {
          roomId: r.id,
          userId,
          username: r.m_username ?? '',
          role: r.m_role,
          joinedAt: r.m_joined_at,
          lastReadSeq: Number(r.m_last_read_seq ?? 0),
        }
      : null;
  return { room: toRoom(r), membership };
}

/** Timestamps travel in cursors as ISO strings with microseconds kept by PostgreSQL's text form. */
@Injectable()
export class SqlRoomRepository extends RoomRepository {
  private readonly prepared: PreparedQueries;
  /** Room events wait for the relay when the Kafka bus is on (the log is its outbox). */
  private readonly unpublished: boolean;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Optional() outbox?: OutboxPolicy,
  ) {
    super();
    this.prepared = new PreparedQueries(ds);
    this.unpublished = outbox?.enabled ?? false;
  }

  /** `change` under the room's lock, with its room events appended in the same transaction. */
  private inRoom<T>(
    roomId: string,
    change: Parameters<typeof inRoomEventTx<T>>[3],
  ): Promise<T | null> {
    return inRoomEventTx((fn) => this.ds.transaction(fn), roomId, this.unpublished, change);
  }

  async create(room: NewRoom): Promise<Room> {
    try {
      return await this.ds.transaction(async (m) => {
        const [row] = await m.query<RoomRow[]>(
          `INSERT INTO rooms (name, description, owner_id, is_private, password_hash, org_id, member_count)
           VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING ${ROOM_COLS}`,
          [
            room.name,
            room.description,
            room.ownerId,
            room.isPrivate,
            room.passwordHash,
            room.orgId ?? null,
          ],
        );
        await m.query(
          `INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'owner')`,
          [row.id, room.ownerId],
        );
        return toRoom(row);
      });
    } catch (err) {
      mapNameConflict(err);
    }
  }

  async findOrCreateDirect(input: {
    key: string;
    memberIds: string[];
    creatorId: string;
    name: string;
  }): Promise<{ room: Room; created: boolean }> {
    return this.ds.transaction(async (m) => {
      // A concurrent insert of the same key waits for the winner's commit, then does nothing;
      // the winner's room and memberships are then committed and read below.
      const inserted = await m.query<RoomRow[]>(
        `INSERT INTO rooms (kind, direct_key, name, owner_id, is_private, member_count)
         VALUES ('direct', $1, $2, $3, true, $4)
         ON CONFLICT (direct_key) DO NOTHING RETURNING ${ROOM_COLS}`,
        [input.key, input.name, input.creatorId, input.memberIds.length],
      );
      if (inserted[0]) {
        await m.query(
          `INSERT INTO room_members (room_id, user_id, role)
           SELECT $1, u, CASE WHEN u = $2::uuid THEN 'owner' ELSE 'member' END
             FROM unnest($3::uuid[]) AS u`,
          [inserted[0].id, input.creatorId, input.memberIds],
        );
        return { room: toRoom(inserted[0]), created: true };
      }
      const [existing] = await m.query<RoomRow[]>(
        `SELECT ${ROOM_COLS} FROM rooms WHERE direct_key = $1`,
        [input.key],
      );
      if (!existing) throw new Error('direct room vanished between its conflict and its read');
      return { room: toRoom(existing), created: false };
    });
  }

  async findById(id: string): Promise<Room | null> {
    const rows = await this.ds.query<RoomRow[]>(`SELECT ${ROOM_COLS} FROM rooms WHERE id = $1`, [
      id,
    ]);
    return rows[0] ? toRoom(rows[0]) : null;
  }

  async findWithMembership(
    roomId: string,
    userId: string,
  ): Promise<{ room: Room; membership: Membership | null } | null> {
    // Runs on every send: a prepared statement, planned once per connection.
    const rows = await this.prepared.query<RoomWithMembershipRow>(
      'rooms_with_membership',
      ROOM_WITH_MEMBERSHIP_SQL,
      [roomId, userId],
    );
    return rows[0] ? toRoomWithMembership(rows[0], userId) : null;
  }

  async listVisible(
    userId: string,
    q: string | undefined,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<Room>> {
    const params: unknown[] = [userId, limit + 1];
    // Direct rooms are never listed here (GET /api/users/me/rooms lists them).
    let where = `r.kind = 'room' AND ((NOT r.is_private AND r.org_id IS NULL) OR EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = $1))`;
    if (q) {
      params.push(`%${q.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
      where += ` AND r.name ILIKE $${params.length}`;
    }
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (r.created_at, r.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    const rows = await this.ds.query<(RoomRow & { cursor_ts: string })[]>(
      `SELECT ${ROOM_COLS.split(', ')
        .map((c) => 'r.' + c)
        .join(', ')},
              to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM rooms r WHERE ${where}
        ORDER BY r.created_at DESC, r.id DESC LIMIT $2`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toRoom), next: more && last ? [last.cursor_ts, last.id] : null };
  }

  async update(id: string, patch: RoomPatch): Promise<{ room: Room; event: RoomEvent }> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const col: Record<keyof RoomPatch, string> = {
      name: 'name',
      description: 'description',
      isPrivate: 'is_private',
      passwordHash: 'password_hash',
      retentionDays: 'retention_days',
    };
    for (const key of Object.keys(col) as (keyof RoomPatch)[]) {
      if (patch[key] !== undefined) {
        params.push(patch[key]);
        sets.push(`${col[key]} = $${params.length}`);
      }
    }
    sets.push('updated_at = now()');
    let result: { room: Room; event: RoomEvent } | null;
    try {
      result = await this.inRoom(id, async (tx, m) => {
        const rows = rowsOf<RoomRow>(
          await m.query(
            `UPDATE rooms SET ${sets.join(', ')} WHERE id = $1 RETURNING ${ROOM_COLS}`,
            params,
          ),
        );
        const room = { ...toRoom(rows[0]), lastEventSeq: tx.nextEventSeq };
        const event = await tx.append({
          event: 'room.updated',
          data: { ...toRoomView(room), roomId: id },
        });
        return { room, event };
      });
    } catch (err) {
      mapNameConflict(err);
    }
    if (!result) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    return result;
  }

  async delete(id: string): Promise<void> {
    await this.ds.query(`DELETE FROM rooms WHERE id = $1`, [id]);
  }

  async addMember(
    roomId: string,
    userId: string,
  ): Promise<{ membership: Membership; created: boolean; event: RoomEvent | null }> {
    // The room row is locked first (the lock the member_count update needs anyway, so two joins
    // queue instead of deadlocking on a lock upgrade); a concurrent delete wins or waits.
    const result = await this.inRoom(roomId, async (tx, m) => {
      const inserted = await m.query<unknown[]>(
        // A new member has read what was there before them: nothing starts unread.
        `INSERT INTO room_members (room_id, user_id, role, last_read_seq)
         VALUES ($1, $2, 'member', (SELECT last_seq FROM rooms WHERE id = $1))
         ON CONFLICT (room_id, user_id) DO NOTHING RETURNING room_id`,
        [roomId, userId],
      );
      const created = inserted.length > 0;
      if (created)
        await m.query(`UPDATE rooms SET member_count = member_count + 1 WHERE id = $1`, [roomId]);
      const membership = await this.membershipIn(m, roomId, userId);
      if (!membership) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
      const event = created
        ? await tx.append({
            event: 'member.joined',
            data: { roomId, userId, username: membership.username },
          })
        : null;
      return { membership, created, event };
    });
    if (!result) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    return result;
  }

  async removeMember(
    roomId: string,
    userId: string,
    reason: 'left' | 'kicked',
  ): Promise<{ newOwnerId: string | null; events: RoomEvent[] } | null> {
    return this.inRoom(roomId, async (tx, m) => {
      const [room] = await m.query<{ owner_id: string }[]>(
        `SELECT owner_id FROM rooms WHERE id = $1`,
        [roomId],
      );
      const member = await this.membershipIn(m, roomId, userId);
      if (!member) return null;
      let newOwnerId: string | null = null;
      if (room.owner_id === userId) {
        const [heir] = await m.query<{ user_id: string }[]>(
          `SELECT user_id FROM room_members WHERE room_id = $1 AND user_id <> $2
            ORDER BY joined_at, user_id LIMIT 1`,
          [roomId, userId],
        );
        if (!heir)
          throw Errors.conflict(
            'OWNER_LAST_MEMBER',
            'the owner is the last member; delete the room instead of leaving it',
          );
        newOwnerId = heir.user_id;
        await m.query(
          `UPDATE room_members SET role = 'owner' WHERE room_id = $1 AND user_id = $2`,
          [roomId, newOwnerId],
        );
        await m.query(`UPDATE rooms SET owner_id = $2, updated_at = now() WHERE id = $1`, [
          roomId,
          newOwnerId,
        ]);
      }
      await m.query(`DELETE FROM room_members WHERE room_id = $1 AND user_id = $2`, [
        roomId,
        userId,
      ]);
      await m.query(`UPDATE rooms SET member_count = member_count - 1 WHERE id = $1`, [roomId]);
      const events = [
        await tx.append({
          event: 'member.left',
          data: { roomId, userId, username: member.username, reason },
        }),
      ];
      if (newOwnerId) {
        const [row] = await m.query<RoomRow[]>(`SELECT ${ROOM_COLS} FROM rooms WHERE id = $1`, [
          roomId,
        ]);
        const after = { ...toRoom(row), lastEventSeq: tx.nextEventSeq };
        events.push(
          await tx.append({ event: 'room.updated', data: { ...toRoomView(after), roomId } }),
        );
      }
      return { newOwnerId, events };
    });
  }

  async listMembers(
    roomId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<Membership>> {
    const params: unknown[] = [roomId, limit + 1];
    let where = 'm.room_id = $1';
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (m.joined_at, m.user_id) > ($3::timestamptz, $4::uuid)`;
    }
    const rows = await this.ds.query<(MemberRow & { cursor_ts: string })[]>(
      `SELECT m.room_id, m.user_id, u.username, m.role, m.joined_at, m.last_read_seq,
              to_char(m.joined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM room_members m JOIN users u ON u.id = m.user_id
        WHERE ${where} ORDER BY m.joined_at, m.user_id LIMIT $2`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toMembership),
      next: more && last ? [last.cursor_ts, last.user_id] : null,
    };
  }

  async countJoinFailures(
    roomId: string,
    userId: string,
    windowSec: number,
  ): Promise<{ count: number; retryAfterSec: number }> {
    const [row] = await this.ds.query<{ count: number; retry: number }[]>(
      `SELECT count(*)::int AS count,
              COALESCE(EXTRACT(EPOCH FROM (min(failed_at) + make_interval(secs => $3) - now())), 0)::float AS retry
         FROM room_join_failures
        WHERE room_id = $1 AND user_id = $2 AND failed_at > now() - make_interval(secs => $3)`,
      [roomId, userId, windowSec],
    );
    return { count: row.count, retryAfterSec: Math.max(1, Math.ceil(row.retry)) };
  }

  async recordJoinFailure(roomId: string, userId: string): Promise<void> {
    await this.ds.query(`INSERT INTO room_join_failures (room_id, user_id) VALUES ($1, $2)`, [
      roomId,
      userId,
    ]);
  }

  async clearJoinFailures(roomId: string, userId: string): Promise<void> {
    await this.ds.query(`DELETE FROM room_join_failures WHERE room_id = $1 AND user_id = $2`, [
      roomId,
      userId,
    ]);
  }

  private async membershipIn(
    m: EntityManager,
    roomId: string,
    userId: string,
  ): Promise<Membership | null> {
    const rows = await m.query<MemberRow[]>(
      `SELECT mb.room_id, mb.user_id, u.username, mb.role, mb.joined_at, mb.last_read_seq
         FROM room_members mb JOIN users u ON u.id = mb.user_id
        WHERE mb.room_id = $1 AND mb.user_id = $2`,
      [roomId, userId],
    );
    return rows[0] ? toMembership(rows[0]) : null;
  }
}
