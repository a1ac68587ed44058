import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transactional outbox for ChatEvents bound for Kafka. A message's record (room_id, seq) is
 * written in the message's own transaction; other events carry their payload. Rows are deleted
 * once the broker has acknowledged them.
 */
export class EventOutbox1764000001000 implements MigrationInterface {
  name = 'EventOutbox1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_outbox (
        id         bigserial PRIMARY KEY,
        event_key  text NOT NULL,
        room_id    uuid,
        seq        bigint,
        payload    jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT event_outbox_message_or_payload CHECK ((room_id IS NOT NULL AND seq IS NOT NULL) OR payload IS NOT NULL)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX event_outbox_message_uq ON event_outbox (room_id, seq) WHERE seq IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS event_outbox`);
  }
}
