import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ROOM_ACTIVITY } from './1766300000000-ReadState.js';

/**
 * Less work per send: what the append statement already knows is written by it, not recomputed
 * by an index or a trigger.
 *
 * - `messages.event_seq`: the eventSeq of the message's message.new room event, written by the
 *   append with the message. A v1 subscription (afterSeq) reads a message range's eventSeqs from
 *   the messages primary key it reads anyway, so the expression index on the room events'
 *   JSON (room_events_message_seq_idx), one more index entry per send, goes.
 * - The sender's read marker stays with its statement trigger (messages_read_own_sends): as a
 *   CTE of the append it would update room_members rows that the rooms_listed trigger, fired by
 *   the same statement's UPDATE of the room once per lag, has just rewritten, which PostgreSQL
 *   refuses ("tuple to be updated was already modified by an operation triggered by the current
 *   command").
 * - `rooms.last_activity_at` is set by the room position rule (room-position.ts) in the UPDATE
 *   that takes the seqs, not by a row trigger on that UPDATE.
 */
export class MessageEventSeq1766800000000 implements MigrationInterface {
  name = 'MessageEventSeq1766800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages ADD COLUMN event_seq bigint`);
    await q.query(`
      UPDATE messages m SET event_seq = e.event_seq
        FROM room_events e
       WHERE e.room_id = m.room_id AND e.kind = 'message.new' AND (e.data->>'seq')::bigint = m.seq`);
    // Every message has its message.new event (the room events migration wrote one for each
    // message that was there); a message without one would be a broken log, so this fails then.
    await q.query(`ALTER TABLE messages ALTER COLUMN event_seq SET NOT NULL`);
    await q.query(`DROP INDEX room_events_message_seq_idx`);
    await q.query(`DROP TRIGGER rooms_activity ON rooms`);
    await q.query(`DROP FUNCTION chat_room_activity()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of ROOM_ACTIVITY) await q.query(sql);
    await q.query(
      `CREATE INDEX room_events_message_seq_idx ON room_events (room_id, ((data->>'seq')::bigint))
        WHERE kind = 'message.new'`,
    );
    await q.query(`ALTER TABLE messages DROP COLUMN event_seq`);
  }
}
