// History: 1,000,000 stored messages in one room (seeded with batched INSERT ... SELECT
// generate_series, 100,000 rows per statement), then pages of 50 read over HTTP by afterSeq and
// by beforeSeq at random positions, open loop. Target (ours): p99 <= 5 ms per page. The bare
// ws and Socket.IO baselines keep no history; the reference here is the same SQL sent straight
// to PostgreSQL ("pg direct"), the floor under any HTTP API. The two take turns in 1 s slices
// through the same stretch of time, so the machine's own hiccups (this one is a VM whose CPU
// pressure reads ~10% at rest) land on both alike and their ratio means something.
import http from 'node:http';
import pg from 'pg';
import { startImpl } from '../lib/harness.mjs';
import { request } from '../lib/http-request.mjs';
import { openLoop } from '../lib/turns.mjs';
import { dbBackendsByPid, dbCpuDelta, procStats } from '../lib/servers.mjs';

export const title = 'History';

const SELECT = `SELECT m.id, m.room_id, m.seq, m.user_id, u.username, m.content, m.type, m.client_msg_id, m.created_at
                  FROM messages m JOIN users u ON u.id = m.user_id`;

export async function run(ctx) {
  const q = ctx.quick;
  const nMessages = ctx.opt('history-messages', q ? 20_000 : 1_000_000);
  const rate = ctx.opt('history-rate', q ? 100 : 300);
  const durationMs = q ? 1500 : ctx.opt('history-duration-ms', 20_000);
  const limit = 50;
  const sliceMs = ctx.opt('history-slice-ms', 1000);
  const server = await startImpl(ctx, 'ours');
  const out = { ours: {}, 'pg-direct': {} };
  const client = new pg.Client({ connectionString: ctx.db.url });
  // Named, so the database CPU of its backends can be told from the service's ('chat-backend').
  const pool = new pg.Pool({
    connectionString: ctx.db.url,
    max: 8,
    application_name: 'bench-pg-direct',
  });
  pool.on('error', () => undefined);
  try {
    const [owner] = await ctx.fixture.ensureUsers(server.url, 1);
    const [room] = await ctx.fixture.rooms(server.url, {
      rooms: 1,
      membersPerRoom: 1,
      users: [owner],
      tag: 'history',
    });
    await client.connect();
    ctx.log(`history: seeding ${nMessages.toLocaleString('en-US')} messages`);
    const seed0 = performance.now();
    const batch = 100_000;
    for (let from = 1; from <= nMessages; from += batch) {
      const to = Math.min(nMessages, from + batch - 1);
      await client.query(
        `INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, created_at)
         SELECT $1, g, g, $2, 'history message ' || g || ' ' || repeat('x', 80), 'text',
                now() - make_interval(secs => ($3::bigint - g)::double precision)
           FROM generate_series($4::bigint, $5::bigint) AS g`,
        [room.id, owner.id, nMessages, from, to],
      );
    }
    // Messages only, not their room events: the room's log starts after them.
    await client.query(`UPDATE rooms SET last_seq = $2, last_event_seq = $2 WHERE id = $1`, [
      room.id,
      nMessages,
    ]);
    // VACUUM, not only ANALYZE: a million fresh rows otherwise draw an autovacuum pass (minutes
    // of CPU and I/O) into whichever phase runs first, which measures the seeding, not the reads.
    await client.query(`VACUUM (ANALYZE) messages`);
    const seedMs = performance.now() - seed0;
    ctx.log(`  seeded in ${(seedMs / 1000).toFixed(1)} s`);

    // A fresh keep-alive agent per kind: an idle pooled socket that the server closes
    // (keepAliveTimeout) between kinds would otherwise surface as a spurious ECONNRESET.
    let agent = null;
    const withAgent = async (fn) => {
      agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
      try {
        return await fn();
      } finally {
        agent.destroy();
      }
    };
    const get = async (path) => {
      const body = await request(agent, `${server.url}${path}`, owner.token, 'GET');
      if (body.items.length !== limit) throw new Error(`page of ${body.items.length}`);
      return body;
    };
    const rnd = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));
    const queries = {
      afterSeq: {
        http: () =>
          get(
            `/api/rooms/${room.id}/messages?afterSeq=${rnd(0, nMessages - limit)}&limit=${limit}`,
          ),
        sql: () =>
          pool.query(`${SELECT} WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`, [
            room.id,
            rnd(0, nMessages - limit),
            limit + 1,
          ]),
      },
      beforeSeq: {
        http: () =>
          get(
            `/api/rooms/${room.id}/messages?beforeSeq=${rnd(limit + 1, nMessages + 1)}&limit=${limit}`,
          ),
        sql: () =>
          pool.query(`${SELECT} WHERE m.room_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3`, [
            room.id,
            rnd(limit + 1, nMessages + 1),
            limit + 1,
          ]),
      },
    };
    // BENCH_HISTORY_TRACE=1 prints every page slower than 5 ms (target, second, ms): to see
    // whether a tail is spread out or a few stalls, and whether the reference shares them.
    const onSlow =
      process.env.BENCH_HISTORY_TRACE === '1'
        ? (name, sec, ms) =>
            ms > 5 && ctx.log(`    slow ${name} @${sec.toFixed(2)} s: ${ms.toFixed(1)} ms`)
        : undefined;
    for (const [kind, qy] of Object.entries(queries)) {
      // ours and the same SQL straight to PostgreSQL taking turns (see openLoop), after a
      // warm-up (JIT, connection pools, the index's upper levels in the buffer cache). One
      // keep-alive agent per kind, warm-up included: its sockets are open when measuring starts.
      const targets = { ours: qy.http, 'pg-direct': qy.sql };
      const r = await withAgent(async () => {
        await openLoop({ rate, durationMs: q ? 300 : 2000, sliceMs: q ? 150 : 500, targets });
        const s0 = procStats(server.pid);
        const d0 = await dbBackendsByPid(ctx.db);
        const res = await openLoop({
          rate,
          durationMs,
          sliceMs: q ? 150 : sliceMs,
          targets,
          onSlow,
        });
        const s1 = procStats(server.pid);
        const db = dbCpuDelta(d0, await dbBackendsByPid(ctx.db));
        // Over ours' slices: the server idles through PostgreSQL's.
        res.ours.serverCpuMs = s0 && s1 ? s1.cpuMs - s0.cpuMs : null;
        // Each side's own backends: the service's pool, and pg direct's.
        res.ours.dbCpuMs = db ? (db['chat-backend'] ?? 0) : null;
        res['pg-direct'].dbCpuMs = db ? (db['bench-pg-direct'] ?? 0) : null;
        return res;
      });
      out.ours[kind] = r.ours;
      out['pg-direct'][kind] = r['pg-direct'];
      ctx.log(
        `  ${kind}: ours p99 ${r.ours.latency.p99} ms, pg direct p99 ${r['pg-direct'].latency.p99} ms`,
      );
    }
    out.seed = { messages: nMessages, seedMs };
  } finally {
    await client.end().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await server.stop();
  }
  const rows = [];
  for (const impl of ['ours', 'pg-direct']) {
    for (const kind of ['afterSeq', 'beforeSeq']) {
      const r = out[impl][kind];
      const ours = impl === 'ours';
      rows.push({ impl, metric: `${kind} p50`, value: r.latency.p50, unit: 'ms', better: 'lower' });
      rows.push({
        impl,
        metric: `${kind} p99`,
        value: r.latency.p99,
        unit: 'ms',
        better: 'lower',
        ...(ours ? { target: '<= 5 ms', pass: r.latency.p99 <= 5 && r.errors === 0 } : {}),
      });
      rows.push({
        impl,
        metric: `${kind} p99.9`,
        value: r.latency.p999,
        unit: 'ms',
        better: 'lower',
      });
      rows.push({ impl, metric: `${kind} errors`, value: r.errors + r.dropped, better: 'lower' });
      const cpuMs = r.serverCpuMs;
      if (ours)
        rows.push({
          impl,
          metric: `${kind} server CPU`,
          value: cpuMs === null ? null : (100 * cpuMs) / r.activeMs,
          unit: '%',
        });
      rows.push({
        impl,
        metric: `${kind} database CPU per page`,
        value: r.dbCpuMs === null ? null : r.dbCpuMs / r.requests,
        unit: 'ms',
        better: 'lower',
      });
      if (ours)
        rows.push({
          impl,
          metric: `${kind} server CPU per page`,
          value: cpuMs === null ? null : cpuMs / r.requests,
          unit: 'ms',
        });
      rows.push({
        impl,
        metric: `${kind} cpu pressure (machine)`,
        value: r.cpuPressurePct,
        unit: '%',
      });
      rows.push({ impl, metric: `${kind} loadgen CPU`, value: r.loadgenCpuPct, unit: '%' });
    }
  }
  const groups = [];
  for (const impl of ['ours', 'pg-direct'])
    for (const kind of ['afterSeq', 'beforeSeq']) {
      const l = out[impl][kind].latency;
      groups.push({ impl, label: `${ctx.label(impl)} ${kind}`, values: [l.p50, l.p99, l.p999] });
    }
  return {
    rows,
    notes: [
      `${nMessages.toLocaleString('en-US')} messages in one room (seeded in ${(out.seed.seedMs / 1000).toFixed(1)} s); pages of ${limit} at random positions, ${rate} pages/s open loop for ${durationMs / 1000} s per direction, ours and PostgreSQL direct taking turns in 1 s slices`,
      'ws and Socket.IO keep no history: "pg direct" (the same SQL straight to PostgreSQL, no HTTP) is the reference instead',
    ],
    data: { messages: nMessages, rate, durationMs, limit, per: out },
    chart: {
      title: `History: ${nMessages.toLocaleString('en-US')} messages, pages of ${limit}`,
      subtitle: `${rate} pages/s open loop, random afterSeq / beforeSeq; ours over HTTP vs the same SQL direct`,
      latency: { title: 'page latency', series: ['p50', 'p99', 'p99.9'], groups },
    },
  };
}
