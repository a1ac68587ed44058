import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where in its room's log each message was created: a partial index on the message.new room
 * events by the message's seq. A v1 subscription (room.subscribe with afterSeq) replays messages
 * by seq and sends each with the eventSeq of its message.new event, as every room event frame
 * carries one; without this index, finding those eventSeqs means scanning the room's log.
 */
export class MessageEventIndex1766600000000 implements MigrationInterface {
  name = 'MessageEventIndex1766600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX room_events_message_seq_idx ON room_events (room_id, ((data->>'seq')::bigint))
        WHERE kind = 'message.new'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS room_events_message_seq_idx`);
  }
}
