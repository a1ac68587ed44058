import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { coreMigrations } from '../../migrations/index.js';
import { buildDataSourceOptions } from '../../src/infrastructure/database/data-source-options.js';
import {
  GENERIC_PLAN_OPTIONS,
  GenericPlanPool,
} from '../../src/infrastructure/database/generic-plan-pool.js';
import { parseSearchQuery } from '../../src/modules/search/domain/search-query.js';
import {
  RoomByRoomSearch,
  type WindowRow,
} from '../../src/modules/search/infrastructure/persistence/room-by-room.js';
import {
  FEW_MATCHES,
  roomIndexed,
  roomSlots,
  roomWindows,
  runSearch,
  type SearchStatement,
  searchQueryOn,
  searchStatements,
  SqlMessageSearchRepository,
} from '../../src/modules/search/infrastructure/persistence/sql-message-search.repository.js';
import { poolOf } from '../../src/infrastructure/database/prepared.js';
import { createScratchDatabase } from '../support/db.js';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Sort Key'?: string[];
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

const N = 20_000;

/**
 * How the search statement is planned on a table of some size (its own scratch database, so the
 * statistics are its rows'): a rare term through its GIN index, a common one by reading the
 * newest messages in order until the page is full, never every match sorted.
 */
describe('search plans on 20,000 messages', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let ds: DataSource;
  let generic: GenericPlanPool;
  let me: string;
  let rooms: string[];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    ds = new DataSource(buildDataSourceOptions(scratch.url, coreMigrations, 2));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    generic = new GenericPlanPool(scratch.url, 2);
    [{ id: me }] = await ds.query<{ id: string }[]>(
      `INSERT INTO users (username, email, password_hash) VALUES ('me', 'me@x.test', 'x') RETURNING id`,
    );
    const created = await ds.query<{ id: string }[]>(
      `INSERT INTO rooms (name, owner_id, is_private, member_count)
       SELECT 'r' || g, $1, false, 1 FROM generate_series(1, 3) g RETURNING id`,
      [me],
    );
    const ids = created.map((r) => r.id);
    rooms = [...ids].sort();
    await ds.query(
      `INSERT INTO room_members (room_id, user_id, role) SELECT r, $2, 'owner' FROM unnest($1::uuid[]) r`,
      [ids, me],
    );
    // Every message has "common" and "go"; message g alone has "token<g>x"; one in 4 has Chinese.
    // Three rooms of 6,667: each more than a search window, so a room is read through its index.
    await ds.query(
      `INSERT INTO messages (room_id, seq, event_seq, user_id, content, created_at)
       SELECT ($1::uuid[])[1 + (g - 1) % 3], (g - 1) / 3 + 1, (g - 1) / 3 + 1, $2,
              'common words, go token' || g || 'x' || CASE WHEN g % 4 = 0 THEN ' 我们今天去东京' ELSE '' END,
              now() - make_interval(secs => ($3 - g)::double precision)
         FROM generate_series(1, $3::int) g`,
      [ids, me, N],
    );
    await ds.query(`VACUUM (ANALYZE) messages, room_members`);
  });
  afterAll(async () => {
    await generic.onApplicationShutdown();
    await ds.destroy();
    await scratch.drop();
  });

  /** The statements of a first page of q (see searchStatements). */
  const statements = (q: string) =>
    searchStatements(
      { userId: me, terms: parseSearchQuery(q), roomId: null, limit: 50, after: null },
      rooms,
    );
  /** The plan of one of the two statements for q, planned for its values. */
  const plan = async (q: string, which: 'recent' | 'few', analyze = false): Promise<PlanNode[]> => {
    const { text, values } = statements(q)[which];
    const [row] = await ds.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(
      `EXPLAIN (${analyze ? 'ANALYZE, ' : ''}FORMAT JSON) ${text}`,
      values,
    );
    return nodes(row['QUERY PLAN'][0].Plan);
  };
  /** The generic plan of a statement (the one every connection keeps), run: EXPLAIN ANALYZE. */
  const genericPlan = async (statement: SearchStatement): Promise<PlanNode[]> => {
    const runner = ds.createQueryRunner();
    try {
      // As a GenericPlanPool's connections are opened.
      for (const [, name, value] of GENERIC_PLAN_OPTIONS.matchAll(/-c (\w+)=(\w+)/g))
        await runner.query(`SET ${name} = ${value}`);
      await runner.query(`PREPARE generic_plan AS ${statement.text}`);
      // EXECUTE takes literals (EXPLAIN has no bind parameters); each typed by the statement.
      const quote = (x: string) => `'${x.replace(/'/g, "''")}'`;
      const literal = (v: unknown): string =>
        v === null
          ? 'NULL'
          : Array.isArray(v)
            ? quote(`{${v.map((x) => `"${String(x).replace(/["\\]/g, '\\$&')}"`).join(',')}}`)
            : typeof v === 'number'
              ? String(v)
              : quote(v as string);
      const [row] = (await runner.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE generic_plan(${statement.values.map(literal).join(', ')})`,
      )) as { 'QUERY PLAN': [{ Plan: PlanNode }] }[];
      return nodes(row['QUERY PLAN'][0].Plan);
    } finally {
      await runner.query(`DEALLOCATE ALL`).catch(() => undefined);
      await runner.release();
    }
  };
  /**
   * Runs `body` with a room of 30,000 messages newer than every other ('<content> <n>'), the
   * caller a member of it or not; removed after.
   */
  const withBusyRoom = async (
    { member, content }: { member: boolean; content: string },
    body: (busy: string) => Promise<void>,
  ): Promise<void> => {
    const [{ id: busy }] = await ds.query<{ id: string }[]>(
      `INSERT INTO rooms (name, owner_id, is_private, member_count) VALUES ('busy', $1, false, $2) RETURNING id`,
      [me, member ? 1 : 0],
    );
    if (member)
      await ds.query(
        `INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'member')`,
        [busy, me],
      );
    await ds.query(
      `INSERT INTO messages (room_id, seq, event_seq, user_id, content, created_at)
       SELECT $1, g, g, $2, $3 || ' ' || g, now() + make_interval(secs => g)
         FROM generate_series(1, 30000) g`,
      [busy, me, content],
    );
    await ds.query(`ANALYZE messages`);
    try {
      await body(busy);
    } finally {
      await ds.query(`DELETE FROM messages WHERE room_id = $1`, [busy]);
      await ds.query(`DELETE FROM room_members WHERE room_id = $1`, [busy]);
      await ds.query(`DELETE FROM rooms WHERE id = $1`, [busy]);
      await ds.query(`ANALYZE messages`);
    }
  };
  const indexes = (ns: PlanNode[]) => ns.map((n) => n['Index Name']).filter(Boolean);
  /**
   * Full sorts of hits (by time). A message's reactions are sorted in the view, and an
   * incremental sort of rooms merged in time order (ties by room) reads nothing more: both fine.
   */
  const hitSorts = (ns: PlanNode[]) =>
    ns.filter(
      (n) =>
        n['Node Type'] === 'Sort' &&
        (n['Sort Key'] ?? []).some((k) => /^\w+\.created_at/.test(k) && !k.startsWith('mr.')),
    );

  it.each([
    ['token12345x', 'messages_search_trgm_idx'],
    ['东京 token1234x', 'messages_search_trgm_idx'],
  ])('a rare term (%p) is found through %s', async (q, index) => {
    expect(indexes(await plan(q, 'few'))).toContain(index);
  });

  it.each([['common'], ['go'], ['今天'], ['words common']])(
    'a common term (%p) is first looked for in the newest messages, read in order, no sort',
    async (q) => {
      const p = await plan(q, 'recent');
      expect(indexes(p)).toContain('messages_search_room_recent_idx');
      expect(hitSorts(p)).toEqual([]);
    },
  );

  it('the newest-first statement is prepared: one text per room slot count, whatever the terms, and its generic plan still merges the rooms in order', async () => {
    expect(roomSlots(3)).toEqual({ slots: 4, prepared: true });
    expect(roomSlots(1024)).toEqual({ slots: 1024, prepared: true });
    expect(roomSlots(1025)).toEqual({ slots: 1025, prepared: false });
    const common = statements('common go 今天 东京');
    const rare = statements('token12345x');
    expect(common.recent.name).toBe('search-recent-4');
    expect(rare.recent.name).toBe(common.recent.name);
    expect(rare.recent.text).toBe(common.recent.text);
    // Through the GIN indexes on its generic plan, one text per kinds of indexed terms.
    expect(common.few.name).toBe('search-few-sw');
    expect(rare.few.name).toBe('search-few-s');
    // Two words common apart (every message has both here): their matches through the trigram
    // index, never a whole-table scan, whatever the planner guesses of them.
    for (const few of [rare.few, statements('common words').few]) {
      const p = await genericPlan(few);
      expect(indexes(p)).toContain('messages_search_trgm_idx');
      expect(p.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    }
    // The plan every connection keeps after its first executions: generic, for any terms.
    const p = await genericPlan(common.recent);
    expect(indexes(p)).toContain('messages_search_room_recent_idx');
    expect(hitSorts(p)).toEqual([]);
    const read = p
      .filter((n) => n['Index Name'] === 'messages_search_room_recent_idx')
      .reduce((a, n) => a + (n['Actual Rows'] ?? 0), 0);
    expect(read).toBeLessThan(400); // every 4th message has 今天 and 东京: about 200 read
  });

  it("other rooms' messages cost a search nothing: each of the caller's rooms is read only as far as the page needs", async () => {
    // 30,000 newer messages in a room the caller is not in (a busy server around quiet rooms).
    await withBusyRoom({ member: false, content: 'common busy words' }, async () => {
      const p = await plan('common', 'recent', true);
      const read = p
        .filter((n) => n['Index Name'] === 'messages_search_room_recent_idx')
        .reduce((a, n) => a + (n['Actual Rows'] ?? 0), 0);
      // A page of 51 from 3 rooms merged: about 51 rows, never the busy room's 30,000.
      expect(read).toBeGreaterThanOrEqual(51);
      expect(read).toBeLessThan(200);
    });
  });

  it('terms common apart but never together: found (not) through the indexes, not by reading every message', async () => {
    const repo = new SqlMessageSearchRepository(ds, generic);
    const rare = await repo.search({
      userId: me,
      terms: parseSearchQuery('token12345x 今天'),
      roomId: null,
      limit: 50,
      after: null,
    });
    expect(rare.items).toEqual([]); // message 12345 has no Chinese (12345 % 4 != 0)
    const both = await repo.search({
      userId: me,
      terms: parseSearchQuery('token12344x 今天'),
      roomId: null,
      limit: 50,
      after: null,
    });
    expect(both.items.map((m) => m.content)).toEqual([
      'common words, go token12344x 我们今天去东京',
    ]);
  });

  it("a word of the caller's quiet rooms while a busy room of theirs holds the newest messages: found room by room, the busy room through its index, as brute force finds it", async () => {
    // 30,000 newer messages without the word, in a room the caller is in.
    await withBusyRoom({ member: true, content: 'chatter number' }, async (busy) => {
      const mine = [...rooms, busy].sort();
      const statements: string[] = [];
      const run = searchQueryOn(poolOf(ds), generic);
      const search = (after: Parameters<typeof runSearch>[0]['after']) =>
        runSearch(
          { userId: me, terms: parseSearchQuery('common'), roomId: null, limit: 50, after },
          (st) => {
            statements.push(st.name ?? st.text.trim().split(/\s+/).slice(0, 3).join(' '));
            return run(st);
          },
        );
      const bruteForce = (offset: number) =>
        ds
          .query<{ content: string }[]>(
            `SELECT content FROM messages WHERE room_id = ANY($1::uuid[]) AND deleted_at IS NULL
                AND content ILIKE '%common%'
              ORDER BY created_at DESC, room_id DESC, seq DESC LIMIT 50 OFFSET $2`,
            [mine, offset],
          )
          .then((rs) => rs.map((r) => r.content));
      const first = await search(null);
      expect(first.items.map((m) => m.content)).toEqual(await bruteForce(0));
      // The newest 5,000 were the busy room's, 'common' is in more than FEW_MATCHES messages:
      // the search went on room by room, windows then the busy room through its index.
      expect(FEW_MATCHES).toBeLessThan(N);
      expect(statements).toEqual([
        'SELECT array_agg(room_id::text ORDER',
        'search-recent-4',
        'search-few-s',
        'search-room-windows-4',
        'search-room-indexed-4-s',
        'search-render',
      ]);
      const second = await search(first.next);
      expect(second.items.map((m) => m.content)).toEqual(await bruteForce(50));

      // What the busy room cost: one window of the room, and an index probe that read none of
      // its 30,000 messages.
      const plan = new RoomByRoomSearch(mine, null, 51);
      const req = {
        userId: me,
        terms: parseSearchQuery('common'),
        roomId: null,
        limit: 50,
        after: null,
      };
      const windows = plan.nextWindows()!;
      plan.takeWindows(await run<WindowRow>(roomWindows(req, windows)));
      const round = plan.nextIndexed()!;
      expect(round.indexed).toEqual(mine.map((r) => r === busy));
      const p = await genericPlan(roomIndexed(req, round));
      expect(indexes(p)).toContain('messages_search_trgm_idx');
      expect(indexes(p).filter((i) => i !== 'messages_search_trgm_idx')).toEqual([]);
      const heap = p.filter((n) => n['Node Type'] === 'Bitmap Heap Scan');
      expect(heap.reduce((a, n) => a + (n['Actual Rows'] ?? 0), 0)).toBe(0);
    });
  });

  it('answers the same through the repository: newest first, pages without overlap', async () => {
    const repo = new SqlMessageSearchRepository(ds, generic);
    const terms = parseSearchQuery('今天');
    const first = await repo.search({ userId: me, terms, roomId: null, limit: 100, after: null });
    const second = await repo.search({
      userId: me,
      terms,
      roomId: null,
      limit: 100,
      after: first.next,
    });
    const contents = [...first.items, ...second.items].map((m) => m.content);
    expect(contents[0]).toBe(`common words, go token${N}x 我们今天去东京`);
    expect(contents[199]).toBe(`common words, go token${N - 199 * 4}x 我们今天去东京`);
    expect(new Set(contents).size).toBe(200);
  });
});
