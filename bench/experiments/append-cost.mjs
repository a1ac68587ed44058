#!/usr/bin/env node
// Experiment: what each part of the message append statement costs the database, per message.
// Runs the app's own APPEND_SQL (dist/, so `npm run build` first) against a fresh database with
// the real migrations, as named prepared statements like the app's, closed loop (`--conns` connections, each sending batches of `--batch`
// messages into random rooms of 100), and variants of it taking turns (`--rounds`), each for
// `--seconds`:
//   full       the statement as the app runs it
//   slim-event the message.new event's data without chat_message_view (what building the JSON costs)
//   no-event   no room event row at all (what the log row costs)
//   no-search  the full statement with the three search indexes dropped (what indexing costs)
// Reported per variant: messages/s and database CPU per message (the serving backends' own CPU
// from /proc, and all PostgreSQL processes' CPU, which adds WAL writing, checkpoints, vacuum).
//
//   npm run build && node bench/experiments/append-cost.mjs [--seconds 6] [--rounds 3] [--batch 20] [--conns 4]
//                                                         [--members 2] [--mentions] [--variants full,...] [--explain]
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { APPEND_SQL } from '../../dist/src/modules/messages/infrastructure/persistence/append-batcher.js';

const arg = (k, d) =>
  process.argv.includes(`--${k}`) ? Number(process.argv[process.argv.indexOf(`--${k}`) + 1]) : d;
const seconds = arg('seconds', 6);
const rounds = arg('rounds', 3);
const batch = arg('batch', 20);
const conns = arg('conns', 4);
const only = process.argv.includes('--variants')
  ? process.argv[process.argv.indexOf('--variants') + 1].split(',')
  : null;
const ROOMS = 100;
// Members per room (the first two are the senders); big rooms show what a send costs per member.
const MEMBERS = arg('members', 2);
// Each message mentions a member (one of the shared ones: needs --members 3 or more).
const MENTIONS = process.argv.includes('--mentions');
const admin = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `exp_append_${Date.now()}`;
const dbUrl = admin.replace(/\/[^/]*$/, `/${name}`);

const SEARCH_INDEXES = [
  `CREATE INDEX messages_search_trgm_idx ON messages USING gin (content gin_trgm_ops) WITH (fastupdate = on) WHERE deleted_at IS NULL`,
  `CREATE INDEX messages_search_words_idx ON messages USING gin (to_tsvector('simple'::regconfig, content)) WITH (fastupdate = on) WHERE deleted_at IS NULL`,
  `CREATE INDEX messages_search_room_recent_idx ON messages (room_id, created_at DESC, seq DESC) WHERE deleted_at IS NULL`,
];

const evStart = APPEND_SQL.indexOf('ev AS (');
const variants = {
  full: { sql: APPEND_SQL },
  'slim-event': {
    sql: APPEND_SQL.replace(
      /chat_message_view\(ins::messages, u\.username\) \|\| jsonb_build_object\('eventSeq', n\.event_seq\)/,
      `jsonb_build_object('id', ins.id, 'seq', ins.seq, 'eventSeq', n.event_seq)`,
    ),
  },
  'no-event': {
    // No room event row: the statement answers from `ins`.
    sql:
      APPEND_SQL.slice(0, evStart).replace(/,\s*$/, '') +
      `
  SELECT to_jsonb(ins) AS data, n.event_seq, chat_iso(ins.created_at) AS event_created_at, n.ord
    FROM ins JOIN numbered n ON n.room_id = ins.room_id AND n.seq = ins.seq
   WHERE $9::boolean IS NOT NULL`,
  },
  'no-search': { sql: APPEND_SQL, dropSearch: true },
};
for (const v of Object.keys(variants)) if (only && !only.includes(v)) delete variants[v];

function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}
function postgresPids() {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').startsWith('postgres');
      } catch {
        return false;
      }
    });
}
const allPgTicks = () => postgresPids().reduce((s, p) => s + cpuTicks(p), 0);
const HZ = 100;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const a = new pg.Client({ connectionString: admin });
  await a.connect();
  await a.query(`CREATE DATABASE ${name}`);
  try {
    execFileSync('node', ['dist/src/cli/migrate.js', 'run'], {
      env: { ...process.env, DATABASE_URL: dbUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const db = new pg.Client({ connectionString: dbUrl });
    db.on('error', () => {});
    await db.connect();
    const users = (
      await db.query(
        `INSERT INTO users (username, email, password_hash)
         SELECT 'u' || g, 'u' || g || '@x.test', 'x' FROM generate_series(1, ${ROOMS * 2 + MEMBERS}) g RETURNING id`,
      )
    ).rows.map((r) => r.id);
    const rooms = [];
    for (let i = 0; i < ROOMS; i++) {
      const {
        rows: [r],
      } = await db.query(
        `INSERT INTO rooms (name, owner_id, is_private, member_count) VALUES ($1, $2, false, 2) RETURNING id`,
        [`r${i}`, users[2 * i]],
      );
      await db.query(
        `INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'owner'), ($1, $3, 'member')`,
        [r.id, users[2 * i], users[2 * i + 1]],
      );
      if (MEMBERS > 2)
        await db.query(
          `INSERT INTO room_members (room_id, user_id, role) SELECT $1, u, 'member' FROM unnest($2::uuid[]) u`,
          [r.id, users.slice(ROOMS * 2, ROOMS * 2 + MEMBERS - 2)],
        );
      rooms.push({ id: r.id, users: [users[2 * i], users[2 * i + 1]] });
    }
    const clients = await Promise.all(
      Array.from({ length: conns }, async () => {
        const c = new pg.Client({ connectionString: dbUrl });
        c.on('error', () => {}); // the DROP ... FORCE at the end
        await c.connect();
        const {
          rows: [{ pid }],
        } = await c.query('SELECT pg_backend_pid() AS pid');
        return { c, pid };
      }),
    );
    let k = 0;
    const params = () => {
      const picked = Array.from({ length: batch }, () => {
        const r = rooms[Math.floor(Math.random() * ROOMS)];
        k++;
        // The benchmark's message shape: B~step~worker~k~dueMicros~padding, 100 bytes.
        const content = `B~1~0~${k}~${Date.now() * 1000}~`.padEnd(100, 'x');
        return { room: r.id, user: r.users[k % 2], content };
      });
      return [
        picked.map((p) => p.room),
        picked.map((p) => p.user),
        picked.map((p) => p.content),
        picked.map(() => 'text'),
        picked.map(() => null),
        picked.map(() => null),
        picked.map(() => null),
        picked.map(() => (MENTIONS ? `u${ROOMS * 2 + 1}` : null)),
        false,
        picked.map(() => null),
        picked.map(() => null),
      ];
    };
    if (process.argv.includes('--explain')) {
      // Warm the tables, then show where one batch of the full statement spends its time.
      for (let i = 0; i < 300; i++) await clients[0].c.query(APPEND_SQL, params());
      const plan = await clients[0].c.query(
        `EXPLAIN (ANALYZE, BUFFERS, WAL) ${APPEND_SQL}`,
        params(),
      );
      console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    const results = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
    let searchDropped = false;
    for (let round = 0; round < rounds; round++) {
      for (const [v, spec] of Object.entries(variants)) {
        if (!!spec.dropSearch !== searchDropped) {
          if (spec.dropSearch)
            await db.query(
              `DROP INDEX messages_search_trgm_idx, messages_search_words_idx, messages_search_room_recent_idx`,
            );
          else for (const s of SEARCH_INDEXES) await db.query(s);
          searchDropped = !!spec.dropSearch;
        }
        // Settle: a checkpoint so each slice starts alike.
        await db.query('CHECKPOINT');
        const backends0 = clients.reduce((s, x) => s + cpuTicks(x.pid), 0);
        const all0 = allPgTicks();
        const t0 = performance.now();
        const end = t0 + seconds * 1000;
        let n = 0;
        await Promise.all(
          clients.map(async ({ c }) => {
            while (performance.now() < end) {
              const r = await c.query({ name: v, text: spec.sql, values: params() });
              n += r.rows.length;
            }
          }),
        );
        const wall = (performance.now() - t0) / 1000;
        const backends = (clients.reduce((s, x) => s + cpuTicks(x.pid), 0) - backends0) / HZ;
        const all = (allPgTicks() - all0) / HZ;
        const row = {
          msgPerSec: n / wall,
          backendUsPerMsg: (backends / n) * 1e6,
          allPgUsPerMsg: (all / n) * 1e6,
        };
        results[v].push(row);
        console.log(
          `round ${round + 1} ${v.padEnd(10)} ${row.msgPerSec.toFixed(0).padStart(6)} msg/s  backend ${row.backendUsPerMsg.toFixed(1).padStart(6)} µs/msg  all postgres ${row.allPgUsPerMsg.toFixed(1).padStart(6)} µs/msg`,
        );
      }
    }
    console.log(
      `\nmedians of ${rounds} rounds (batch ${batch}, ${conns} connections, ${seconds} s each):`,
    );
    const base = median(results.full?.map((r) => r.allPgUsPerMsg) ?? [NaN]);
    for (const [v, rs] of Object.entries(results)) {
      const all = median(rs.map((r) => r.allPgUsPerMsg));
      console.log(
        `${v.padEnd(10)} ${median(rs.map((r) => r.msgPerSec))
          .toFixed(0)
          .padStart(6)} msg/s  backend ${median(rs.map((r) => r.backendUsPerMsg))
          .toFixed(1)
          .padStart(
            6,
          )} µs/msg  all postgres ${all.toFixed(1).padStart(6)} µs/msg  (${(all / base).toFixed(2)}x full)`,
      );
    }
    for (const { c } of clients) await c.end();
    await db.end();
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await a.end();
  }
}

await main();
