import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Custom profile fields, kept out of the core `users` table: one JSONB row per user in
 * `user_extensions`, created with the user by a trigger (every path that inserts a user, the
 * bots module's included, gets one) and backfilled for existing users. Also the index behind
 * the people search (`GET /api/users?q=`, a case-insensitive username prefix).
 */
export class UserExtensions1764100001000 implements MigrationInterface {
  name = 'UserExtensions1764100001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_extensions (
        user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        data       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION chat_user_extensions_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO user_extensions (user_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
        RETURN NEW;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER users_extensions_row AFTER INSERT ON users
        FOR EACH ROW EXECUTE FUNCTION chat_user_extensions_row()`);
    await q.query(
      `INSERT INTO user_extensions (user_id) SELECT id FROM users ON CONFLICT DO NOTHING`,
    );
    // lower(username) LIKE 'abc%' uses this (the unique index's default opclass does not under
    // a non-C collation).
    await q.query(
      `CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS users_username_prefix_idx`);
    await q.query(`DROP TRIGGER IF EXISTS users_extensions_row ON users`);
    await q.query(`DROP FUNCTION IF EXISTS chat_user_extensions_row()`);
    await q.query(`DROP TABLE IF EXISTS user_extensions`);
  }
}
