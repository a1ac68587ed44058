import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The room list (GET /api/users/me/rooms) by index, whatever the number of rooms a user is in.
 *
 * The list is ordered by `rooms.last_activity_at`, which lives on the room, so a page had to
 * join all of the user's memberships to their rooms and sort them (1,000 probes for a user in
 * 1,000 rooms, for 50 rows). Copying the time into every membership on every send would make a
 * send write one row per member. Instead each membership carries `room_listed_at`, a copy of its
 * room's activity time that may lag behind it by less than `chat_room_list_lag()` (10 s):
 *
 *   room_listed_at <= rooms.last_activity_at < room_listed_at + lag
 *
 * `rooms.listed_activity_at` is the value last copied; a room's members are rewritten only when
 * its activity leaves that window (at most once per lag per room, however busy it is), by a
 * trigger on the room row the send updates anyway. New memberships take the room's value.
 * With the index (user_id, room_listed_at DESC, room_id) a page is two range scans of it (see
 * roomListSql): the top of the user's rooms by the copy, then the rooms whose copy is within
 * the lag of that top's lowest, sorted by the exact time. room_members_user_idx (user_id) is a
 * prefix of the new index and goes.
 */
export class RoomListIndex1766500000000 implements MigrationInterface {
  name = 'RoomListIndex1766500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION chat_room_list_lag() RETURNS interval LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT interval '10 seconds' $$`);
    await q.query(`ALTER TABLE rooms ADD COLUMN listed_activity_at timestamptz`);
    await q.query(`UPDATE rooms SET listed_activity_at = last_activity_at`);
    await q.query(`ALTER TABLE rooms ALTER COLUMN listed_activity_at SET NOT NULL`);
    await q.query(`ALTER TABLE room_members ADD COLUMN room_listed_at timestamptz`);
    await q.query(
      `UPDATE room_members m SET room_listed_at = r.listed_activity_at FROM rooms r WHERE r.id = m.room_id`,
    );
    await q.query(`ALTER TABLE room_members ALTER COLUMN room_listed_at SET NOT NULL`);

    // A new room: its members start at its activity time (the members come after the room).
    await q.query(`
      CREATE FUNCTION chat_room_listed_new() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        NEW.listed_activity_at := NEW.last_activity_at;
        RETURN NEW;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER rooms_listed_new BEFORE INSERT ON rooms
        FOR EACH ROW EXECUTE FUNCTION chat_room_listed_new()`);
    // Activity outside the window: copy it to every member. Fires after rooms_activity (names
    // in order), so NEW.last_activity_at is the new time; the WHEN keeps the function off
    // every send but the one per lag that moves the copy.
    await q.query(`
      CREATE FUNCTION chat_room_listed() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        NEW.listed_activity_at := NEW.last_activity_at;
        UPDATE room_members SET room_listed_at = NEW.last_activity_at WHERE room_id = NEW.id;
        RETURN NEW;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER rooms_listed BEFORE UPDATE OF last_seq, last_activity_at ON rooms
        FOR EACH ROW
        WHEN (NEW.last_activity_at < OLD.listed_activity_at
              OR NEW.last_activity_at >= OLD.listed_activity_at + chat_room_list_lag())
        EXECUTE FUNCTION chat_room_listed()`);
    // A new member: the room's copy. Joins lock the room row first, so no copy moves meanwhile.
    await q.query(`
      CREATE FUNCTION chat_member_listed() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        SELECT r.listed_activity_at INTO NEW.room_listed_at FROM rooms r WHERE r.id = NEW.room_id;
        RETURN NEW;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER room_members_listed BEFORE INSERT ON room_members
        FOR EACH ROW EXECUTE FUNCTION chat_member_listed()`);

    await q.query(
      `CREATE INDEX room_members_user_listed_idx ON room_members (user_id, room_listed_at DESC, room_id)`,
    );
    await q.query(`DROP INDEX room_members_user_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX room_members_user_idx ON room_members (user_id)`);
    await q.query(`DROP INDEX room_members_user_listed_idx`);
    await q.query(`DROP TRIGGER room_members_listed ON room_members`);
    await q.query(`DROP FUNCTION chat_member_listed()`);
    await q.query(`DROP TRIGGER rooms_listed ON rooms`);
    await q.query(`DROP FUNCTION chat_room_listed()`);
    await q.query(`DROP TRIGGER rooms_listed_new ON rooms`);
    await q.query(`DROP FUNCTION chat_room_listed_new()`);
    await q.query(`ALTER TABLE room_members DROP COLUMN room_listed_at`);
    await q.query(`ALTER TABLE rooms DROP COLUMN listed_activity_at`);
    await q.query(`DROP FUNCTION chat_room_list_lag()`);
  }
}
