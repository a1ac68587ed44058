import type { MigrationInterface, QueryRunner } from 'typeorm';
import { READ_OWN_SENDS, ROOM_ACTIVITY } from './1766300000000-ReadState.js';

/**
 * The send path's work, all of it in the append statement, none of it in triggers or indexes
 * that recompute what the statement already knows.
 *
 * - `messages.event_seq`: the eventSeq of the message's message.new room event, written by the
 *   append with the message. A v1 subscription (afterSeq) reads a message range's eventSeqs from
 *   the messages primary key it reads anyway, so the expression index on the room events'
 *   JSON (room_events_message_seq_idx), one more index entry per send, goes.
 * - The sender's read marker moves in the append statement (one UPDATE of room_members per
 *   sender and room), not in a statement trigger that collects a transition table of the rows
 *   just inserted and runs a PL/pgSQL function to update the same rows.
 * - `rooms.last_activity_at` is set by the room position rule (room-position.ts) in the UPDATE
 *   that takes the seqs, not by a row trigger on that UPDATE.
 */
export class SendPathInOneStatement1766800000000 implements MigrationInterface {
  name = 'SendPathInOneStatement1766800000000';

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
    await q.query(`DROP TRIGGER messages_read_own_sends ON messages`);
    await q.query(`DROP FUNCTION chat_read_own_sends()`);
    await q.query(`DROP TRIGGER rooms_activity ON rooms`);
    await q.query(`DROP FUNCTION chat_room_activity()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of [...ROOM_ACTIVITY, ...READ_OWN_SENDS]) await q.query(sql);
    await q.query(
      `CREATE INDEX room_events_message_seq_idx ON room_events (room_id, ((data->>'seq')::bigint))
        WHERE kind = 'message.new'`,
    );
    await q.query(`ALTER TABLE messages DROP COLUMN event_seq`);
  }
}
