import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `chat_iso` (a timestamp as the API writes it) is declared STABLE, what its body is:
 * `to_char` is STABLE, so PostgreSQL refused to inline the function while it was declared
 * IMMUTABLE and ran every call through the SQL-function executor (about 2.5 µs each, 3 to 4 per
 * message rendered: every send's room event, every history row). Declared STABLE, each call is
 * planned as the `to_char` expression itself. Nothing indexes on it, so nothing needs IMMUTABLE.
 */
export class IsoTimeInlined1767400000000 implements MigrationInterface {
  name = 'IsoTimeInlined1767400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION chat_iso(timestamptz) STABLE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION chat_iso(timestamptz) IMMUTABLE`);
  }
}
