import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Online statistics (online-stats module): every WebSocket connection's open and close, with the
 * instance that held it, and each instance's lease. A session whose instance stops renewing its
 * lease is closed by another instance's sweeper at that instance's last renewal.
 * `instance_id` is deliberately not a foreign key: a swept instance's row is deleted while its
 * sessions stay as history.
 */
export class OnlineStatsSchema1765500000000 implements MigrationInterface {
  name = 'OnlineStatsSchema1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stats_instances (
        instance_id text PRIMARY KEY,
        started_at  timestamptz NOT NULL DEFAULT now(),
        renewed_at  timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX stats_instances_lease_idx ON stats_instances (lease_until)`);

    await q.query(`
      CREATE TABLE ws_sessions (
        id           uuid PRIMARY KEY,
        user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        session_id   uuid NOT NULL,
        instance_id  text NOT NULL,
        opened_at    timestamptz NOT NULL,
        closed_at    timestamptz NULL,
        close_reason text NULL CHECK (close_reason IN ('normal', 'instance_lost')),
        CONSTRAINT ws_sessions_closed_consistent
          CHECK ((closed_at IS NULL) = (close_reason IS NULL)),
        CONSTRAINT ws_sessions_closed_after_open CHECK (closed_at IS NULL OR closed_at >= opened_at)
      )`);
    // Online time of a user over a range.
    await q.query(`CREATE INDEX ws_sessions_user_opened_idx ON ws_sessions (user_id, opened_at)`);
    // Open sessions of an instance (sweep, shutdown) and of a user (presence).
    await q.query(
      `CREATE INDEX ws_sessions_open_instance_idx ON ws_sessions (instance_id) WHERE closed_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX ws_sessions_open_user_idx ON ws_sessions (user_id) WHERE closed_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ws_sessions`);
    await q.query(`DROP TABLE IF EXISTS stats_instances`);
  }
}
