#!/usr/bin/env node
// Experiment: what one history page (50 messages) costs PostgreSQL, statement by statement,
// outside the app: the serving backend's own CPU (from /proc) per execution, median of rounds
// that take turns. Variants:
//   - chat_iso IMMUTABLE: the service's statement (every row's reactions by a correlated
//     subquery, the page folded into one row by a window function and string_agg) with chat_iso
//     declared IMMUTABLE as before 5a950f4, so the planner does not inline it;
//   - now: the service's statement as built (chat_iso STABLE, inlined);
//   - rows + page reactions: a rewrite tried in e95b562 and reverted (its rows joined in the
//     service, the page's reactions in one scan): it cost the database no less (1,185 against
//     1,135 µs in the run that decided);
//   - plain rows: the same 51 rows without rendering (bench history's "pg direct").
// On a fresh database migrated by the service itself, 10,000 messages in one room, a reaction
// on every tenth.
//
//   npm run build && node bench/experiments/history-page-sql.mjs [--executions 2000] [--rounds 5]
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createBenchDatabase, startOurs } from '../lib/servers.mjs';
import { OursFixture } from '../lib/ours-setup.mjs';

const arg = (k, d) =>
  process.argv.includes(`--${k}`) ? Number(process.argv[process.argv.indexOf(`--${k}`) + 1]) : d;
const N = arg('executions', 2000);
const ROUNDS = arg('rounds', 5);

const OLD_REACTIONS = `COALESCE((
    SELECT jsonb_agg(jsonb_build_object('emoji', r.emoji, 'count', r.n, 'me', r.me) ORDER BY r.first, r.emoji)
      FROM (SELECT mr.emoji, count(*)::int AS n, COALESCE(bool_or(mr.user_id = $3::uuid), false) AS me,
                   min(mr.created_at) AS first
              FROM message_reactions mr WHERE mr.room_id = m.room_id AND mr.seq = m.seq
             GROUP BY mr.emoji) r), '[]'::jsonb)`;
/** The service's statement (as of 4c0d895 and now) with the given view function. */
const servicePage = (viewFn) => `
  SELECT COALESCE('[' || string_agg(p.v::text, ',' ORDER BY p.seq) FILTER (WHERE p.rn <= $2) || ']', '[]') AS items,
         min(p.seq) FILTER (WHERE p.rn <= $2) AS first_seq,
         max(p.seq) FILTER (WHERE p.rn <= $2) AS last_seq,
         count(*) > $2 AS more,
         COALESCE(bool_or(p.att) FILTER (WHERE p.rn <= $2), false) AS att
    FROM (SELECT m.seq, m.attachments IS NOT NULL AS att,
                 row_number() OVER (ORDER BY m.seq ASC) AS rn,
                 ${viewFn}(m, u.username) || jsonb_build_object('reactions', ${OLD_REACTIONS}) AS v
            FROM messages m JOIN users u ON u.id = m.user_id
           WHERE m.room_id = $1 AND m.seq > $4 ORDER BY m.seq ASC LIMIT $2 + 1) p`;

const ROWS_AND_PAGE_REACTIONS = `
  WITH p AS (SELECT m.seq, m.attachments IS NOT NULL AS att, chat_message_view(m, u.username) AS v
               FROM messages m JOIN users u ON u.id = m.user_id
              WHERE m.room_id = $1 AND m.seq > $4 ORDER BY m.seq ASC LIMIT $2 + 1),
       rx AS (SELECT r.seq, jsonb_agg(jsonb_build_object('emoji', r.emoji, 'count', r.n, 'me', r.me) ORDER BY r.first, r.emoji) AS reactions
                FROM (SELECT mr.seq, mr.emoji, count(*)::int AS n, COALESCE(bool_or(mr.user_id = $3::uuid), false) AS me,
                             min(mr.created_at) AS first
                        FROM message_reactions mr WHERE mr.room_id = $1 AND mr.seq = ANY (ARRAY(SELECT seq FROM p))
                       GROUP BY mr.seq, mr.emoji) r
               GROUP BY r.seq)
  SELECT p.seq, p.att,
         (CASE WHEN rx.reactions IS NULL THEN p.v
               ELSE p.v || jsonb_build_object('reactions', rx.reactions) END)::text AS v
    FROM p LEFT JOIN rx ON rx.seq = p.seq ORDER BY p.seq ASC`;

/** The statement the built service sends for an afterSeq page, caught at its pool. */
async function currentStatement() {
  const { SqlMessageRepository } =
    await import('../../dist/src/modules/messages/infrastructure/persistence/sql-message.repository.js');
  let captured = null;
  const pool = {
    query: async ({ text }) => {
      captured = text;
      return { rows: [{ items: '[]', first_seq: null, last_seq: null, more: false, att: false }] };
    },
  };
  const repo = new SqlMessageRepository({ driver: { master: pool } });
  const nobody = '00000000-0000-4000-8000-000000000000';
  await repo.readPage(nobody, { kind: 'after', seq: 0, limit: 50 }, nobody);
  if (!captured) throw new Error('no statement caught');
  return captured;
}

const db = await createBenchDatabase();
const server = await startOurs(db, { logDir: '/tmp', label: 'history-page-sql' }); // migrates
const c = new pg.Client({ connectionString: db.url });
try {
  const fx = new OursFixture();
  const [owner, other] = await fx.ensureUsers(server.url, 2);
  const [room] = await fx.rooms(server.url, {
    rooms: 1,
    membersPerRoom: 1,
    users: [owner],
    tag: 'hp',
  });
  await server.stop();
  await c.connect();
  await c.query(
    `INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, created_at)
     SELECT $1, g, g, $2, 'history message ' || g || ' ' || repeat('x', 80), 'text', now()
       FROM generate_series(1, 10000) g`,
    [room.id, owner.id],
  );
  await c.query(
    `INSERT INTO message_reactions (room_id, seq, emoji, user_id)
     SELECT $1, g, '👍', $2 FROM generate_series(10, 10000, 10) g`,
    [room.id, other.id],
  );
  await c.query(`UPDATE rooms SET last_seq = 10000, last_event_seq = 10000 WHERE id = $1`, [
    room.id,
  ]);
  await c.query('VACUUM ANALYZE');
  // The old declaration, under another name, for the "chat_iso IMMUTABLE" variant.
  await c.query(`
    CREATE FUNCTION chat_iso_immutable(ts timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$`);
  const viewDef = (
    await c.query(`SELECT pg_get_functiondef('chat_message_view'::regproc) AS d`)
  ).rows[0].d
    .replace('FUNCTION public.chat_message_view(', 'FUNCTION public.chat_message_view_old(')
    .replaceAll('chat_iso(', 'chat_iso_immutable(');
  await c.query(viewDef);

  const variants = {
    'chat_iso IMMUTABLE': servicePage('chat_message_view_old'),
    now: await currentStatement(),
    'rows + page reactions': ROWS_AND_PAGE_REACTIONS,
    'plain rows': `SELECT m.id, m.room_id, m.seq, m.user_id, u.username, m.content, m.type, m.client_msg_id, m.created_at
                     FROM messages m JOIN users u ON u.id = m.user_id
                    WHERE m.room_id = $1 AND m.seq > $4 AND $3::uuid IS NOT NULL ORDER BY m.seq LIMIT $2 + 1`,
  };

  const {
    rows: [{ pid }],
  } = await c.query('SELECT pg_backend_pid() AS pid');
  const backendCpuMs = () => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(x[11]) + Number(x[12])) * 1000) / 100; // clock ticks of 10 ms
  };
  const page = (name) =>
    c.query({
      name,
      text: variants[name],
      values: [room.id, 50, other.id, Math.floor(Math.random() * 9900)],
    });
  const out = {};
  for (let r = 0; r < ROUNDS; r++)
    for (const name of Object.keys(variants)) {
      for (let i = 0; i < 50; i++) await page(name); // warm: the generic plan, the cache
      const c0 = backendCpuMs();
      for (let i = 0; i < N; i++) await page(name);
      (out[name] ??= []).push((1000 * (backendCpuMs() - c0)) / N);
    }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`backend CPU per page of 50 (µs), ${ROUNDS} rounds of ${N} taking turns:`);
  for (const [name, xs] of Object.entries(out))
    console.log(
      `  ${name.padEnd(26)} median ${median(xs).toFixed(0).padStart(5)}   rounds ${xs.map((x) => x.toFixed(0)).join(', ')}`,
    );
} finally {
  await c.end().catch(() => undefined);
  await server.stop().catch(() => undefined);
  await db.drop();
}
