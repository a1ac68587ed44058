import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { GenericPlanPool } from '../../../../infrastructure/database/generic-plan-pool.js';
import { type PgPool, poolOf } from '../../../../infrastructure/database/prepared.js';
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
export function termCondition(t: SearchTerm, n: number, alias = 'm'): string {
  const content = `${alias}.content`;
  switch (t.kind) {
    case 'substring':
      return `${content} ILIKE $${n}`;
    case 'word':
      return `to_tsvector('simple'::regconfig, ${content}) @@ plainto_tsquery('simple'::regconfig, $${n})`;
    case 'short-substring':
      return caseless(t.text)
        ? `strpos(${content}, $${n}) > 0`
        : `strpos(lower(${content}), lower($${n})) > 0`;
  }
}

const termValue = (t: SearchTerm) => (t.kind === 'substring' ? likePattern(t.text) : t.text);

/**
 * How many of the newest messages of the caller's rooms the first statement reads at most. A
 * term in more than 1 % of them fills a page of 50 there; a rarer one is found through its
 * index by the second.
 */
export const SEARCH_WINDOW = 5000;

const ORDER = (a: string) => `${a}.created_at DESC, ${a}.room_id DESC, ${a}.seq DESC`;

/** The keyset position at $p..$p+2 (none when 0); created_at alone too, where a scan starts. */
const after = (withCursor: boolean, p: number, a: string) =>
  withCursor
    ? `AND ${a}.created_at <= $${p}::timestamptz
         AND (${a}.created_at, ${a}.room_id, ${a}.seq) < ($${p}::timestamptz, $${p + 1}::uuid, $${p + 2}::bigint)`
    : '';

/**
 * The newest SEARCH_WINDOW messages of `slots` rooms (the uuid[] parameter $rooms), after the
 * position at $position (0: none), newest first: one branch per room, read newest first through
 * messages_search_room_recent_idx, merged.
 */
function newest(cols: string, slots: number, rooms: number, position: number): string {
  const branches = Array.from(
    { length: slots },
    (_, i) => `(SELECT ${cols} FROM messages m
            WHERE m.room_id = ($${rooms}::uuid[])[${i + 1}] AND m.deleted_at IS NULL
                  ${after(position > 0, position, 'm')}
            ORDER BY ${ORDER('m')} LIMIT ${SEARCH_WINDOW})`,
  );
  return `(SELECT * FROM (${branches.join('\n          UNION ALL ')}) b
          ORDER BY b.created_at DESC, b.room_id DESC, b.seq DESC LIMIT ${SEARCH_WINDOW})`;
}

/** A room id no room has: it fills the slots a caller's rooms leave free (its branch reads nothing). */
const NO_ROOM = '00000000-0000-0000-0000-000000000000';
/** Above this many rooms the merge is planned for its exact count, each time (see roomSlots). */
export const PREPARED_ROOMS_MAX = 1024;

/**
 * How many room branches the merged statements have for `n` rooms: the next power of two, so a
 * few shapes serve every caller and each is planned once per connection (a named prepared
 * statement). Planning one branch per room was half of what the newest-first statement cost
 * PostgreSQL for 50 rooms (bench/experiments/search-sql.mjs). Above PREPARED_ROOMS_MAX, the
 * exact count, unnamed: so many branches cached on every connection would cost megabytes each.
 */
export function roomSlots(n: number): { slots: number; prepared: boolean } {
  if (n > PREPARED_ROOMS_MAX) return { slots: n, prepared: false };
  let slots = 1;
  while (slots < n) slots *= 2;
  return { slots, prepared: true };
}

/**
 * One statement to run. A named one is a prepared statement (fixed text for that name) run on
 * its generic plan; an unnamed one is planned for its values.
 */
export interface SearchStatement {
  name?: string;
  text: string;
  values: unknown[];
}

/**
 * The statements of one search, for the caller's `rooms` (read just before; see runSearch).
 * `deleted_at IS NULL` is the indexes' predicate (tombstones are in none of them).
 * - `recent`: the newest SEARCH_WINDOW messages of the rooms in order, each term checked on
 *   each, stopping as soon as the page is full: a common term costs a few hundred rows. Each room
 *   is read newest first through messages_search_room_recent_idx and the rooms are merged (a
 *   Merge Append of one branch per room reads no more of a room than it hands on), so what other
 *   rooms receive costs a search nothing. (A walk of one index over all messages in time order,
 *   filtered by room, read every message the server stored since the window's start: a search in
 *   quiet rooms on a busy server read millions of rows.) Its text depends only on the room slots
 *   and the cursor: the terms are arrays by kind (a filter of the window's rows, never an index
 *   condition), so it is a prepared statement. Parameters: $1 the caller, $2 the page size (+1),
 *   $3 the rooms (padded to the slots), the keyset position if given ($4..$6), then the
 *   substring patterns (text[]), the words (text, NULL for none), the short substrings of
 *   caseless scripts as patterns (text[]) and those with case, lower-cased (text[]).
 * - `all`: every match through the GIN indexes (a MATERIALIZED set, so the planner cannot turn
 *   it back into a walk in time order), then the newest. Run only when `recent` did not fill the
 *   page: a rare term, or terms that are common apart but rare together (the planner, assuming
 *   them independent, read every message for "deploy coffee" when no message has both). Never
 *   for terms that no index serves: that would read every message of the caller's rooms.
 *   Unnamed, planned with its values each time: how selective a term is decides the plan.
 *   Parameters as `recent`'s, the rooms unpadded, then one per term.
 * - `windowEnd`: where the next window starts, for those (prepared, as `recent`).
 */
export function searchStatements(
  req: SearchRequest,
  rooms: string[],
): {
  recent: SearchStatement;
  all: SearchStatement;
  windowEnd: SearchStatement;
} {
  const { terms } = req;
  const withCursor = req.after !== null;
  const { slots, prepared } = roomSlots(rooms.length);
  const padded = [...rooms, ...Array<string>(slots - rooms.length).fill(NO_ROOM)];
  const position = req.after ? [req.after.createdAt, req.after.roomId, req.after.seq] : [];
  const first = withCursor ? 6 : 3;
  const named = (kind: string) =>
    prepared ? `search-${kind}-${slots}${withCursor ? '-after' : ''}` : undefined;

  const of = (kind: SearchTerm['kind']) => terms.filter((t) => t.kind === kind);
  const short = of('short-substring');
  const words = of('word').map((t) => t.text);
  const f = first + 1;
  const filter = `w.content ILIKE ALL ($${f}::text[])
            AND ($${f + 1}::text IS NULL
                 OR to_tsvector('simple'::regconfig, w.content) @@ plainto_tsquery('simple'::regconfig, $${f + 1}::text))
            AND w.content LIKE ALL ($${f + 2}::text[])
            AND (cardinality($${f + 3}::text[]) = 0 OR lower(w.content) LIKE ALL ($${f + 3}::text[]))`;
  const filterValues = [
    of('substring').map((t) => likePattern(t.text)),
    words.length > 0 ? words.join(' ') : null,
    short.filter((t) => caseless(t.text)).map((t) => likePattern(t.text)),
    short.filter((t) => !caseless(t.text)).map((t) => likePattern(t.text.toLowerCase())),
  ];

  const conds = terms.map((t, i) => termCondition(t, f + i, 'm')).join('\n       AND ');
  const answer = (from: string) => `SELECT ${view('$1')},
        to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
   FROM ${from}
   JOIN messages m ON m.room_id = h.room_id AND m.seq = h.seq
   JOIN users u ON u.id = m.user_id`;
  const head = [req.userId, req.limit + 1];
  return {
    recent: {
      name: named('recent'),
      text: `${answer(`(SELECT w.room_id, w.seq, w.created_at
           FROM ${newest('m.room_id, m.seq, m.created_at, m.content', slots, 3, withCursor ? 4 : 0)} w
          WHERE ${filter}
          ORDER BY ${ORDER('w')}
          LIMIT $2) h`)}
  ORDER BY ${ORDER('h')}`,
      values: [...head, padded, ...position, ...filterValues],
    },
    all: {
      text: `WITH hits AS MATERIALIZED (
         SELECT m.room_id, m.seq, m.created_at FROM messages m
          WHERE m.room_id = ANY($3::uuid[]) AND m.deleted_at IS NULL ${after(withCursor, 4, 'm')}
            AND ${conds})
${answer(`(SELECT * FROM hits ORDER BY ${ORDER('hits')} LIMIT $2) h`)}
  ORDER BY ${ORDER('h')}`,
      values: [...head, rooms, ...position, ...terms.map(termValue)],
    },
    // The oldest message of a full window (none when the window was not full): where the next
    // page of a search that no index serves goes on. Parameters: $1 the rooms, then the position.
    windowEnd: {
      name: named('window-end'),
      text: `SELECT to_char(w.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts,
          w.room_id, w.seq::int AS seq
     FROM ${newest('m.room_id, m.seq, m.created_at', slots, 1, withCursor ? 2 : 0)} w
    ORDER BY ${ORDER('w')} OFFSET ${SEARCH_WINDOW - 1} LIMIT 1`,
      values: [padded, ...position],
    },
  };
}

export interface SearchRow {
  v: Message;
  cursor_ts: string;
}

/** Runs one statement of a search. */
export type SearchQuery = <R = SearchRow>(statement: SearchStatement) => Promise<R[]>;

/**
 * How the service runs search statements (the benchmark runs its reference the same way): named
 * ones as prepared statements on `generic`, a GenericPlanPool (their text fixes their plan), the
 * others on `planned`, planned for their values.
 */
export const searchQueryOn =
  (planned: PgPool, generic: PgPool): SearchQuery =>
  async <R>({ name, text, values }: SearchStatement) =>
    (await (name ? generic : planned).query({ name, text, values })).rows as R[];

/** The caller's rooms now (a room left is out at once), or the one asked for. */
const ROOMS_SQL = `SELECT array_agg(room_id::text ORDER BY room_id) AS rooms FROM room_members
      WHERE user_id = $1::uuid AND ($2::uuid IS NULL OR room_id = $2::uuid)`;

/**
 * A search, given a way to run a statement: the repository runs it on its DataSource's pool, the
 * benchmark with pg straight, so both run exactly the same statements.
 */
export async function runSearch(req: SearchRequest, query: SearchQuery): Promise<SearchHits> {
  const [{ rooms }] = await query<{ rooms: string[] | null }>({
    text: ROOMS_SQL,
    values: [req.userId, req.roomId],
  });
  if (!rooms || rooms.length === 0) return { items: [], next: null };
  const sql = searchStatements(req, rooms);
  let rows = await query(sql.recent);
  if (rows.length <= req.limit && !req.terms.some(indexed)) {
    // No index can serve these terms (only 1-2 character ones of a script written without
    // spaces): reading every message of the caller's rooms would cost what the rooms hold, so a
    // page reads one window of them. What it found is the page, and the next page starts after
    // the window, if it was full: fewer than `limit` items (even none) with a nextCursor.
    const [end] = await query<{ cursor_ts: string; room_id: string; seq: number }>(sql.windowEnd);
    return {
      items: rows.map((r) => r.v),
      next: end ? { createdAt: end.cursor_ts, roomId: end.room_id, seq: end.seq } : null,
    };
  }
  if (rows.length <= req.limit) rows = await query(sql.all);
  const more = rows.length > req.limit;
  const page = rows.slice(0, req.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => r.v),
    next:
      more && last ? { createdAt: last.cursor_ts, roomId: last.v.roomId, seq: last.v.seq } : null,
  };
}

/** Whether an index serves the term (a trigram or a word); a short substring has none. */
const indexed = (t: SearchTerm) => t.kind !== 'short-substring';

@Injectable()
export class SqlMessageSearchRepository extends MessageSearchRepository {
  private run: SearchQuery | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly generic: GenericPlanPool,
  ) {
    super();
  }

  search(req: SearchRequest): Promise<SearchHits> {
    this.run ??= searchQueryOn(poolOf(this.ds), this.generic);
    return runSearch(req, this.run);
  }
}
