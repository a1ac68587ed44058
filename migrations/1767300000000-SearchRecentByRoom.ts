import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A search's newest-first window is read room by room: `messages_search_room_recent_idx`
 * (room_id, created_at DESC, seq DESC) replaces `messages_search_recent_idx` (created_at DESC,
 * room_id DESC, seq DESC). The old index served a walk over every room's messages in time order,
 * filtered by the caller's rooms: its cost was everything the server stored since the window's
 * start, so a search in quiet rooms on a busy server read millions of rows. Now each of the
 * caller's rooms is read through its own part of the index and the rooms are merged (see
 * searchSql). The send path keeps the same number of indexes.
 */
export class SearchRecentByRoom1767300000000 implements MigrationInterface {
  name = 'SearchRecentByRoom1767300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX messages_search_room_recent_idx ON messages (room_id, created_at DESC, seq DESC)
        WHERE deleted_at IS NULL`);
    await q.query(`DROP INDEX messages_search_recent_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX messages_search_recent_idx ON messages (created_at DESC, room_id DESC, seq DESC)
        WHERE deleted_at IS NULL`);
    await q.query(`DROP INDEX messages_search_room_recent_idx`);
  }
}
