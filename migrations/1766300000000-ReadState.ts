import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The room's activity time set by a row trigger. Replaced by the room position rule
 * (room-position.ts, MessageEventSeq1766800000000), which restores it on the way down.
 */
export const ROOM_ACTIVITY = [
  `CREATE FUNCTION chat_room_activity() RETURNS trigger LANGUAGE plpgsql AS $fn$
   BEGIN
     NEW.last_activity_at := clock_timestamp();
     RETURN NEW;
   END
   $fn$`,
  `CREATE TRIGGER rooms_activity BEFORE UPDATE OF last_seq ON rooms
     FOR EACH ROW WHEN (NEW.last_seq > OLD.last_seq) EXECUTE FUNCTION chat_room_activity()`,
];

/**
 * Read state and the room list.
 *
 * - `room_members.last_read_seq`: a member's read marker. Because seqs are gapless,
 *   `unreadCount = rooms.last_seq - last_read_seq`: no row per recipient per message.
 * - A statement-level trigger on messages moves each sender's marker to their newest message in
 *   the statement that stores it (whichever append path stored it), in its transaction.
 * - `rooms.last_activity_at`: when the room's newest message was stored, set by a BEFORE UPDATE
 *   trigger whenever last_seq grows (the row the append updates anyway: no extra row version).
 *   The room list is ordered by it.
 * - `message_mentions`: sparse (room, seq, user) rows for mentioned members, so mentionCount is
 *   a range count of (user_id, room_id, seq) after the marker. Created here only if the room
 *   events migration (which writes it with each message) has not created it already.
 */
export class ReadState1766300000000 implements MigrationInterface {
  name = 'ReadState1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE room_members ADD COLUMN last_read_seq bigint NOT NULL DEFAULT 0 CHECK (last_read_seq >= 0)`,
    );
    // Whoever is in a room now has read what is there: unread counts start at zero.
    await q.query(
      `UPDATE room_members m SET last_read_seq = r.last_seq FROM rooms r WHERE r.id = m.room_id`,
    );
    await q.query(`
      CREATE FUNCTION chat_read_own_sends() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        UPDATE room_members m SET last_read_seq = s.seq
          FROM (SELECT room_id, user_id, max(seq) AS seq FROM new_messages GROUP BY 1, 2) s
         WHERE m.room_id = s.room_id AND m.user_id = s.user_id AND m.last_read_seq < s.seq;
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER messages_read_own_sends AFTER INSERT ON messages
        REFERENCING NEW TABLE AS new_messages
        FOR EACH STATEMENT EXECUTE FUNCTION chat_read_own_sends()`);

    await q.query(`ALTER TABLE rooms ADD COLUMN last_activity_at timestamptz NULL`);
    await q.query(`
      UPDATE rooms r SET last_activity_at = COALESCE(
        (SELECT m.created_at FROM messages m WHERE m.room_id = r.id AND m.seq = r.last_seq),
        r.created_at)`);
    await q.query(
      `ALTER TABLE rooms ALTER COLUMN last_activity_at SET DEFAULT clock_timestamp(), ALTER COLUMN last_activity_at SET NOT NULL`,
    );
    for (const sql of ROOM_ACTIVITY) await q.query(sql);

    await q.query(`
      CREATE TABLE IF NOT EXISTS message_mentions (
        room_id uuid NOT NULL,
        seq     bigint NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (room_id, seq, user_id),
        FOREIGN KEY (room_id, seq) REFERENCES messages (room_id, seq) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS message_mentions_user_idx ON message_mentions (user_id, room_id, seq)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // message_mentions belongs to the room events migration when that one ran: left to it.
    const events = (await q.query(
      `SELECT 1 FROM migrations WHERE name = 'RoomEvents1766200000000'`,
    )) as unknown[];
    if (events.length === 0) await q.query(`DROP TABLE IF EXISTS message_mentions`);
    await q.query(`DROP TRIGGER IF EXISTS rooms_activity ON rooms`);
    await q.query(`DROP FUNCTION IF EXISTS chat_room_activity()`);
    await q.query(`ALTER TABLE rooms DROP COLUMN last_activity_at`);
    await q.query(`DROP TRIGGER IF EXISTS messages_read_own_sends ON messages`);
    await q.query(`DROP FUNCTION IF EXISTS chat_read_own_sends()`);
    await q.query(`ALTER TABLE room_members DROP COLUMN last_read_seq`);
  }
}
