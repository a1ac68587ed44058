#!/usr/bin/env node
// Experiment: what each kind of search costs PostgreSQL, outside the app: the statements the
// built service runs (runSearch of dist/, sent on one connection as the service sends them:
// named ones prepared, on their generic plan), per search the serving backend's CPU (from /proc) and the wall time,
// medians of rounds; for --explain the plan of the slowest statement of each kind. The data are
// the search scenario's own (bench/scenarios/search.mjs seedSearch): 1,000,000 messages in
// the user's 50 rooms, as many again in 50 busy rooms the user is not in. --rooms N seeds N
// rooms instead (a user in many rooms pays to plan one branch per room). --busy-member makes the
// user a member of the 50 busy rooms too: their last hour of chatter is then the newest of the
// user's messages, and a term common in the quiet rooms is not in the newest 5,000.
// --before-dir <a built checkout> times that build's statements too, the two taking turns in
// rounds on connections of their own, PostgreSQL's backend CPU per search (from /proc) beside
// the wall time. --url/--user reuse a database seeded by an earlier --keep.
//
//   npm run build && node bench/experiments/search-sql.mjs [--messages 1000000] [--rooms 50]
//     [--executions 20] [--rounds 3] [--before-dir DIR] [--explain] [--keep] [--busy-member]
//     [--url URL --user ID]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createBenchDatabase, startOurs } from '../lib/servers.mjs';
import { OursFixture } from '../lib/ours-setup.mjs';
import { seedSearch } from '../scenarios/search.mjs';

const has = (k) => process.argv.includes(`--${k}`);
const arg = (k, d) => (has(k) ? Number(process.argv[process.argv.indexOf(`--${k}`) + 1]) : d);
const N_MESSAGES = arg('messages', 1_000_000);
const N_ROOMS = arg('rooms', 50);
const EXECUTIONS = arg('executions', 20);
const ROUNDS = arg('rounds', 3);
const str = (k) => (has(k) ? process.argv[process.argv.indexOf(`--${k}`) + 1] : null);

const QUERIES = {
  word: ['deploy', 'coffee', 'server'],
  rare: ['ref4711x', 'ref123457x', 'ref999x'],
  // ~1.1 % of the messages (ref12x, ref120x-ref129x, ref1200x-...): about a page in the window.
  'ref prefix': ['ref12', 'ref34', 'ref56'],
  substring: ['ploy', 'voic', 'olida'],
  'short word': ['go', 'ok'],
  // Words message g holds together (the scenario's: WORDS[(g * 7) % 20], WORDS[(g * 13 + 5) % 20]).
  'two words': ['invoice Zürich', 'question incident'],
  cjk: ['去东京', '讨论预算'],
  'cjk 2 chars': ['今天', '東京'],
  'none: two words': ['release question', 'coffee network', 'review Zürich'],
  'none: cjk 2 chars': ['北京', '大阪'],
};

const load = async (dir) => ({
  // Builds from 2026-12-07 run their generic-plan statements on connections opened with these.
  ...(await import(
    path.resolve(dir, 'dist/src/infrastructure/database/generic-plan-pool.js')
  ).catch(() => ({}))),
  ...(await import(
    path.resolve(
      dir,
      'dist/src/modules/search/infrastructure/persistence/sql-message-search.repository.js',
    )
  )),
  ...(await import(path.resolve(dir, 'dist/src/modules/search/domain/search-query.js'))),
});
const builds = { now: await load('.') };
if (str('before-dir')) builds.before = await load(str('before-dir'));

let db = null;
let me;
if (str('url')) me = { id: str('user') };
else {
  db = await createBenchDatabase();
  const server = await startOurs(db, { logDir: '/tmp', label: 'search-sql' }); // migrates
  try {
    const [user, other] = await new OursFixture().ensureUsers(server.url, 2);
    me = user;
    await server.stop();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const t0 = performance.now();
    const { otherRooms } = await seedSearch(c, {
      me,
      other,
      nMessages: N_MESSAGES,
      nRooms: N_ROOMS,
      nOther: N_MESSAGES,
      otherMinutes: 60,
    });
    if (has('busy-member')) {
      await c.query(
        `INSERT INTO room_members (room_id, user_id, role) SELECT r, $2::uuid, 'member' FROM unnest($1::uuid[]) r`,
        [otherRooms, me.id],
      );
      await c.query(`ANALYZE room_members`);
      console.log(`the user is in the ${otherRooms.length} busy rooms too`);
    }
    await c.end();
    console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await server.stop().catch(() => undefined);
  }
}
const url = str('url') ?? db.url;
const clients = {};
let keep = false;
try {
  const open = async (name, options) => {
    const c = new pg.Client({
      connectionString: url,
      application_name: `search-sql-${name}`,
      options,
    });
    await c.connect();
    c.pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    return c;
  };
  for (const [name, build] of Object.entries(builds)) {
    clients[name] = await open(name);
    // A build with a generic-plan pool: its named statements on a connection of their own.
    if (build.GENERIC_PLAN_OPTIONS)
      clients[name].generic = await open(`${name}-generic`, build.GENERIC_PLAN_OPTIONS);
  }
  const backendCpuMs = (pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(x[11]) + Number(x[12])) * 1000) / 100; // clock ticks of 10 ms
  };
  // Both connections of a build: what PostgreSQL spent serving it.
  const buildCpuMs = (name) =>
    backendCpuMs(clients[name].pid) +
    (clients[name].generic ? backendCpuMs(clients[name].generic.pid) : 0);
  const search = async (name, q, onStatement) => {
    const { runSearch, parseSearchQuery, searchQueryOn } = builds[name];
    const c = clients[name];
    const on = (client) => ({
      query: (st) => client.query(st),
      // Builds of 2026-12-06 set the settings around each statement on a connection they hold.
      connect: async () => ({
        query: (st) => client.query(st),
        release: () => undefined,
        on: () => undefined,
        off: () => undefined,
      }),
    });
    // As the build runs its statements (searchQueryOn: named ones on the generic-plan connection
    // when the build has one); builds before 2026-12-06 hand over (text, values).
    const run = searchQueryOn
      ? searchQueryOn(on(c), on(c.generic ?? c))
      : (text, values) => c.query(text, values).then((r) => r.rows);
    return runSearch(
      { userId: me.id, terms: parseSearchQuery(q), roomId: null, limit: 50, after: null },
      async (statement, oldValues) => {
        const s0 = performance.now();
        const rows = await run(statement, oldValues);
        const text = typeof statement === 'string' ? statement : statement.text;
        onStatement?.(
          text,
          typeof statement === 'string' ? oldValues : statement.values,
          performance.now() - s0,
        );
        return rows;
      },
    );
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `per search: PostgreSQL backend CPU and wall time (ms), medians of ${ROUNDS} rounds of ${EXECUTIONS}, builds taking turns`,
  );
  for (const [kind, qs] of Object.entries(QUERIES)) {
    const out = {};
    for (let r = 0; r < ROUNDS; r++)
      for (const name of Object.keys(builds)) {
        for (let i = 0; i < 6; i++) await search(name, qs[i % qs.length]); // warm: plans, cache
        const c0 = buildCpuMs(name);
        const t0 = performance.now();
        let hits = 0;
        for (let i = 0; i < EXECUTIONS; i++)
          hits += (await search(name, qs[i % qs.length])).items.length;
        const o = (out[name] ??= { cpu: [], wall: [], hits: 0 });
        o.cpu.push((buildCpuMs(name) - c0) / EXECUTIONS);
        o.wall.push((performance.now() - t0) / EXECUTIONS);
        o.hits = hits / EXECUTIONS;
      }
    const line = Object.entries(out)
      .map(
        ([name, o]) =>
          `${name}: cpu ${median(o.cpu).toFixed(1)} wall ${median(o.wall).toFixed(1)} (${o.hits} hits)`,
      )
      .join('   ');
    const ratio = out.before
      ? `   now/before cpu ${(median(out.now.cpu) / median(out.before.cpu)).toFixed(2)}`
      : '';
    console.log(`  ${kind.padEnd(18)} ${line}${ratio}`);
    if (has('explain')) {
      let slowest = null;
      await search('now', qs[0], (text, values, ms) => {
        if (!slowest || ms > slowest.ms) slowest = { text, values, ms };
      });
      const { rows } = await clients.now.query(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${slowest.text}`,
        slowest.values,
      );
      console.log(rows.map((r) => `      ${r['QUERY PLAN']}`).join('\n'));
    }
  }
  if (has('keep') && db) {
    keep = true;
    console.log(`kept: --url ${db.url} --user ${me.id}`);
  }
} finally {
  for (const c of Object.values(clients))
    for (const conn of [c, c.generic].filter(Boolean)) await conn.end().catch(() => undefined);
  if (db && !keep) await db.drop();
}
