import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Core schema: users and sessions, rooms and memberships, messages with their per-room seq. */
export class CoreSchema1764000000000 implements MigrationInterface {
  name = 'CoreSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username      text NOT NULL,
        email         text NOT NULL,
        password_hash text NOT NULL,
        avatar_url    text,
        status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'banned')),
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_username_lower_uq ON users (lower(username))`);
    await q.query(`CREATE UNIQUE INDEX users_email_uq ON users (email)`);

    // A session is one login: the family of refresh tokens that rotate from it.
    await q.query(`
      CREATE TABLE auth_sessions (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at     timestamptz NOT NULL DEFAULT now(),
        last_used_at   timestamptz NOT NULL DEFAULT now(),
        revoked_at     timestamptz,
        revoked_reason text
      )`);
    await q.query(
      `CREATE INDEX auth_sessions_user_live_idx ON auth_sessions (user_id) WHERE revoked_at IS NULL`,
    );
    await q.query(`
      CREATE TABLE refresh_tokens (
        id          uuid PRIMARY KEY,
        session_id  uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
        token_hash  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        used_at     timestamptz,
        replaced_by uuid
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);
    await q.query(`CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at)`);
    await q.query(`
      CREATE TABLE ws_tickets (
        ticket_hash text PRIMARY KEY,
        session_id  uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
        user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        used_at     timestamptz
      )`);
    await q.query(`CREATE INDEX ws_tickets_expires_idx ON ws_tickets (expires_at)`);

    await q.query(`
      CREATE TABLE rooms (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name          text NOT NULL,
        description   text NOT NULL DEFAULT '',
        owner_id      uuid NOT NULL REFERENCES users (id),
        is_private    boolean NOT NULL,
        password_hash text,
        member_count  integer NOT NULL DEFAULT 0,
        last_seq      bigint NOT NULL DEFAULT 0,
        created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT rooms_private_has_password CHECK (NOT is_private OR password_hash IS NOT NULL)
      )`);
    await q.query(`CREATE UNIQUE INDEX rooms_name_lower_uq ON rooms (lower(name))`);
    await q.query(`CREATE INDEX rooms_created_idx ON rooms (created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE room_members (
        room_id   uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role      text NOT NULL CHECK (role IN ('owner', 'member')),
        joined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (room_id, user_id)
      )`);
    await q.query(`CREATE INDEX room_members_user_idx ON room_members (user_id)`);
    await q.query(
      `CREATE INDEX room_members_room_joined_idx ON room_members (room_id, joined_at, user_id)`,
    );
    await q.query(`
      CREATE TABLE room_join_failures (
        room_id   uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        failed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX room_join_failures_idx ON room_join_failures (room_id, user_id, failed_at)`,
    );

    // (room_id, seq) is the primary key: history pages are index range scans, never OFFSET.
    await q.query(`
      CREATE TABLE messages (
        id            uuid NOT NULL DEFAULT gen_random_uuid(),
        room_id       uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq           bigint NOT NULL CHECK (seq > 0),
        user_id       uuid NOT NULL REFERENCES users (id),
        content       text NOT NULL,
        type          text NOT NULL DEFAULT 'text' CHECK (type IN ('text', 'system', 'bot')),
        client_msg_id text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (room_id, seq)
      )`);
    await q.query(`CREATE UNIQUE INDEX messages_id_uq ON messages (id)`);
    // Idempotent sends: one message per (sender, clientMsgId).
    await q.query(
      `CREATE UNIQUE INDEX messages_client_msg_uq ON messages (user_id, client_msg_id) WHERE client_msg_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'messages',
      'room_join_failures',
      'room_members',
      'rooms',
      'ws_tickets',
      'refresh_tokens',
      'auth_sessions',
      'users',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
