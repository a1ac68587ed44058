import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The advanced admin module's tables: the append-only audit log, account sanctions (ban,
 * disable, optionally timed), room mutes, and each instance's open-socket count for the
 * cluster-wide overview. Plus two indexes on core tables that only this module's reads need
 * (a BRIN on messages.created_at for "messages today", cheap to maintain on an append-mostly
 * table; users by creation for the admin user list), so deployments without it pay nothing.
 */
export class AdminSchema1765200000000 implements MigrationInterface {
  name = 'AdminSchema1765200000000';

  async up(q: QueryRunner): Promise<void> {
    // Who did what to whom. actor_id NULL = the system (a timed sanction lifting itself). The
    // foreign key has no ON DELETE action: a user with an audit trail cannot be deleted from
    // under it (and a SET NULL would be an UPDATE, which the trigger below refuses anyway).
    await q.query(`
      CREATE TABLE admin_audit (
        id          bigserial PRIMARY KEY,
        actor_id    uuid NULL REFERENCES users (id),
        action      text NOT NULL,
        target_type text NOT NULL,
        target_id   text NOT NULL,
        reason      text NULL,
        details     jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX admin_audit_actor_idx ON admin_audit (actor_id, id)`);
    await q.query(`CREATE INDEX admin_audit_action_idx ON admin_audit (action, id)`);
    await q.query(`CREATE INDEX admin_audit_created_idx ON admin_audit (created_at)`);
    await q.query(`
      CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        RAISE EXCEPTION 'admin_audit is append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER admin_audit_no_change BEFORE UPDATE OR DELETE ON admin_audit
        FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only()`);
    await q.query(`
      CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON admin_audit
        FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_append_only()`);

    // The sanction behind a banned/disabled status: why, by whom, until when (NULL: until lifted).
    await q.query(`
      CREATE TABLE user_sanctions (
        user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        kind       text NOT NULL CHECK (kind IN ('banned', 'disabled')),
        reason     text NOT NULL,
        until      timestamptz NULL,
        by         uuid NULL REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX user_sanctions_until_idx ON user_sanctions (until) WHERE until IS NOT NULL`,
    );

    // A user muted in a room until a time; the primary key is the per-send lookup.
    await q.query(`
      CREATE TABLE room_mutes (
        room_id    uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        until      timestamptz NOT NULL,
        reason     text NULL,
        by         uuid NULL REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, user_id)
      )`);
    await q.query(`CREATE INDEX room_mutes_until_idx ON room_mutes (until)`);

    // Each instance's open WebSockets, upserted every few seconds; the overview sums fresh rows.
    await q.query(`
      CREATE TABLE admin_instances (
        instance_id text PRIMARY KEY,
        sockets     integer NOT NULL CHECK (sockets >= 0),
        started_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`CREATE INDEX admin_messages_created_brin ON messages USING brin (created_at)`);
    await q.query(`CREATE INDEX admin_users_created_idx ON users (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS admin_users_created_idx`);
    await q.query(`DROP INDEX IF EXISTS admin_messages_created_brin`);
    await q.query(`DROP TABLE IF EXISTS admin_instances`);
    await q.query(`DROP TABLE IF EXISTS room_mutes`);
    await q.query(`DROP TABLE IF EXISTS user_sanctions`);
    await q.query(`DROP TABLE IF EXISTS admin_audit`);
    await q.query(`DROP FUNCTION IF EXISTS admin_audit_append_only()`);
  }
}
