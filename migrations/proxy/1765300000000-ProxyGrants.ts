import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The proxy module's tables. A grant lets `proxy_id` send as `grantor_id`, in the listed rooms
 * (`room_ids`, or every room the grantor is in when null) during [starts_at, ends_at). Grants
 * are revoked, never deleted, so the audit trail keeps its references. The audit trail holds no
 * foreign keys to rooms or messages: it outlives a deleted room.
 */
export class ProxyGrants1765300000000 implements MigrationInterface {
  name = 'ProxyGrants1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE proxy_grants (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        grantor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        proxy_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        room_ids   uuid[] NULL,
        starts_at  timestamptz NOT NULL DEFAULT now(),
        ends_at    timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        revoked_at timestamptz NULL,
        CONSTRAINT proxy_grants_not_self CHECK (grantor_id <> proxy_id),
        CONSTRAINT proxy_grants_window CHECK (ends_at IS NULL OR ends_at > starts_at),
        CONSTRAINT proxy_grants_rooms CHECK (
          room_ids IS NULL OR cardinality(room_ids) BETWEEN 1 AND 100)
      )`);
    // The per-send check: live grants of one (proxy, grantor) pair.
    await q.query(
      `CREATE INDEX proxy_grants_lookup_idx ON proxy_grants (proxy_id, grantor_id) WHERE revoked_at IS NULL`,
    );
    // Listing a user's grants, newest first, from either side.
    await q.query(
      `CREATE INDEX proxy_grants_grantor_idx ON proxy_grants (grantor_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX proxy_grants_proxy_idx ON proxy_grants (proxy_id, created_at DESC, id DESC)`,
    );

    await q.query(`
      CREATE TABLE proxy_audit (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        grant_id   uuid NULL REFERENCES proxy_grants (id) ON DELETE SET NULL,
        grantor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        proxy_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        actor_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        action     text NOT NULL CHECK (action IN ('grant.created', 'grant.revoked', 'message.send')),
        via        text NULL,
        room_id    uuid NULL,
        message_id uuid NULL,
        seq        bigint NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(
      `CREATE INDEX proxy_audit_grantor_idx ON proxy_audit (grantor_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX proxy_audit_proxy_idx ON proxy_audit (proxy_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX proxy_audit_grant_idx ON proxy_audit (grant_id, created_at DESC, id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS proxy_audit`);
    await q.query(`DROP TABLE IF EXISTS proxy_grants`);
  }
}
