#!/usr/bin/env node
// Experiment: the room list's SQL (GET /api/users/me/rooms) for one user in many rooms, outside
// the app. On a fresh database with the real migrations, seeds the sidebar scenario's data (one
// user in --rooms rooms of --messages messages, mentions in one room in ten, the marker half
// way, last activity --spread-s apart) beside --other-rooms rooms of other users, then prints EXPLAIN (ANALYZE, BUFFERS) of the
// first page and of a later page (by cursor), with the plan the app gets from its prepared
// statements after a few calls (a generic plan) and with a custom one, and times --calls
// executions of each page as a named prepared statement, one at a time. The SQL is the app's own
// (imported from dist), so build first:
//
//   npm run build && taskset -c 0 node bench/experiments/sidebar-sql.mjs [--rooms 1000] [--calls 500] [--spread-s 30]
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { roomListSql } from '../../dist/src/modules/read-state/infrastructure/persistence/sql-read-state.repository.js';
import { Histogram } from '../lib/histogram.mjs';
import { seedRoomsOfTwo } from '../lib/ours-setup.mjs';

const arg = (k, d) =>
  process.argv.includes(`--${k}`) ? Number(process.argv[process.argv.indexOf(`--${k}`) + 1]) : d;
const nRooms = arg('rooms', 1000);
const perRoom = arg('messages', 20);
const otherRooms = arg('other-rooms', 20_000);
const calls = arg('calls', 500);
const spreadS = arg('spread-s', 30);
const limit = 50;
const admin = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `bench_sidebar_${Date.now()}`;

async function seed(c) {
  const {
    rows: [me, other],
  } = await c.query(
    `INSERT INTO users (username, email, password_hash)
     VALUES ('me', 'me@bench.test', 'x'), ('other', 'other@bench.test', 'x') RETURNING id`,
  );
  // Background: rooms of other users (2 members each), so the user's rooms are a small part.
  await c.query(
    `INSERT INTO users (username, email, password_hash)
     SELECT 'u' || g, 'u' || g || '@bench.test', 'x' FROM generate_series(1, 2000) g`,
  );
  await c.query(
    `WITH r AS (INSERT INTO rooms (name, owner_id, is_private, member_count, last_seq)
                SELECT 'bg-' || g, (SELECT id FROM users WHERE username = 'u' || (1 + g % 2000)), false, 2, 5
                  FROM generate_series(1, $1::int) g RETURNING id, owner_id, name)
     INSERT INTO room_members (room_id, user_id, role)
     SELECT r.id, r.owner_id, 'owner' FROM r
     UNION ALL
     SELECT r.id, (SELECT id FROM users WHERE username = 'u' || (1 + (split_part(r.name, '-', 2)::int + 7) % 2000)), 'member' FROM r`,
    [otherRooms],
  );
  const ids = await seedRoomsOfTwo(c, { tag: 'sb', owner: other, member: me, n: nRooms });
  await c.query(
    `INSERT INTO messages (room_id, seq, event_seq, user_id, content, type)
     SELECT r, g, g, $2::uuid, 'sidebar message ' || g || ' @me', 'text'
       FROM unnest($1::uuid[]) r, generate_series(1, $3::int) g`,
    [ids, other.id, perRoom],
  );
  await c.query(
    `INSERT INTO message_mentions (room_id, seq, user_id)
     SELECT r, g, $2::uuid FROM unnest($1::uuid[]) WITH ORDINALITY AS t(r, n), generate_series(1, $3::int) g
      WHERE n % 10 = 0 AND g % 2 = 0`,
    [ids, me.id, perRoom],
  );
  // As sends do, so last_activity_at differs from room to room (messages only: no room events).
  await c.query(
    `UPDATE rooms SET last_seq = $2, last_event_seq = $2, last_activity_at = clock_timestamp()
      WHERE id = ANY($1::uuid[])`,
    [ids, perRoom],
  );
  await c.query(
    `UPDATE room_members SET last_read_seq = $3 WHERE room_id = ANY($1::uuid[]) AND user_id = $2`,
    [ids, me.id, Math.floor(perRoom / 2)],
  );
  // As in the sidebar scenario: the rooms' last activity spread over the past (room n, n x
  // --spread-s seconds ago; 0 leaves them all active within the same second or so).
  if (spreadS > 0)
    await c.query(
      `UPDATE rooms r SET last_activity_at = now() - t.n * $2 * interval '1 second'
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n) WHERE r.id = t.id`,
      [ids, spreadS],
    );
  await c.query('VACUUM (ANALYZE) rooms, room_members, messages, message_mentions, users');
  return me.id;
}

async function explain(c, label, sql, params, mode) {
  await c.query(`SET plan_cache_mode = ${mode}`);
  const stmt = `x_${label.replace(/\W/g, '_')}_${mode}`;
  await c.query(`PREPARE ${stmt} AS ${sql}`);
  const lit = params.map((p) => (typeof p === 'number' ? String(p) : `'${p}'`)).join(', ');
  await c.query(`EXECUTE ${stmt}(${lit})`); // warm
  const { rows } = await c.query(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE ${stmt}(${lit})`);
  console.log(
    `\n--- ${label}, plan_cache_mode=${mode}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`,
  );
  await c.query(`DEALLOCATE ${stmt}`);
  await c.query('RESET plan_cache_mode');
}

async function timed(c, label, sql, params) {
  const h = new Histogram();
  const stmt = `t_${label.replace(/\W/g, '_')}`;
  for (let k = 0; k < calls; k++) {
    const t = performance.now();
    await c.query({ name: stmt, text: sql, values: params });
    h.record((performance.now() - t) * 1000);
  }
  const s = h.summaryMs();
  console.log(
    `${label}: ${calls} calls (named prepared statement), p50 ${s.p50} ms, p99 ${s.p99} ms`,
  );
  return s;
}

async function main() {
  const a = new pg.Client({ connectionString: admin });
  await a.connect();
  await a.query(`CREATE DATABASE ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const url = u.toString();
  const c = new pg.Client({ connectionString: url });
  try {
    execFileSync(process.execPath, ['dist/src/cli/migrate.js', 'run'], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await c.connect();
    console.log(
      `sidebar-sql: one user in ${nRooms} rooms x ${perRoom} messages, ${otherRooms} other rooms`,
    );
    const me = await seed(c);
    const first = roomListSql(false);
    const firstParams = [me, limit + 1];
    const page = await c.query(first, firstParams);
    const last = page.rows[limit - 1];
    const laterParams = [me, limit + 1, last.cursor_ts, last.id];
    const later = roomListSql(true);
    for (const mode of ['force_custom_plan', 'force_generic_plan']) {
      await explain(c, 'first page', first, firstParams, mode);
      await explain(c, 'later page', later, laterParams, mode);
    }
    console.log('');
    await timed(c, 'first page', first, firstParams);
    await timed(c, 'later page', later, laterParams);
    await timed(
      c,
      'baseline (SELECT of one user by primary key)',
      'SELECT * FROM users WHERE id = $1',
      [me],
    );
  } finally {
    await c.end().catch(() => undefined);
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await a.end();
  }
}

main().catch((err) => {
  console.error(err.stack ?? err);
  process.exit(1);
});
