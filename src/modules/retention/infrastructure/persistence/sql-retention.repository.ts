import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import { RetentionRepository, type SweptBatch } from '../../domain/retention.repository.js';

/** The sweep lock's key: one sweeper at a time across every instance sharing the database. */
const SWEEP_LOCK = `hashtext('chat:retention-sweep')`;

/** A room's cutoff: now minus its effective retention (null when it keeps forever). */
const CUTOFF = `clock_timestamp() - make_interval(days => COALESCE(r.retention_days, $2::int))`;

/**
 * The sweeper's SQL. Only room_events and messages rows are deleted (and, by their foreign keys'
 * ON DELETE CASCADE, the messages' reactions and mentions); the rooms row is only read, never
 * locked, so the send path (which locks it for its seqs, room-position.ts) never waits on a
 * sweep. Each delete is one statement of at most `batch` events and their messages: a short
 * transaction whatever the backlog.
 */
@Injectable()
export class SqlRetentionRepository extends RetentionRepository {
  private readonly prepared: PreparedQueries;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
    this.prepared = new PreparedQueries(ds);
  }

  async exclusively<T>(sweep: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    // A session lock on a connection of its own, held for the whole round while the deletes run
    // as short transactions on the pool; released explicitly, or by PostgreSQL when the
    // connection dies with its instance.
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = rowsOf<{ locked: boolean }>(
        await runner.query(`SELECT pg_try_advisory_lock(${SWEEP_LOCK}) AS locked`),
      );
      if (!locked) return { ran: false };
      try {
        return { ran: true, value: await sweep() };
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(${SWEEP_LOCK})`);
      }
    } finally {
      await runner.release();
    }
  }

  async roomsDue(
    afterRoomId: string | null,
    limit: number,
    serverDays: number | null,
  ): Promise<{ roomIds: string[]; next: string | null }> {
    // A plain read of rooms (no row lock), each room's log head by its primary key.
    const rows = await this.prepared.query<{ id: string; due: boolean | null }>(
      'retention_rooms_due',
      `SELECT r.id,
              (SELECT e.created_at FROM room_events e WHERE e.room_id = r.id
                ORDER BY e.event_seq LIMIT 1) < ${CUTOFF} AS due
         FROM rooms r
        WHERE ($1::uuid IS NULL OR r.id > $1::uuid)
        ORDER BY r.id LIMIT $3`,
      [afterRoomId, serverDays, limit],
    );
    return {
      roomIds: rows.filter((r) => r.due === true).map((r) => r.id),
      next: rows.length === limit ? rows[rows.length - 1].id : null,
    };
  }

  async deleteExpired(
    roomId: string,
    serverDays: number | null,
    batch: number,
  ): Promise<SweptBatch> {
    // The log's head up to `batch` events; the kept part starts at the first one not old enough
    // (or still waiting for the Kafka relay), so what is deleted is always a prefix and the log
    // stays gap-free above it. A message goes with its message.new event: seqs and eventSeqs are
    // taken together in one order, so those messages are the seqs up to the newest such event's.
    const [row] = await this.prepared.query<{ messages: number; events: number }>(
      'retention_delete_expired',
      `WITH room AS (
         SELECT ${CUTOFF} AS cutoff FROM rooms r WHERE r.id = $1
       ), head AS (
         SELECT e.event_seq, e.kind, e.data, e.created_at, e.unpublished
           FROM room_events e WHERE e.room_id = $1 ORDER BY e.event_seq LIMIT $3
       ), bound AS (
         SELECT COALESCE(min(h.event_seq) FILTER (WHERE h.created_at >= room.cutoff OR h.unpublished),
                         max(h.event_seq) + 1) AS upto
           FROM head h CROSS JOIN room WHERE room.cutoff IS NOT NULL
       ), gone_messages AS (
         DELETE FROM messages m
          WHERE m.room_id = $1
            AND m.seq <= (SELECT max((h.data->>'seq')::bigint) FROM head h, bound
                           WHERE h.kind = 'message.new' AND h.event_seq < bound.upto)
         RETURNING 1
       ), gone_events AS (
         DELETE FROM room_events e
          WHERE e.room_id = $1 AND e.event_seq < (SELECT upto FROM bound)
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM gone_messages)::int AS messages,
              (SELECT count(*) FROM gone_events)::int AS events`,
      [roomId, serverDays, batch],
    );
    return { messages: row.messages, events: row.events };
  }
}
