import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The search's GIN indexes lead with the room (btree_gin): `messages_search_trgm_idx` on
 * (room_id::text, content gin_trgm_ops) and `messages_search_words_idx` on (room_id::text, the
 * 'simple' tsvector), same names, same predicate, same `fastupdate`. The room as text, not uuid:
 * a lookup of one room (`room_id::text = ...`) can then use no other index. With `room_id = ...`
 * the generic plan, which cannot see a term's trigrams, chose the primary key on some tables and
 * read the whole room (test/integration/search-plans.int-spec.ts). A search that the newest messages of
 * the caller's rooms do not answer goes on room by room, and a room whose newest messages lack
 * the term is looked up through its own part of these indexes: it costs that room's matches,
 * never the matches of every room (a user in busy rooms searching for a word of their quiet ones
 * cost PostgreSQL 215 ms a search through the room-less indexes). A term alone still uses them
 * (a GIN index answers a condition on any of its columns). A send adds one entry per index, the
 * room's. The indexes are rebuilt here: on a large table, create them CONCURRENTLY under other
 * names first and rename, if writes must not wait for the build.
 */
export class SearchIndexesByRoom1767500000000 implements MigrationInterface {
  name = 'SearchIndexesByRoom1767500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await q.query(`DROP INDEX messages_search_trgm_idx`);
    await q.query(`DROP INDEX messages_search_words_idx`);
    await q.query(`
      CREATE INDEX messages_search_trgm_idx ON messages
        USING gin ((room_id::text), content gin_trgm_ops)
        WITH (fastupdate = on) WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE INDEX messages_search_words_idx ON messages
        USING gin ((room_id::text), to_tsvector('simple'::regconfig, content))
        WITH (fastupdate = on) WHERE deleted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX messages_search_trgm_idx`);
    await q.query(`DROP INDEX messages_search_words_idx`);
    await q.query(`
      CREATE INDEX messages_search_trgm_idx ON messages USING gin (content gin_trgm_ops)
        WITH (fastupdate = on) WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE INDEX messages_search_words_idx ON messages
        USING gin (to_tsvector('simple'::regconfig, content))
        WITH (fastupdate = on) WHERE deleted_at IS NULL`);
    await q.query(`
      DO $$ BEGIN
        DROP EXTENSION IF EXISTS btree_gin;
      EXCEPTION WHEN dependent_objects_still_exist THEN NULL;
      END $$`);
  }
}
