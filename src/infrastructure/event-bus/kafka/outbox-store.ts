import type { DataSource } from 'typeorm';
import type { ChatEvent, MessageType } from '../../../common/events/chat-events.js';

/** Where an event's outbox record is: a message's (room, seq), or a row id for other events. */
export type OutboxRef =
  { kind: 'message'; roomId: string; seq: number } | { kind: 'row'; id: string };

export interface ClaimedEvent {
  ref: OutboxRef;
  event: ChatEvent | null; // null: the message is gone (its room was deleted); just drop the record
}

interface ClaimRow {
  id: string;
  room_id: string | null;
  seq: string | null;
  payload: ChatEvent | null;
  m_id: string | null;
  user_id: string | null;
  username: string | null;
  content: string | null;
  type: MessageType | null;
  client_msg_id: string | null;
  created_at: Date | null;
  sent_by: string | null;
  deleted_at: Date | null;
}

/** SQL for the transactional outbox (table event_outbox). */
export class OutboxStore {
  constructor(private readonly ds: DataSource) {}

  /** Durable record of a non-message event (messages get theirs in their own transaction). */
  async stage(event: ChatEvent, key: string): Promise<OutboxRef> {
    const [row] = await this.ds.query<{ id: string }[]>(
      `INSERT INTO event_outbox (event_key, payload) VALUES ($1, $2) RETURNING id`,
      [key, JSON.stringify(event)],
    );
    return { kind: 'row', id: String(row.id) };
  }

  /** The broker has these: forget them. */
  async remove(refs: OutboxRef[]): Promise<void> {
    const ids: string[] = [];
    const rooms: string[] = [];
    const seqs: number[] = [];
    for (const r of refs) {
      if (r.kind === 'row') ids.push(r.id);
      else {
        rooms.push(r.roomId);
        seqs.push(r.seq);
      }
    }
    if (ids.length > 0)
      await this.ds.query(`DELETE FROM event_outbox WHERE id = ANY($1::bigint[])`, [ids]);
    if (rooms.length > 0)
      await this.ds.query(
        `DELETE FROM event_outbox o USING unnest($1::uuid[], $2::bigint[]) AS k(room_id, seq)
          WHERE o.room_id = k.room_id AND o.seq = k.seq`,
        [rooms, seqs],
      );
  }

  /**
   * Locks up to `limit` records older than `minAgeMs` (oldest first, skipping ones another
   * instance holds), hands them to `publish`, and deletes them if it succeeds; all in one
   * transaction, so a failed publish leaves them for the next attempt.
   */
  async drain(
    minAgeMs: number,
    limit: number,
    publish: (items: ClaimedEvent[]) => Promise<void>,
  ): Promise<number> {
    return this.ds.transaction(async (m) => {
      const rows = await m.query<ClaimRow[]>(
        `SELECT o.id, o.room_id, o.seq, o.payload,
                msg.id AS m_id, msg.user_id, u.username, msg.content, msg.type, msg.client_msg_id, msg.created_at,
                msg.sent_by, msg.deleted_at
           FROM event_outbox o
           LEFT JOIN messages msg ON msg.room_id = o.room_id AND msg.seq = o.seq
           LEFT JOIN users u ON u.id = msg.user_id
          WHERE o.created_at < clock_timestamp() - make_interval(secs => $1::float / 1000)
          ORDER BY o.id
          LIMIT $2
          FOR UPDATE OF o SKIP LOCKED`,
        [minAgeMs, limit],
      );
      if (rows.length === 0) return 0;
      const items: ClaimedEvent[] = rows.map((r) => {
        if (r.payload) return { ref: { kind: 'row', id: String(r.id) }, event: r.payload };
        const ref: OutboxRef = { kind: 'message', roomId: r.room_id!, seq: Number(r.seq) };
        if (!r.m_id) return { ref, event: null };
        return {
          ref,
          event: {
            type: 'message.sent',
            roomId: r.room_id!,
            message: {
              id: r.m_id,
              roomId: r.room_id!,
              seq: Number(r.seq),
              userId: r.user_id!,
              username: r.username!,
              content: r.content!,
              type: r.type!,
              clientMsgId: r.client_msg_id,
              createdAt: r.created_at!.toISOString(),
              sentBy: r.sent_by ?? null,
              deletedAt: r.deleted_at ? r.deleted_at.toISOString() : null,
            },
          },
        };
      });
      await publish(items.filter((i) => i.event !== null));
      await m.query(`DELETE FROM event_outbox WHERE id = ANY($1::bigint[])`, [
        rows.map((r) => r.id),
      ]);
      return rows.length;
    });
  }

  async stats(): Promise<{ backlog: number; oldestAgeSec: number }> {
    const [row] = await this.ds.query<{ n: number; age: number | null }[]>(
      `SELECT count(*)::int AS n, EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))::float AS age FROM event_outbox`,
    );
    return { backlog: row.n, oldestAgeSec: row.age ?? 0 };
  }
}
