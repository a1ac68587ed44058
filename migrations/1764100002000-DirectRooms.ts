import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Direct rooms. `kind` tells a room ('room') from a direct conversation ('direct'); a direct
 * room's `direct_key` is its members' ids, sorted and joined, under a unique index, so one set
 * of people has one direct room however often and on however many instances it is asked for
 * (INSERT … ON CONFLICT, never read-then-write). The v1 rules "a private room has a password"
 * and "room names are unique" now hold for kind 'room' only: a direct room has neither.
 */
export class DirectRooms1764100002000 implements MigrationInterface {
  name = 'DirectRooms1764100002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE rooms ADD COLUMN kind text NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'direct'))`,
    );
    await q.query(`ALTER TABLE rooms ADD COLUMN direct_key text NULL`);
    await q.query(
      `ALTER TABLE rooms ADD CONSTRAINT rooms_direct_key_kind CHECK ((kind = 'direct') = (direct_key IS NOT NULL))`,
    );
    await q.query(`CREATE UNIQUE INDEX rooms_direct_key_uq ON rooms (direct_key)`);
    await q.query(`ALTER TABLE rooms DROP CONSTRAINT rooms_private_has_password`);
    await q.query(
      `ALTER TABLE rooms ADD CONSTRAINT rooms_private_has_password CHECK (kind = 'direct' OR NOT is_private OR password_hash IS NOT NULL)`,
    );
    await q.query(`DROP INDEX rooms_name_lower_uq`);
    await q.query(
      `CREATE UNIQUE INDEX rooms_name_lower_uq ON rooms (lower(name)) WHERE kind = 'room'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM rooms WHERE kind = 'direct'`);
    await q.query(`DROP INDEX rooms_name_lower_uq`);
    await q.query(`CREATE UNIQUE INDEX rooms_name_lower_uq ON rooms (lower(name))`);
    await q.query(`ALTER TABLE rooms DROP CONSTRAINT rooms_private_has_password`);
    await q.query(
      `ALTER TABLE rooms ADD CONSTRAINT rooms_private_has_password CHECK (NOT is_private OR password_hash IS NOT NULL)`,
    );
    await q.query(`DROP INDEX rooms_direct_key_uq`);
    await q.query(`ALTER TABLE rooms DROP CONSTRAINT rooms_direct_key_kind`);
    await q.query(`ALTER TABLE rooms DROP COLUMN direct_key`);
    await q.query(`ALTER TABLE rooms DROP COLUMN kind`);
  }
}
