import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RoomEvent } from '../../../../common/events/chat-events.js';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import type { Membership, Room } from '../../../rooms/domain/room.js';
import {
  ROOM_WITH_MEMBERSHIP_SQL,
  type RoomWithMembershipRow,
  toRoomWithMembership,
} from '../../../rooms/infrastructure/persistence/sql-room.repository.js';
import { RoomEventRepository } from '../../domain/room-event.repository.js';

interface EventRow {
  event_seq: string;
  kind: string;
  data: Record<string, unknown>;
  created_at: string;
}

export const toRoomEvent = (r: EventRow): RoomEvent =>
  ({
    eventSeq: Number(r.event_seq),
    event: r.kind,
    data: r.data,
    createdAt: r.created_at,
  }) as RoomEvent;

/** Replay and gap filling read the log by its primary key (room_id, event_seq). */
@Injectable()
export class SqlRoomEventRepository extends RoomEventRepository {
  private readonly prepared: PreparedQueries;

  constructor(@InjectDataSource() ds: DataSource) {
    super();
    this.prepared = new PreparedQueries(ds);
  }

  async findAfter(roomId: string, afterEventSeq: number, limit: number): Promise<RoomEvent[]> {
    const rows = await this.prepared.query<EventRow>(
      'room_events_after',
      `SELECT event_seq, kind, data, chat_iso(created_at) AS created_at
         FROM room_events WHERE room_id = $1 AND event_seq > $2 ORDER BY event_seq LIMIT $3`,
      [roomId, afterEventSeq, limit],
    );
    return rows.map(toRoomEvent);
  }

  async findAfterAsMember(
    roomId: string,
    userId: string,
    afterEventSeq: number,
    limit: number,
  ): Promise<{ room: Room; membership: Membership | null; events: RoomEvent[] } | null> {
    // A resume's one round trip (it was two: the access check, then the page): the page is read
    // by the log's primary key, and not at all for a caller who is not a member.
    const rows = await this.prepared.query<RoomWithMembershipRow & { events: EventRow[] | null }>(
      'room_events_after_as_member',
      `SELECT rm.*,
              CASE WHEN rm.m_role IS NOT NULL THEN
                (SELECT COALESCE(json_agg(json_build_object(
                          'event_seq', e.event_seq::text, 'kind', e.kind, 'data', e.data,
                          'created_at', chat_iso(e.created_at)) ORDER BY e.event_seq), '[]'::json)
                   FROM (SELECT event_seq, kind, data, created_at FROM room_events
                          WHERE room_id = $1 AND event_seq > $3 ORDER BY event_seq LIMIT $4) e)
              END AS events
         FROM (${ROOM_WITH_MEMBERSHIP_SQL}) rm`,
      [roomId, userId, afterEventSeq, limit],
    );
    const r = rows[0];
    if (!r) return null;
    return { ...toRoomWithMembership(r, userId), events: (r.events ?? []).map(toRoomEvent) };
  }

  /** A range of messages' message.new eventSeqs, by the messages primary key (room_id, seq). */
  async messageEventSeqs(
    roomId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<Map<number, number>> {
    const rows = await this.prepared.query<{ seq: string; event_seq: string }>(
      'message_event_seqs',
      `SELECT seq, event_seq FROM messages WHERE room_id = $1 AND seq BETWEEN $2 AND $3`,
      [roomId, fromSeq, toSeq],
    );
    return new Map(rows.map((r) => [Number(r.seq), Number(r.event_seq)]));
  }

  /** One primary key probe of the messages' head, in one snapshot with the room's position. */
  async retainedFromSeq(roomId: string): Promise<number | null> {
    const rows = await this.prepared.query<{ from_seq: string }>(
      'room_retained_from_seq',
      `SELECT COALESCE((SELECT m.seq FROM messages m WHERE m.room_id = r.id ORDER BY m.seq LIMIT 1),
                       r.last_seq + 1) AS from_seq
         FROM rooms r WHERE r.id = $1`,
      [roomId],
    );
    return rows.length === 0 ? null : Number(rows[0].from_seq);
  }
}
