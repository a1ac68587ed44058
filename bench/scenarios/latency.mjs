// Latency: 100 rooms of 10 members, 1,000 messages/s for 60 s (open loop), every message
// persisted (ours): send-to-receive p50, p99, p99.9 over every member's copy, the sender's
// included. Target (ours): p99 <= 25 ms. Each room lives wholly in one load-generator worker,
// so every copy is timed by the process that sent it.
import {
  benchRooms,
  connectMembers,
  phase,
  protoOf,
  startImpl,
  withPool,
} from '../lib/harness.mjs';

export const title = 'Latency';

export async function run(ctx) {
  const q = ctx.quick;
  const nRooms = q ? 10 : 100;
  const members = q ? 5 : 10;
  const rate = ctx.opt('latency-rate', q ? 100 : 1000);
  const durationMs = q ? 2000 : ctx.opt('latency-duration-ms', 60_000);
  const workers = 2;
  const nUsers = q ? 10 : 100;
  const per = {};
  for (const impl of ctx.impls) {
    ctx.log(
      `latency: ${impl}, ${nRooms} rooms x ${members}, ${rate} msg/s for ${durationMs / 1000} s`,
    );
    const server = await startImpl(ctx, impl);
    try {
      const rooms = await benchRooms(ctx, impl, server, {
        nRooms,
        members,
        nUsers,
        tag: 'latency',
        prefix: 'lat',
      });
      per[impl] = await withPool(
        workers,
        protoOf(ctx, impl),
        impl === 'socketio' ? server.url : server.wsUrl,
        async (pool) => {
          const c = await connectMembers(pool, rooms, workers, `latency ${impl}`);
          if (!q)
            await phase(pool, server, ctx.db, {
              rateOf: () => rate / workers,
              durationMs: 3000,
              roomSize: members,
              settleMs: 3000,
            });
          const r = await phase(pool, server, ctx.db, {
            rateOf: () => rate / workers,
            durationMs,
            roomSize: members,
            settleMs: 10_000,
          });
          ctx.log(
            `  p50 ${r.latency.p50} p99 ${r.latency.p99} p99.9 ${r.latency.p999} ms, lost ${r.lost}, unacked ${r.sent - r.acked} (refused ${r.ackErrors}), loadgen ${r.loadgenCpuPct.toFixed(0)}%, server ${r.serverCpuPct?.toFixed(0)}%, db ${r.dbCpuPct?.toFixed(0) ?? '-'}%, cpu pressure ${r.cpuPressurePct?.toFixed(0)}%`,
          );
          return { connect: c, result: r };
        },
      );
    } finally {
      await server.stop();
    }
  }
  const rows = [];
  for (const impl of ctx.impls) {
    const r = per[impl].result;
    const t = impl === 'ours';
    rows.push({ impl, metric: 'p50', value: r.latency.p50, unit: 'ms', better: 'lower' });
    rows.push({
      impl,
      metric: 'p99',
      value: r.latency.p99,
      unit: 'ms',
      better: 'lower',
      ...(t
        ? {
            target: '<= 10 ms',
            pass: r.latency.p99 <= 10 && r.lost === 0 && r.acked === r.sent,
          }
        : {}),
    });
    rows.push({ impl, metric: 'p99.9', value: r.latency.p999, unit: 'ms', better: 'lower' });
    rows.push({ impl, metric: 'max', value: r.latency.max, unit: 'ms', better: 'lower' });
    rows.push({ impl, metric: 'ack p99', value: r.ackLatency.p99, unit: 'ms', better: 'lower' });
    rows.push({
      impl,
      metric: 'delivered',
      value: r.received,
      unit: `/ ${r.expected}`,
      better: 'higher',
    });
    rows.push({ impl, metric: 'lost', value: r.lost, better: 'lower' });
    // A send that was refused or never acked is not counted in `lost` (nothing was expected
    // for it): a run whose sends all failed would otherwise show "lost 0".
    rows.push({ impl, metric: 'unacked sends', value: r.sent - r.acked, better: 'lower' });
    rows.push({ impl, metric: 'loadgen CPU', value: r.loadgenCpuPct, unit: '%' });
    rows.push({ impl, metric: 'server CPU', value: r.serverCpuPct, unit: '%' });
    if (t && r.dbCpuPct != null)
      rows.push({ impl, metric: 'db backends CPU', value: r.dbCpuPct, unit: '%' });
    if (r.serverCpuMs != null && r.acked > 0)
      rows.push({
        impl,
        metric: 'server CPU per message',
        value: (1000 * r.serverCpuMs) / r.acked,
        unit: 'µs',
        better: 'lower',
      });
    if (t && r.dbCpuMs != null && r.acked > 0) {
      rows.push({
        impl,
        metric: 'db CPU per message',
        value: (1000 * r.dbCpuMs) / r.acked,
        unit: 'µs',
        better: 'lower',
      });
      rows.push({
        impl,
        metric: 'db transactions per message',
        value: r.dbTransactions / r.acked,
        better: 'lower',
      });
    }
    rows.push({ impl, metric: 'cpu pressure (machine)', value: r.cpuPressurePct, unit: '%' });
  }
  return {
    rows,
    notes: [
      `${nRooms} rooms x ${members} members, ${rate} msg/s open loop for ${durationMs / 1000} s; latency over every member's copy`,
    ],
    data: { rooms: nRooms, members, rate, durationMs, workers, per },
    chart: {
      title: `Latency: ${nRooms} rooms x ${members} members, ${rate} msg/s for ${durationMs / 1000} s`,
      subtitle:
        'send-to-receive, open loop (from the scheduled send time); ours persists every message',
      bars: {
        title: 'deliveries per second',
        unit: 'deliveries/s',
        items: ctx.impls.map((i) => ({
          impl: i,
          label: ctx.label(i),
          value: per[i].result.deliveriesPerSec,
        })),
      },
      latency: {
        title: 'send-to-receive latency',
        series: ['p50', 'p99', 'p99.9'],
        groups: ctx.impls.map((i) => ({
          impl: i,
          label: ctx.label(i),
          values: [
            per[i].result.latency.p50,
            per[i].result.latency.p99,
            per[i].result.latency.p999,
          ],
        })),
      },
    },
  };
}
