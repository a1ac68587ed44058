// Idle connections: n authenticated sockets held open; memory per socket = server RSS delta / n.
// Target (ours): 20,000 held with no error, <= 12 KB per socket.
import { connect, protoOf, sleep, startImpl, withPool } from '../lib/harness.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { hardNoFile } from '../lib/servers.mjs';

export const title = 'Idle connections';

export async function run(ctx) {
  const q = ctx.quick;
  const wanted = ctx.opt('idle-n', q ? 300 : 20_000);
  // The server holds one descriptor per socket plus ~100 of its own (pool, listeners, stdio).
  const limit = hardNoFile() - 150;
  const n = Math.min(wanted, limit);
  const notes = [];
  if (n < wanted)
    notes.push(
      `capped at ${n} sockets: this machine's hard RLIMIT_NOFILE is ${hardNoFile()} per process and cannot be raised here; the server needs one descriptor per socket`,
    );
  const workers = q ? 1 : 4;
  const settleMs = q ? 1000 : 4000;
  const holdMs = q ? 1000 : ctx.opt('idle-hold-ms', 20_000);
  const nUsers = q ? 10 : 200;
  const per = {};
  for (const impl of ctx.impls) {
    ctx.log(`idle: ${impl}, ${n} sockets`);
    const server = await startImpl(ctx, impl);
    try {
      let tokens = ['bench'];
      if (impl === 'ours')
        tokens = (await ctx.fixture.ensureUsers(server.url, nUsers)).map((u) => u.token);
      await sleep(settleMs);
      const before = server.stats();
      per[impl] = await withPool(
        workers,
        protoOf(ctx, impl),
        impl === 'socketio' ? server.url : server.wsUrl,
        async (pool) => {
          const conns = Array.from({ length: n }, (_, i) => ({
            worker: i % workers,
            token: tokens[i % tokens.length],
            rooms: [],
          }));
          const mark = await pool.mark();
          const c = await connect(pool, conns, { subscribe: false, concurrency: 200 });
          const cpu = await pool.cpuSince(mark);
          await sleep(settleMs);
          const held = server.stats();
          await sleep(holdMs);
          const rt = await pool.all('roundTrip', {
            sample: Math.ceil(200 / workers),
            timeoutMs: 10000,
          });
          const status = await pool.all('status');
          const after = server.stats();
          const rtt = new Histogram();
          for (const r of rt) rtt.merge(r.rtt);
          return {
            sockets: n,
            opened: c.opened,
            failed: c.failed,
            connectMs: c.openMs,
            connectsPerSec: c.opened / (c.openMs / 1000),
            connectLoadgenCpuPct: cpu.pct,
            open: status.reduce((a, s) => a + s.open, 0),
            closes: status.reduce((a, s) => a + s.closes, 0),
            roundTrips: rt.reduce((a, r) => a + r.tried, 0),
            roundTripFailures: rt.reduce((a, r) => a + r.failed, 0),
            roundTrip: rtt.summaryMs(),
            rssBeforeMb: before.rss / 1048576,
            rssHeldMb: held.rss / 1048576,
            rssAfterHoldMb: after.rss / 1048576,
            bytesPerSocket: (held.rss - before.rss) / n,
            bytesPerSocketAfterHold: (after.rss - before.rss) / n,
            loadgenRssMb: status.reduce((a, s) => a + s.memory, 0) / 1048576,
            addresses: c.addresses,
            errors: [...new Set([...c.errors, ...status.flatMap((s) => s.errorSamples)])].slice(
              0,
              5,
            ),
          };
        },
      );
    } finally {
      await server.stop();
    }
  }

  const rows = [];
  for (const impl of ctx.impls) {
    const r = per[impl];
    const clean = r.opened === n && r.failed === 0 && r.closes === 0 && r.roundTripFailures === 0;
    rows.push({
      impl,
      metric: 'sockets held',
      value: r.open,
      unit: `/ ${n}`,
      better: 'higher',
      ...(impl === 'ours'
        ? {
            target: n < wanted ? `${wanted} no error (capped)` : `${wanted} no error`,
            pass: !clean ? false : n >= wanted ? true : undefined,
          }
        : {}),
    });
    rows.push({
      impl,
      metric: 'errors (failed+closed+rtt)',
      value: r.failed + r.closes + r.roundTripFailures,
      better: 'lower',
    });
    rows.push({
      impl,
      metric: 'memory per socket',
      value: r.bytesPerSocket / 1024,
      unit: 'KB',
      better: 'lower',
      ...(impl === 'ours' ? { target: '<= 12 KB', pass: r.bytesPerSocket <= 12 * 1024 } : {}),
    });
    rows.push({
      impl,
      metric: 'memory per socket after hold',
      value: r.bytesPerSocketAfterHold / 1024,
      unit: 'KB',
      better: 'lower',
    });
    rows.push({
      impl,
      metric: 'connects/s',
      value: r.connectsPerSec,
      unit: '/s',
      better: 'higher',
    });
    rows.push({
      impl,
      metric: 'ping rtt p99 (held)',
      value: r.roundTrip.p99,
      unit: 'ms',
      better: 'lower',
    });
    rows.push({ impl, metric: 'loadgen CPU (connect)', value: r.connectLoadgenCpuPct, unit: '%' });
  }
  return {
    rows,
    notes,
    data: { sockets: n, wanted, workers, holdMs, users: nUsers, per },
    chart: {
      title: `Idle connections: ${n.toLocaleString('en-US')} sockets held`,
      subtitle:
        'server RSS delta / sockets (lower is better); ping round trip with all sockets held',
      bars: {
        title: 'memory per socket',
        unit: 'KB',
        items: ctx.impls.map((i) => ({
          impl: i,
          label: ctx.label(i),
          value: per[i].bytesPerSocket / 1024,
        })),
      },
      latency: {
        title: 'ping round trip while held',
        series: ['p50', 'p99', 'p99.9'],
        groups: ctx.impls.map((i) => ({
          impl: i,
          label: ctx.label(i),
          values: [per[i].roundTrip.p50, per[i].roundTrip.p99, per[i].roundTrip.p999],
        })),
      },
    },
  };
}
