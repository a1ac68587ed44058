import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bots module: bots (each backed by a user row, which posts its messages and holds its
 * room memberships) and the outgoing webhook delivery queue. Only applied when
 * FEATURE_BOT_MESSAGES is on.
 */
export class BotsSchema1765400000000 implements MigrationInterface {
  name = 'BotsSchema1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bots (
        id               uuid PRIMARY KEY,
        user_id          uuid NOT NULL UNIQUE REFERENCES users (id),
        owner_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name             text NOT NULL,
        avatar_url       text,
        webhook_url      text,
        token_hash       text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
        created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        token_rotated_at timestamptz
      )`);
    await q.query(`CREATE INDEX bots_owner_idx ON bots (owner_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX bots_webhook_user_idx ON bots (user_id) WHERE webhook_url IS NOT NULL`,
    );
    // One row per (bot, message): the id is the delivery id receivers deduplicate on.
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        bot_id          uuid NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
        message_id      uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        room_id         uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        payload         jsonb NOT NULL,
        status          text NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until     timestamptz,
        leased_by       text,
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
        delivered_at    timestamptz,
        CONSTRAINT webhook_deliveries_bot_message_uq UNIQUE (bot_id, message_id)
      )`);
    await q.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_bot_idx ON webhook_deliveries (bot_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_message_idx ON webhook_deliveries (message_id)`);
    await q.query(`CREATE INDEX webhook_deliveries_room_idx ON webhook_deliveries (room_id)`);
    await q.query(
      `CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (created_at) WHERE status <> 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_deliveries`);
    await q.query(`DROP TABLE IF EXISTS bots`);
  }
}
