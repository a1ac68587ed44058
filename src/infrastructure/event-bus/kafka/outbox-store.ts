import type { DataSource } from 'typeorm';
import type { ChatEvent, RoomEvent } from '../../../common/events/chat-events.js';

/**
 * Where an event waits for the broker: a room event in its room's log (the log is the outbox of
 * every room event), or an event_outbox row for the few events that belong to no room's log
 * (a session revoked, a room deleted).
 */
export type OutboxRef =
  { kind: 'roomEvent'; roomId: string; eventSeq: number } | { kind: 'row'; id: string };

export interface ClaimedEvent {
  ref: OutboxRef;
  event: ChatEvent;
}

interface RoomEventRow {
  room_id: string;
  event_seq: string;
  kind: string;
  data: Record<string, unknown>;
  created_at: string;
}

/**
 * SQL of the relay's durable side. Room events are published as the log holds them, by
 * position: the payload is the stored row, never rebuilt from messages or users.
 */
export class OutboxStore {
  constructor(private readonly ds: DataSource) {}

  /** Durable record of an event that belongs to no room's log. */
  async stage(event: ChatEvent, key: string): Promise<OutboxRef> {
    const [row] = await this.ds.query<{ id: string }[]>(
      `INSERT INTO event_outbox (event_key, payload) VALUES ($1, $2) RETURNING id`,
      [key, JSON.stringify(event)],
    );
    return { kind: 'row', id: String(row.id) };
  }

  /** The broker has these: room events leave the relay's backlog, outbox rows go. */
  async remove(refs: OutboxRef[]): Promise<void> {
    const ids: string[] = [];
    const rooms: string[] = [];
    const seqs: number[] = [];
    for (const r of refs) {
      if (r.kind === 'row') ids.push(r.id);
      else {
        rooms.push(r.roomId);
        seqs.push(r.eventSeq);
      }
    }
    if (ids.length > 0)
      await this.ds.query(`DELETE FROM event_outbox WHERE id = ANY($1::bigint[])`, [ids]);
    if (rooms.length > 0) await this.markPublished(this.ds, rooms, seqs);
  }

  private async markPublished(
    q: Pick<DataSource, 'query'>,
    rooms: string[],
    seqs: number[],
  ): Promise<void> {
    await q.query(
      `UPDATE room_events e SET unpublished = false
         FROM unnest($1::uuid[], $2::bigint[]) AS k(room_id, event_seq)
        WHERE e.room_id = k.room_id AND e.event_seq = k.event_seq AND e.unpublished`,
      [rooms, seqs],
    );
  }

  /**
   * Locks up to `limit` waiting records older than `minAgeMs` (room events in log order per
   * room; records another instance holds are skipped), hands them to `publish`, and marks them
   * published if it succeeds; all in one transaction, so a failed publish leaves them waiting.
   */
  async drain(
    minAgeMs: number,
    limit: number,
    publish: (items: ClaimedEvent[]) => Promise<void>,
  ): Promise<number> {
    return this.ds.transaction(async (m) => {
      const events = await m.query<RoomEventRow[]>(
        `SELECT room_id, event_seq, kind, data, chat_iso(created_at) AS created_at
           FROM room_events
          WHERE unpublished
            AND created_at < clock_timestamp() - make_interval(secs => $1::float / 1000)
          ORDER BY room_id, event_seq
          LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [minAgeMs, limit],
      );
      const rows = await m.query<{ id: string; payload: ChatEvent }[]>(
        `SELECT id, payload FROM event_outbox
          WHERE created_at < clock_timestamp() - make_interval(secs => $1::float / 1000)
          ORDER BY id
          LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [minAgeMs, Math.max(0, limit - events.length)],
      );
      if (events.length === 0 && rows.length === 0) return 0;
      const items: ClaimedEvent[] = [
        ...events.map((r): ClaimedEvent => {
          const eventSeq = Number(r.event_seq);
          return {
            ref: { kind: 'roomEvent', roomId: r.room_id, eventSeq },
            event: {
              type: 'room.event',
              roomId: r.room_id,
              event: {
                eventSeq,
                event: r.kind,
                data: r.data,
                createdAt: r.created_at,
              } as unknown as RoomEvent,
            },
          };
        }),
        ...rows.map((r): ClaimedEvent => ({
          ref: { kind: 'row', id: String(r.id) },
          event: r.payload,
        })),
      ];
      await publish(items);
      if (events.length > 0)
        await this.markPublished(
          m,
          events.map((e) => e.room_id),
          events.map((e) => Number(e.event_seq)),
        );
      if (rows.length > 0)
        await m.query(`DELETE FROM event_outbox WHERE id = ANY($1::bigint[])`, [
          rows.map((r) => r.id),
        ]);
      return events.length + rows.length;
    });
  }

  async stats(): Promise<{ backlog: number; oldestAgeSec: number }> {
    const [row] = await this.ds.query<{ n: number; age: number | null }[]>(
      `SELECT sum(n)::int AS n, max(age)::float AS age FROM (
         SELECT count(*) AS n, EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)) AS age
           FROM room_events WHERE unpublished
         UNION ALL
         SELECT count(*), EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)) FROM event_outbox) t`,
    );
    return { backlog: row.n ?? 0, oldestAgeSec: row.age ?? 0 };
  }
}
