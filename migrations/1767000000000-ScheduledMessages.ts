import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled messages: a message a member asks to be sent at `send_at`.
 *
 * - `status`: `pending` until a sender on some instance sends it (`sent`, with the message's id
 *   and seq) or gives up on it (`failed`, with a code and a reason: the author left the room...).
 * - A sender claims due rows with FOR UPDATE SKIP LOCKED and a lease (`claimed_by`,
 *   `claimed_until`); a lease that ends because its instance died is taken by another one.
 *   `attempts` counts the claims. A row that was ever claimed is no longer changed by its
 *   author (it may be being sent right now).
 * - The partial index on `send_at` holds the pending rows only: the due scan stays small
 *   whatever the number of sent ones.
 */
export class ScheduledMessages1767000000000 implements MigrationInterface {
  name = 'ScheduledMessages1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE scheduled_messages (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        room_id        uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        content        text NOT NULL,
        thread_root_id uuid,
        send_at        timestamptz NOT NULL,
        status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts       integer NOT NULL DEFAULT 0,
        claimed_by     text,
        claimed_until  timestamptz,
        message_id     uuid,
        message_seq    bigint,
        failure_code   text,
        failure_reason text,
        finished_at    timestamptz,
        created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        CHECK ((status = 'sent') = (message_id IS NOT NULL AND message_seq IS NOT NULL)),
        CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
        CHECK ((status = 'pending') = (finished_at IS NULL))
      )`);
    await q.query(
      `CREATE INDEX scheduled_messages_due_idx ON scheduled_messages (send_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX scheduled_messages_user_idx ON scheduled_messages (user_id, send_at, id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS scheduled_messages`);
  }
}
