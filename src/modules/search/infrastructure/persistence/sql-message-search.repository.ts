import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Message } from '../../../messages/domain/message.js';
import { view } from '../../../messages/infrastructure/persistence/sql-message.repository.js';
import {
  MessageSearchRepository,
  type SearchHits,
  type SearchRequest,
} from '../../domain/message-search.repository.js';
import type { SearchTerm } from '../../domain/search-query.js';

/** `%`, `_` and the escape character itself are literal in a term. */
const likePattern = (t: string) => `%${t.replace(/[\\%_]/g, '\\$&')}%`;

/** A term without upper and lower case (Chinese, Japanese, digits) is matched byte for byte. */
const caseless = (t: string) => t.toLowerCase() === t.toUpperCase();

/**
 * One term's condition on `m`, its value as parameter `$n`. The expressions are the indexes'
 * own (migration MessageSearch), so the planner can use them:
 * - substring: `content ILIKE` on messages_search_trgm_idx;
 * - word: the 'simple' tsvector on messages_search_words_idx;
 * - short-substring: never ILIKE: a pattern of fewer than 3 characters has no trigram, and the
 *   trigram index would be read whole for nothing. strpos, on lower() only when the term has
 *   case (lower() of every message read costs more than the search itself).
 */
export function termCondition(t: SearchTerm, n: number): string {
  switch (t.kind) {
    case 'substring':
      return `m.content ILIKE $${n}`;
    case 'word':
      return `to_tsvector('simple'::regconfig, m.content) @@ plainto_tsquery('simple'::regconfig, $${n})`;
    case 'short-substring':
      return caseless(t.text)
        ? `strpos(m.content, $${n}) > 0`
        : `strpos(lower(m.content), lower($${n})) > 0`;
  }
}

const termValue = (t: SearchTerm) => (t.kind === 'substring' ? likePattern(t.text) : t.text);

/**
 * The search statement for one shape of request: $1 the caller, $2 the page size (+1), then
 * the room ($3) if given, the keyset position if given, then one parameter per term.
 * Membership is read in the same statement, so a room the caller left is out at once; the
 * `deleted_at IS NULL` is the indexes' predicate (tombstones are in none of them). The order is
 * messages_search_recent_idx's, so the newest matches can be read in order and the scan stop
 * at the page's end (common terms), or the GIN indexes give all matches to sort (rare ones).
 */
export function searchSql(terms: SearchTerm[], withRoom: boolean, withCursor: boolean): string {
  let n = 2;
  const room = withRoom ? `AND rm.room_id = $${++n}::uuid` : '';
  const after = withCursor
    ? `AND (m.created_at, m.room_id, m.seq) < ($${++n}::timestamptz, $${++n}::uuid, $${++n}::bigint)`
    : '';
  const conds = terms.map((t) => termCondition(t, ++n)).join('\n     AND ');
  return `SELECT ${view('$1')},
        to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
   FROM messages m JOIN users u ON u.id = m.user_id
  WHERE m.room_id IN (SELECT rm.room_id FROM room_members rm WHERE rm.user_id = $1::uuid ${room})
    AND m.deleted_at IS NULL
    ${after}
    AND ${conds}
  ORDER BY m.created_at DESC, m.room_id DESC, m.seq DESC
  LIMIT $2`;
}

/**
 * The statement and its values for one request: the repository runs it, and the benchmark
 * sends the very same to PostgreSQL as its reference.
 */
export function searchStatement(req: SearchRequest): { text: string; values: unknown[] } {
  const values: unknown[] = [req.userId, req.limit + 1];
  if (req.roomId) values.push(req.roomId);
  if (req.after) values.push(req.after.createdAt, req.after.roomId, req.after.seq);
  values.push(...req.terms.map(termValue));
  return { text: searchSql(req.terms, req.roomId !== null, req.after !== null), values };
}

@Injectable()
export class SqlMessageSearchRepository extends MessageSearchRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async search(req: SearchRequest): Promise<SearchHits> {
    const { text, values } = searchStatement(req);
    // Not a named prepared statement: how selective a term is decides the plan (a rare word:
    // the index; a common one: the newest messages first), so each search is planned with its
    // own values, never with a generic plan.
    const rows = await this.ds.query<{ v: Message; cursor_ts: string }[]>(text, values);
    const more = rows.length > req.limit;
    const page = rows.slice(0, req.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => r.v),
      next:
        more && last ? { createdAt: last.cursor_ts, roomId: last.v.roomId, seq: last.v.seq } : null,
    };
  }
}
