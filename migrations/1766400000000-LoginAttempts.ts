import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-account login back-off (issue 11): one row per login key, shared by every instance.
 *
 * `key` is an HMAC-SHA256 under a server secret of the account id (or of the normalised login
 * when it names no account, or of the account and one of its trusted devices): no username,
 * email or address is stored. `failures` counts attempts since the last success; no attempt
 * under the key is let through before `blocked_until`. Rows the rule has forgotten are purged
 * by `last_attempt_at`.
 */
export class LoginAttempts1766400000000 implements MigrationInterface {
  name = 'LoginAttempts1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_attempts (
        key             bytea PRIMARY KEY CHECK (octet_length(key) = 32),
        failures        integer NOT NULL CHECK (failures >= 0),
        last_attempt_at timestamptz NOT NULL,
        blocked_until   timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX login_attempts_last_attempt_idx ON login_attempts (last_attempt_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_attempts`);
  }
}
