// Export: GET /api/rooms/:id/export of a room of 100,000 and of one of 1,000,000 messages
// (--export-small, --export-messages; seeded with batched INSERT ... SELECT generate_series,
// 100,000 rows per statement, each message with its eventSeq), the service running with a
// 64 MB old-generation heap (--export-heap-mb). The export is read to its end over one HTTP
// connection while the server's RSS (/proc) and V8 heap (its /metrics) are sampled every
// 100 ms. Constant memory means the 1,000,000-message export peaks where the 100,000 one does:
// target (ours) peak heap and peak RSS of the large export within 16 MB of the small one's, and
// every line there, in seq order. The baselines keep no history: ours only.
import http from 'node:http';
import pg from 'pg';
import { startImpl } from '../lib/harness.mjs';
import { procStats } from '../lib/servers.mjs';

export const title = 'Export';

const MB = 2 ** 20;

async function seed(client, roomId, userId, n) {
  const batch = 100_000;
  for (let from = 1; from <= n; from += batch) {
    const to = Math.min(n, from + batch - 1);
    await client.query(
      `INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, created_at)
       SELECT $1, g, g, $2, 'export message ' || g || ' ' || repeat('x', 80), 'text',
              now() - make_interval(secs => ($3::bigint - g)::double precision)
         FROM generate_series($4::bigint, $5::bigint) AS g`,
      [roomId, userId, n, from, to],
    );
  }
  // Messages only, not their room events: the room's log starts after them.
  await client.query(`UPDATE rooms SET last_seq = $2, last_event_seq = $2 WHERE id = $1`, [
    roomId,
    n,
  ]);
}

/** The server's V8 heap in use, from its Prometheus metrics (null if not exposed). */
function heapUsed(url) {
  return new Promise((resolve) => {
    http
      .get(`${url}/metrics`, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          const m = /^nodejs_heap_size_used_bytes (\S+)/m.exec(text);
          resolve(m ? Number(m[1]) : null);
        });
      })
      .on('error', () => resolve(null));
  });
}

/** Reads one export to its end, checking every line's seq, sampling the server's memory. */
async function exportOnce(server, room, token, expected) {
  const samples = { rss: [], heap: [] };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = procStats(server.pid);
      if (s) samples.rss.push(s.rss);
      const h = await heapUsed(server.url);
      if (h !== null) samples.heap.push(h);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const t0 = performance.now();
  const result = await new Promise((resolve, reject) => {
    const req = http.get(
      `${server.url}/api/rooms/${room.id}/export`,
      { headers: { authorization: `Bearer ${token}` } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        let bytes = 0;
        let lines = 0;
        let rest = '';
        let outOfOrder = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          bytes += Buffer.byteLength(chunk);
          const parts = (rest + chunk).split('\n');
          rest = parts.pop();
          for (const line of parts) {
            lines++;
            // Cheap order check without parsing 1,000,000 objects: "seq":N as written.
            const m = /"seq": ?(\d+)/.exec(line);
            if (!m || Number(m[1]) !== lines) outOfOrder++;
          }
        });
        res.on('end', () => resolve({ bytes, lines, outOfOrder, trailing: rest.length }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
  const ms = performance.now() - t0;
  sampling = false;
  await sampler;
  const max = (xs) => (xs.length ? Math.max(...xs) : null);
  if (result.lines !== expected || result.outOfOrder !== 0 || result.trailing !== 0)
    throw new Error(
      `export of ${expected}: ${result.lines} lines, ${result.outOfOrder} out of order, ${result.trailing} trailing bytes`,
    );
  return {
    ...result,
    ms,
    perSec: (result.lines * 1000) / ms,
    peakRss: max(samples.rss),
    peakHeap: max(samples.heap),
    samples: samples.rss.length,
  };
}

export async function run(ctx) {
  const q = ctx.quick;
  const nLarge = ctx.opt('export-messages', q ? 50_000 : 1_000_000);
  const nSmall = ctx.opt('export-small', q ? 5_000 : 100_000);
  const heapMb = ctx.opt('export-heap-mb', 64);
  const server = await startImpl(ctx, 'ours', { nodeArgs: [`--max-old-space-size=${heapMb}`] });
  const client = new pg.Client({ connectionString: ctx.db.url });
  const out = {};
  try {
    const [owner] = await ctx.fixture.ensureUsers(server.url, 1);
    const [small, large] = await ctx.fixture.rooms(server.url, {
      rooms: 2,
      membersPerRoom: 1,
      users: [owner],
      tag: 'export',
    });
    await client.connect();
    ctx.log(
      `export: seeding ${nSmall.toLocaleString('en-US')} + ${nLarge.toLocaleString('en-US')} messages`,
    );
    const seed0 = performance.now();
    await seed(client, small.id, owner.id, nSmall);
    await seed(client, large.id, owner.id, nLarge);
    await client.query(`VACUUM (ANALYZE) messages`);
    const seedMs = performance.now() - seed0;
    ctx.log(`  seeded in ${(seedMs / 1000).toFixed(1)} s`);
    const idle = procStats(server.pid);
    out.idle = { rss: idle?.rss ?? null, heap: await heapUsed(server.url) };
    // A short warm-up (JIT, the pool's connections, the prepared statement).
    await exportOnce(server, small, owner.token, nSmall);
    for (const [name, room, n] of [
      ['small', small, nSmall],
      ['large', large, nLarge],
    ]) {
      out[name] = await exportOnce(server, room, owner.token, n);
      ctx.log(
        `  ${n.toLocaleString('en-US')} messages: ${(out[name].ms / 1000).toFixed(1)} s, ${Math.round(out[name].perSec).toLocaleString('en-US')} msg/s, ${(out[name].bytes / MB).toFixed(0)} MB, peak RSS ${(out[name].peakRss / MB).toFixed(0)} MB, peak heap ${(out[name].peakHeap / MB).toFixed(0)} MB`,
      );
    }
    out.seed = { seedMs };
    out.alive = server.exitCode === null;
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
  }
  const growth = (k) =>
    out.large[k] !== null && out.small[k] !== null ? (out.large[k] - out.small[k]) / MB : null;
  const rows = [];
  for (const [name, n] of [
    ['small', nSmall],
    ['large', nLarge],
  ]) {
    const r = out[name];
    const label = n.toLocaleString('en-US');
    rows.push({ impl: 'ours', metric: `${label} export time`, value: r.ms / 1000, unit: 's' });
    rows.push({ impl: 'ours', metric: `${label} messages/s`, value: r.perSec, better: 'higher' });
    rows.push({ impl: 'ours', metric: `${label} peak RSS`, value: r.peakRss / MB, unit: 'MB' });
    rows.push({ impl: 'ours', metric: `${label} peak heap`, value: r.peakHeap / MB, unit: 'MB' });
  }
  const heapGrowth = growth('peakHeap');
  const rssGrowth = growth('peakRss');
  rows.push({
    impl: 'ours',
    metric: 'peak heap growth, large vs small',
    value: heapGrowth,
    unit: 'MB',
    better: 'lower',
    target: '<= 16 MB',
    pass: heapGrowth !== null && heapGrowth <= 16,
  });
  rows.push({
    impl: 'ours',
    metric: 'peak RSS growth, large vs small',
    value: rssGrowth,
    unit: 'MB',
    better: 'lower',
    target: '<= 16 MB',
    pass: rssGrowth !== null && rssGrowth <= 16,
  });
  return {
    rows,
    notes: [
      `${nSmall.toLocaleString('en-US')} and ${nLarge.toLocaleString('en-US')} messages in two rooms (seeded in ${(out.seed.seedMs / 1000).toFixed(1)} s); each exported once to its end over HTTP, every line's seq checked; the service ran with --max-old-space-size=${heapMb}`,
      `server at rest before the exports: RSS ${(out.idle.rss / MB).toFixed(0)} MB, heap ${out.idle.heap === null ? '?' : (out.idle.heap / MB).toFixed(0)} MB; memory sampled every 100 ms (RSS from /proc, heap from /metrics)`,
      'ws and Socket.IO keep no history: ours only',
    ],
    data: { nSmall, nLarge, heapMb, per: out },
  };
}
