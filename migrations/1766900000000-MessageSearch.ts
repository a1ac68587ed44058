import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Message search (contract, "Search") on PostgreSQL itself, with indexes of live messages only
 * (a tombstone has no content to find, and leaves them all):
 * - `messages_search_trgm_idx` (pg_trgm): a term of 3 characters or more is found as a
 *   substring (`content ILIKE '%term%'`), in any script. Text without spaces between words
 *   (Chinese, Japanese) has trigrams of its characters under a UTF-8 ctype (C.UTF-8, en_US.UTF-8),
 *   which is what both the embedded server and the machine's server use. Under ctype "C", pg_trgm
 *   makes no trigrams of non-ASCII characters: such a term then reads the whole index and every
 *   row is rechecked by ILIKE, so answers stay right but are slow.
 * - `messages_search_words_idx` (full text, 'simple' configuration: no stemming, no stop
 *   words, the same for every language): a term of 1 or 2 letters is found as a whole word,
 *   which trigrams cannot index.
 * - `messages_search_recent_idx` (btree, the results' order): a search first reads the newest
 *   messages of the caller's rooms in order and stops when its page is full, so a common term
 *   costs a few hundred rows where the GIN indexes would hand over every match to be sorted.
 * - `messages_search_words_stats`: the tsvector's statistics (a partial index's expression has
 *   none the planner uses for the table): without them a short word was guessed at 0.5 % of the
 *   rows, and a word in 20 % of them was read through its index, every match sorted.
 * An edit updates the row, so every index follows the new text at once. fastupdate keeps a send
 * cheap: a new row's entries go to the index's pending list (appended, not merged into the tree),
 * and searches read that list too, so a message is findable as soon as its send commits.
 */
export class MessageSearch1766900000000 implements MigrationInterface {
  name = 'MessageSearch1766900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`
      CREATE INDEX messages_search_trgm_idx ON messages USING gin (content gin_trgm_ops)
        WITH (fastupdate = on) WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE INDEX messages_search_words_idx ON messages
        USING gin (to_tsvector('simple'::regconfig, content))
        WITH (fastupdate = on) WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE INDEX messages_search_recent_idx ON messages (created_at DESC, room_id DESC, seq DESC)
        WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE STATISTICS messages_search_words_stats
        ON (to_tsvector('simple'::regconfig, content)) FROM messages`);
    await q.query(`ANALYZE messages`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP STATISTICS IF EXISTS messages_search_words_stats`);
    await q.query(`DROP INDEX IF EXISTS messages_search_recent_idx`);
    await q.query(`DROP INDEX IF EXISTS messages_search_words_idx`);
    await q.query(`DROP INDEX IF EXISTS messages_search_trgm_idx`);
    // Another schema object may use pg_trgm too (or a DBA installed it first): keep it then.
    await q.query(`
      DO $$ BEGIN
        DROP EXTENSION IF EXISTS pg_trgm;
      EXCEPTION WHEN dependent_objects_still_exist THEN NULL;
      END $$`);
  }
}
