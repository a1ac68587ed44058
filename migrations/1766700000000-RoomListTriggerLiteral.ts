import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The send path's check of the room list's lag, without a function call. A trigger's WHEN is
 * not run through the planner, so chat_room_list_lag() (an SQL function) was executed, and its
 * body parsed and planned, on every send's UPDATE of the room row: about 0.5 ms on the send's
 * p50 in `node bench/compare.mjs --scenarios edits`. The lag is written out here; it must stay
 * equal to chat_room_list_lag(), which the room list query uses (there the planner folds it).
 */
export class RoomListTriggerLiteral1766700000000 implements MigrationInterface {
  name = 'RoomListTriggerLiteral1766700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER rooms_listed ON rooms`);
    await q.query(`
      CREATE TRIGGER rooms_listed BEFORE UPDATE OF last_seq, last_activity_at ON rooms
        FOR EACH ROW
        WHEN (NEW.last_activity_at < OLD.listed_activity_at
              OR NEW.last_activity_at >= OLD.listed_activity_at + interval '10 seconds')
        EXECUTE FUNCTION chat_room_listed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER rooms_listed ON rooms`);
    await q.query(`
      CREATE TRIGGER rooms_listed BEFORE UPDATE OF last_seq, last_activity_at ON rooms
        FOR EACH ROW
        WHEN (NEW.last_activity_at < OLD.listed_activity_at
              OR NEW.last_activity_at >= OLD.listed_activity_at + chat_room_list_lag())
        EXECUTE FUNCTION chat_room_listed()`);
  }
}
