import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invitations into private rooms. An invite is open until it is used (its invitee joins),
 * withdrawn (the owner) or declined (the invitee): closing sets `closed_at` once, so an invite
 * lets one join in. At most one open invite per (room, user).
 */
export class RoomInvites1764100003000 implements MigrationInterface {
  name = 'RoomInvites1764100003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE room_invites (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        room_id       uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        invited_by    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
        closed_at     timestamptz,
        closed_reason text CHECK (closed_reason IN ('used', 'withdrawn', 'declined')),
        CHECK ((closed_at IS NULL) = (closed_reason IS NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX room_invites_open_uq ON room_invites (room_id, user_id) WHERE closed_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX room_invites_user_open_idx ON room_invites (user_id, created_at DESC, id DESC) WHERE closed_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS room_invites`);
  }
}
