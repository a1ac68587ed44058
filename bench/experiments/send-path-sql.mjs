#!/usr/bin/env node
// Experiment: what one persisted send costs in database round trips, outside the app.
// Replays the send path's SQL as the app runs it today (room + membership, idempotency
// pre-check, BEGIN, the seq-and-insert statement, COMMIT: 5 round trips and a pool checkout)
// against one proposed statement that checks membership, takes the seq and inserts in one
// round trip (no explicit transaction: one statement is atomic; a duplicate clientMsgId makes
// the INSERT fail, which undoes the seq increment too, so seqs stay gapless).
// A third variant batches the sends that are waiting at the same moment (up to 100, at most 4
// batches in flight) into one statement: one round trip and one commit (WAL flush) per batch.
// Closed loop with a fixed number of sends in flight, same pool size as the app (20), on a
// fresh database with the real migrations (the statements predate the room event log: they
// write no room events, and a message's event_seq is its seq). Run pinned like the server:
//
//   npm run build && taskset -c 0 node bench/experiments/send-path-sql.mjs [--seconds 8] [--inflight 64]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Histogram } from '../lib/histogram.mjs';

const arg = (k, d) =>
  process.argv.includes(`--${k}`) ? Number(process.argv[process.argv.indexOf(`--${k}`) + 1]) : d;
const seconds = arg('seconds', 8);
const inflight = arg('inflight', 64);
const ROOMS = 100;
const admin = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `bench_sql_${Date.now()}`;

const CURRENT_ROOM = `SELECT r.id, r.name, r.description, r.owner_id, r.is_private, r.password_hash, r.member_count, r.last_seq, r.created_at, r.updated_at,
       m.role AS m_role, m.joined_at AS m_joined_at, u.username AS m_username
  FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = $2 LEFT JOIN users u ON u.id = m.user_id
 WHERE r.id = $1`;
const CURRENT_PRECHECK = `SELECT m.id, m.room_id, m.seq, m.user_id, u.username, m.content, m.type, m.client_msg_id, m.created_at
  FROM messages m JOIN users u ON u.id = m.user_id WHERE m.user_id = $1 AND m.client_msg_id = $2`;
const CURRENT_APPEND = `
  WITH s AS (UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq),
       m AS (INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, client_msg_id)
             SELECT $1, s.last_seq, s.last_seq, $2, $3, $4, $5 FROM s
             ON CONFLICT (user_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING
             RETURNING id, room_id, seq, user_id, content, type, client_msg_id, created_at)
  SELECT m.*, (SELECT username FROM users WHERE id = $2) AS username FROM m`;
const ONE_STATEMENT = `
  WITH s AS (UPDATE rooms r SET last_seq = r.last_seq + 1
              WHERE r.id = $1 AND EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = $1 AND rm.user_id = $2)
              RETURNING r.last_seq),
       m AS (INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, client_msg_id)
             SELECT $1, s.last_seq, s.last_seq, $2, $3, $4, $5 FROM s
             RETURNING id, room_id, seq, user_id, content, type, client_msg_id, created_at)
  SELECT m.*, (SELECT username FROM users WHERE id = $2) AS username FROM m`;

// Many sends in one statement: membership checked per row, each room's seq advanced once by its
// number of rows (rooms locked in id order, so concurrent batches cannot deadlock), seqs handed
// out in arrival order.
const BATCH = `
  WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])
                  WITH ORDINALITY AS t(room_id, user_id, content, client_msg_id, ord)),
       allowed AS (
         SELECT i.* FROM input i
          WHERE EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = i.room_id AND rm.user_id = i.user_id)),
       locked AS (
         SELECT r.id FROM rooms r WHERE r.id IN (SELECT room_id FROM allowed) ORDER BY r.id FOR NO KEY UPDATE),
       counts AS (
         SELECT a.room_id, count(*) AS n FROM allowed a JOIN locked l ON l.id = a.room_id GROUP BY a.room_id),
       s AS (
         UPDATE rooms r SET last_seq = r.last_seq + c.n FROM counts c WHERE r.id = c.room_id
         RETURNING r.id, r.last_seq AS new_last, c.n),
       numbered AS (
         SELECT a.*, s.new_last - s.n + row_number() OVER (PARTITION BY a.room_id ORDER BY a.ord) AS seq
           FROM allowed a JOIN s ON s.id = a.room_id)
  INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, client_msg_id)
  SELECT room_id, seq, seq, user_id, content, 'text', client_msg_id FROM numbered
  RETURNING id, room_id, seq, user_id, client_msg_id, created_at`;

/** Collects sends made in the same turn of the event loop into batches of up to `max`. */
function batcher(pool, { max = 100, maxInFlight = 4 } = {}) {
  let queue = [];
  let inFlight = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    while (queue.length && inFlight < maxInFlight) {
      const batch = queue.slice(0, max);
      queue = queue.slice(max);
      inFlight++;
      pool
        .query(BATCH, [
          batch.map((b) => b.roomId),
          batch.map((b) => b.userId),
          batch.map((b) => b.content),
          batch.map((b) => b.cmid),
        ])
        .then(
          (r) => {
            const byCmid = new Map(r.rows.map((row) => [row.client_msg_id, row]));
            for (const b of batch) {
              if (byCmid.has(b.cmid)) b.resolve(byCmid.get(b.cmid));
              else b.reject(new Error('not stored'));
            }
          },
          (err) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          inFlight--;
          if (queue.length && !scheduled) flush();
        });
    }
  };
  return (roomId, userId, content, cmid) =>
    new Promise((resolve, reject) => {
      queue.push({ roomId, userId, content, cmid, resolve, reject });
      if (!scheduled && inFlight < maxInFlight) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

async function main() {
  const a = new pg.Client({ connectionString: admin });
  await a.connect();
  await a.query(`CREATE DATABASE ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  pool.on('error', () => undefined); // idle clients cut off by DROP DATABASE ... WITH (FORCE)
  try {
    execFileSync(process.execPath, ['dist/src/cli/migrate.js', 'run'], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    const users = [];
    const rooms = [];
    for (let r = 0; r < ROOMS; r++) {
      const {
        rows: [user],
      } = await pool.query(
        `INSERT INTO users (username, email, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
        [`sql${r}`, `sql${r}@bench.test`],
      );
      const {
        rows: [room],
      } = await pool.query(
        `INSERT INTO rooms (name, owner_id, is_private, member_count) VALUES ($1, $2, false, 1) RETURNING id`,
        [`sql-room-${r}`, user.id],
      );
      await pool.query(
        `INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'owner')`,
        [room.id, user.id],
      );
      users.push(user.id);
      rooms.push(room.id);
    }
    const content = 'x'.repeat(100);
    const variants = {
      'current (5 round trips + checkout)': async (k) => {
        const roomId = rooms[k % ROOMS];
        const userId = users[k % ROOMS];
        const cmid = randomUUID();
        await pool.query(CURRENT_ROOM, [roomId, userId]);
        await pool.query(CURRENT_PRECHECK, [userId, cmid]);
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          await c.query(CURRENT_APPEND, [roomId, userId, content, 'text', cmid]);
          await c.query('COMMIT');
        } finally {
          c.release();
        }
      },
      'one statement (1 round trip)': async (k) => {
        const roomId = rooms[k % ROOMS];
        const userId = users[k % ROOMS];
        const r = await pool.query(ONE_STATEMENT, [roomId, userId, content, 'text', randomUUID()]);
        if (r.rows.length !== 1) throw new Error('not stored');
      },
    };
    const batched = batcher(pool);
    variants['batched (1 round trip per batch)'] = async (k) => {
      await batched(rooms[k % ROOMS], users[k % ROOMS], content, randomUUID());
    };
    const results = {};
    for (const round of [1, 2]) {
      for (const [label, send] of Object.entries(variants)) {
        const h = new Histogram();
        let done = 0;
        let k = 0;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const end = t0 + seconds * 1000;
        await Promise.all(
          Array.from({ length: inflight }, async () => {
            while (performance.now() < end) {
              const t = performance.now();
              await send(k++);
              h.record((performance.now() - t) * 1000);
              done++;
            }
          }),
        );
        const wall = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        const s = h.summaryMs();
        const line = {
          sendsPerSec: Math.round(done / (wall / 1000)),
          p50: s.p50,
          p99: s.p99,
          clientCpuMsPerSend: +((cpu.user + cpu.system) / 1000 / done).toFixed(3),
        };
        (results[label] ??= []).push(line);
        console.log(
          `round ${round}  ${label.padEnd(36)} ${String(line.sendsPerSec).padStart(6)} sends/s  p50 ${s.p50} ms  p99 ${s.p99} ms  client CPU ${line.clientCpuMsPerSend} ms/send`,
        );
      }
    }
    // Every variant must leave each room's seqs gapless: 1..last_seq, each once.
    const {
      rows: [check],
    } = await pool.query(
      `SELECT count(*)::int AS bad FROM rooms r
         JOIN (SELECT room_id, count(*) AS n, count(DISTINCT seq) AS d, max(seq) AS mx FROM messages GROUP BY room_id) c ON c.room_id = r.id
        WHERE NOT (c.n = c.d AND c.mx = c.n AND r.last_seq = c.n)`,
    );
    console.log(
      `seq check: ${check.bad === 0 ? 'every room gapless (1..last_seq, each once)' : `${check.bad} rooms with gaps or repeats`}`,
    );
    console.log(
      JSON.stringify({ seconds, inflight, rooms: ROOMS, results, seqCheckBadRooms: check.bad }),
    );
  } finally {
    await pool.end();
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await a.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
