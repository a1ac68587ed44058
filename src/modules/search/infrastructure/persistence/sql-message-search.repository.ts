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
import {
  type HitKey,
  RoomByRoomSearch,
  type RoundRequest,
  type WindowRow,
} from './room-by-room.js';

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

/** `values`, then `fill` up to `slots` entries: one per room slot of a statement. */
const padTo = <T>(slots: number, values: T[], fill: T): T[] => [
  ...values,
  ...Array<T>(slots - values.length).fill(fill),
];

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
 * Every term of a search checked on `alias`.content, the terms as four parameters from $f (see
 * termsFilterValues): a filter of rows read otherwise, never an index condition, so one text
 * serves any terms.
 */
function termsFilter(f: number, alias: string): string {
  const content = `${alias}.content`;
  return `${content} ILIKE ALL ($${f}::text[])
            AND ($${f + 1}::text IS NULL
                 OR to_tsvector('simple'::regconfig, ${content}) @@ plainto_tsquery('simple'::regconfig, $${f + 1}::text))
            AND ${content} LIKE ALL ($${f + 2}::text[])
            AND (cardinality($${f + 3}::text[]) = 0 OR lower(${content}) LIKE ALL ($${f + 3}::text[]))`;
}

/**
 * termsFilter's four parameters: substring patterns (the words' too), the words, short
 * substrings without and with case.
 */
function termsFilterValues(terms: SearchTerm[]): unknown[] {
  const of = (kind: SearchTerm['kind']) => terms.filter((t) => t.kind === kind);
  const short = of('short-substring');
  const words = of('word').map((t) => t.text);
  return [
    // A word is a substring too: a cheap check that spares most rows the tsvector.
    [...of('substring'), ...of('word')].map((t) => likePattern(t.text)),
    words.length > 0 ? words.join(' ') : null,
    short.filter((t) => caseless(t.text)).map((t) => likePattern(t.text)),
    short.filter((t) => !caseless(t.text)).map((t) => likePattern(t.text.toLowerCase())),
  ];
}

/** A timestamp as a search position keeps it: PostgreSQL's microseconds, ISO 8601 UTC. */
const ISO = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

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
 * - `few`: when `recent` did not fill the page (and an index serves a term): the matches of the
 *   whole table through the GIN indexes, up to FEW_MATCHES + 1 of them, then the newest of the
 *   caller's rooms. The matches are a MATERIALIZED set with no LIMIT of its own, so it is planned
 *   as a read of every match (the GIN indexes' bitmap; never a walk in time order or a scan
 *   that a LIMIT makes look cheap, which for terms that are common apart but never together read
 *   the whole table), and read only as far as the LIMIT of the set after it asks (a WITH query
 *   is evaluated as far as it is read). Every row has `total`, how many matches it read (one row with a null `v` when none is
 *   the caller's). Within FEW_MATCHES, that is the page: a rare term, or terms common apart but
 *   rare together (the planner, assuming them independent, read every message for "deploy
 *   coffee" when no message has both). Past it, the term is common somewhere, just not in the
 *   newest messages of the caller's rooms (their busy rooms hold those, and it is a word of their
 *   quiet ones), and the search goes on room by room (roomWindows, roomIndexed): a page then
 *   costs what it reads of each room, not every match. Prepared, one text per kinds of indexed
 *   terms (and cursor), on its generic plan without sequential scans: through the GIN indexes
 *   whatever the planner would guess of the terms. Parameters as `recent`'s, the rooms
 *   unpadded, then one per indexed term, then termsFilter's.
 * - `windowEnd`: where the next window starts, for those (prepared, as `recent`).
 */
export function searchStatements(
  req: SearchRequest,
  rooms: string[],
): {
  recent: SearchStatement;
  few: SearchStatement;
  windowEnd: SearchStatement;
} {
  const { terms } = req;
  const withCursor = req.after !== null;
  const { slots, prepared } = roomSlots(rooms.length);
  const padded = padTo(slots, rooms, NO_ROOM);
  const position = req.after ? [req.after.createdAt, req.after.roomId, req.after.seq] : [];
  const first = withCursor ? 6 : 3;
  const named = (kind: string) =>
    prepared ? `search-${kind}-${slots}${withCursor ? '-after' : ''}` : undefined;

  const f = first + 1;
  const filter = termsFilter(f, 'w');
  const filterValues = termsFilterValues(terms);
  const answer = (from: string) => `SELECT ${view('$1')},
        ${ISO('m.created_at')} AS cursor_ts
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
    few: {
      // Not the pool that plans for the values: it chose a whole-table scan for two words
      // estimated common together (found nowhere), 0.4-0.7 s each in the search scenario.
      name: `search-few-${kindsOf(req.terms)}${withCursor ? '-after' : ''}`,
      text: `WITH matches AS MATERIALIZED (
         SELECT m.room_id, m.seq, m.created_at, m.content FROM messages m
          WHERE m.deleted_at IS NULL AND ${indexedConds(req.terms, f, 'm')}),
     c AS MATERIALIZED (SELECT * FROM matches LIMIT ${FEW_MATCHES + 1})
SELECT t.total, x.v, x.cursor_ts FROM (SELECT count(*)::int AS total FROM c) t
  LEFT JOIN LATERAL (${answer(`(SELECT c.room_id, c.seq, c.created_at FROM c
          WHERE c.room_id = ANY($3::uuid[]) ${after(withCursor, 4, 'c')}
            AND ${termsFilter(f + req.terms.filter(indexed).length, 'c')}
          ORDER BY ${ORDER('c')} LIMIT $2) h`)}
  ORDER BY ${ORDER('h')}) x ON true
 ORDER BY x.cursor_ts DESC, x.v ->> 'roomId' DESC, (x.v ->> 'seq')::bigint DESC`,
      values: [
        ...head,
        rooms,
        ...position,
        ...req.terms.filter(indexed).map(termValue),
        ...filterValues,
      ],
    },
    // The oldest message of a full window (none when the window was not full): where the next
    // page of a search that no index serves goes on. Parameters: $1 the rooms, then the position.
    windowEnd: {
      name: named('window-end'),
      text: `SELECT ${ISO('w.created_at')} AS cursor_ts,
          w.room_id, w.seq::int AS seq
     FROM ${newest('m.room_id, m.seq, m.created_at', slots, 1, withCursor ? 2 : 0)} w
    ORDER BY ${ORDER('w')} OFFSET ${SEARCH_WINDOW - 1} LIMIT 1`,
      values: [padded, ...position],
    },
  };
}

/** The parameters every room-by-room round starts with: $1 rooms, $2/$3 their positions. */
function roundHead(round: RoundRequest, slots: number): unknown[] {
  return [
    padTo(slots, round.rooms, NO_ROOM),
    padTo(
      slots,
      round.positions.map((p) => p.at),
      'infinity',
    ),
    padTo(
      slots,
      round.positions.map((p) => p.seq),
      0,
    ),
  ];
}

/** Room slot i's unread part, below its position ($2, $3); `m` through the room's index. */
const unread = (i: number, a: string) =>
  `${a}.created_at <= ($2::timestamptz[])[${i}]
              AND (${a}.created_at, ${a}.seq) < (($2::timestamptz[])[${i}], ($3::bigint[])[${i}])`;

/**
 * A round of windows (RoomByRoomSearch): in each room slot i, the newest $4[i] unread messages
 * (none when 0), read newest first through messages_search_room_recent_idx, each checked for
 * every term; handed back are the hits (at most $5 a room) and the window's last row, which says
 * where the room goes on. Prepared, one text per slot count: the terms are termsFilter's arrays.
 * Parameters: $1 rooms, $2/$3 positions, $4 windows, $5 hits wanted, then the terms ($6..$9).
 */
export function roomWindows(req: SearchRequest, round: RoundRequest): SearchStatement {
  const { slots, prepared } = roomSlots(round.rooms.length);
  const branch = (i: number) => `(SELECT c.room_id, c.seq, c.created_at, c.hit, c.n FROM (
       SELECT h.*, row_number() OVER w AS n, count(*) FILTER (WHERE h.hit) OVER w AS k FROM (
         SELECT m.room_id, m.seq, m.created_at, (${termsFilter(6, 'm')}) AS hit FROM (
           SELECT m.room_id, m.seq, m.created_at, m.content FROM messages m
            WHERE m.room_id = ($1::uuid[])[${i}] AND m.deleted_at IS NULL AND ${unread(i, 'm')}
            ORDER BY m.created_at DESC, m.seq DESC LIMIT ($4::int[])[${i}]) m) h
       WINDOW w AS (ORDER BY h.created_at DESC, h.seq DESC)) c
     WHERE (c.hit AND c.k <= $5) OR c.n = ($4::int[])[${i}])`;
  const branches = Array.from({ length: slots }, (_, i) => branch(i + 1));
  return {
    name: prepared ? `search-room-windows-${slots}` : undefined,
    text: `SELECT b.room_id AS "roomId", b.seq::int AS seq, ${ISO('b.created_at')} AS at, b.hit, b.n = ($4::int[])[b.slot] AS last
   FROM (${branches.map((b, i) => `SELECT ${i + 1} AS slot, x.* FROM ${b} x`).join('\n   UNION ALL ')}) b`,
    values: [
      ...roundHead(round, slots),
      padTo(slots, round.windows, 0),
      req.limit + 1,
      ...termsFilterValues(req.terms),
    ],
  };
}

/** Whether an index serves the term (a trigram or a word); a short substring has none. */
const indexed = (t: SearchTerm) => t.kind !== 'short-substring';

/**
 * How many matches of the whole table `few` reads at most: a term that rare is cheaper to look up
 * once than room by room (each lookup of a GIN index costs about the same, a few milliseconds for
 * a term with common trigrams, whatever the room).
 */
export const FEW_MATCHES = 500;

/** The indexed terms' kinds in order (s: substring, w: word): what the texts using them differ by. */
const kindsOf = (terms: SearchTerm[]) =>
  terms
    .filter(indexed)
    .map((t) => (t.kind === 'word' ? 'w' : 's'))
    .join('');

/** Every indexed term of `terms` as an index condition on `a`, their values from $first. */
const indexedConds = (terms: SearchTerm[], first: number, a: string) =>
  terms
    .filter(indexed)
    .map((t, i) => termCondition(t, first + i, a))
    .join(' AND ');

/**
 * The round through the search indexes (RoomByRoomSearch), for the rooms with `indexed`, each
 * below its position: each room's matches through its own part of the composite GIN indexes
 * (migration SearchIndexesByRoom: the room as text, which only they index, so the plan cannot
 * read the room through another index instead), so a room costs its matches, never another
 * room's: in room
 * slot i with $4[i], its hits below its position, at most $5. Every indexed term is an index
 * condition, the others are checked on what the index hands over. The OFFSET 0 fence keeps the
 * planner from reading the room in time order instead (it cannot know the term is rare there:
 * that is why the room is here). Prepared, one text per slot count and term kinds. Parameters:
 * $1 rooms, $2/$3 positions, $4 which rooms, $5 hits wanted, the terms from $6, then
 * termsFilter's.
 */
export function roomIndexed(req: SearchRequest, round: RoundRequest): SearchStatement {
  const terms = req.terms.filter(indexed);
  const { slots, prepared } = roomSlots(round.rooms.length);
  const branch = (i: number) => `(SELECT g.room_id, g.seq, g.created_at FROM (
       SELECT m.room_id, m.seq, m.created_at, m.content FROM messages m
        WHERE ($4::boolean[])[${i}] AND m.room_id::text = ($1::text[])[${i}]
          AND m.deleted_at IS NULL
          AND ${indexedConds(terms, 6, 'm')}
       OFFSET 0) g
     WHERE (g.created_at, g.seq) < (($2::timestamptz[])[${i}], ($3::bigint[])[${i}])
       AND ${termsFilter(6 + terms.length, 'g')}
     ORDER BY g.created_at DESC, g.seq DESC LIMIT $5)`;
  const branches = Array.from({ length: slots }, (_, i) => branch(i + 1));
  return {
    name: prepared ? `search-room-indexed-${slots}-${kindsOf(terms)}` : undefined,
    text: `SELECT b.room_id AS "roomId", b.seq::int AS seq, ${ISO('b.created_at')} AS at
   FROM (${branches.join('\n   UNION ALL ')}) b`,
    values: [
      ...roundHead(round, slots),
      padTo(slots, round.indexed, false),
      req.limit + 1,
      ...terms.map(termValue),
      ...termsFilterValues(req.terms),
    ],
  };
}

/** The messages of `hits` as the search answers them, newest first (a hit deleted since is left out). */
export function renderHits(req: SearchRequest, hits: HitKey[]): SearchStatement {
  return {
    name: 'search-render',
    text: `SELECT ${view('$1')}, ${ISO('m.created_at')} AS cursor_ts
   FROM unnest($2::uuid[], $3::bigint[]) h(room_id, seq)
   JOIN messages m ON m.room_id = h.room_id AND m.seq = h.seq AND m.deleted_at IS NULL
   JOIN users u ON u.id = m.user_id
  ORDER BY ${ORDER('m')}`,
    values: [req.userId, hits.map((h) => h.roomId), hits.map((h) => h.seq)],
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
  if (rows.length <= req.limit) {
    const few = await query<SearchRow & { total: number }>(sql.few);
    rows =
      few[0].total <= FEW_MATCHES
        ? few.filter((r) => r.v !== null)
        : await roomByRoom(req, rooms, query);
  }
  const more = rows.length > req.limit;
  const page = rows.slice(0, req.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => r.v),
    next:
      more && last ? { createdAt: last.cursor_ts, roomId: last.v.roomId, seq: last.v.seq } : null,
  };
}

/**
 * The search room by room (RoomByRoomSearch), for when the newest messages of the caller's
 * rooms did not fill the page: rounds of windows, then one round through the rooms' indexes,
 * then the hits rendered.
 */
async function roomByRoom(
  req: SearchRequest,
  rooms: string[],
  query: SearchQuery,
): Promise<SearchRow[]> {
  const search = new RoomByRoomSearch(rooms, req.after, req.limit + 1);
  for (let round = search.nextWindows(); round; round = search.nextWindows())
    search.takeWindows(await query<WindowRow>(roomWindows(req, round)));
  const indexedRound = search.nextIndexed();
  if (indexedRound) search.takeIndexed(await query<HitKey>(roomIndexed(req, indexedRound)));
  const hits = search.hits();
  return hits.length === 0 ? [] : query(renderHits(req, hits));
}

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
