import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention (contract v2, "Scheduled messages, retention, export"): a room's own retention,
 * set by its owner; null means the server's RETENTION_DAYS (unset: kept forever).
 *
 * Nothing else is stored. What a room still keeps is read off its logs' heads: the sweeper
 * (src/modules/retention) only ever deletes a prefix of a room's room events (by eventSeq) and
 * the messages whose message.new event went with them, and nothing else deletes from either
 * (a deleted message is a tombstone, a deleted room takes everything). So the lowest eventSeq
 * (seq) left is the retained window's start, one primary key probe away, and the sweeper never
 * writes to the rooms row the send path locks for its seqs. No new index: the sweeper walks each
 * room's log head by the primary keys (room_id, event_seq) and (room_id, seq).
 */
export class Retention1767200000000 implements MigrationInterface {
  name = 'Retention1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE rooms ADD COLUMN retention_days integer NULL
        CONSTRAINT rooms_retention_days_positive CHECK (retention_days >= 1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rooms DROP COLUMN retention_days`);
  }
}
