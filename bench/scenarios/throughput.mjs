// Persisted throughput: acked sends per second one instance sustains across 100 rooms. The
// offered rate (open loop) is raised step by step; a step holds when every send is acked
// (and every copy delivered) with ack p99 <= 500 ms. Figure: acked msg/s at the last step that
// held. Target (ours): >= 5,000 msg/s. Rooms have 2 members (both send, both receive) so the
// figure is about storing, not fan-out.
import {
  benchRooms,
  connectMembers,
  phase,
  protoOf,
  rampUp,
  startImpl,
  withPool,
} from '../lib/harness.mjs';

export const title = 'Persisted throughput';

export async function run(ctx) {
  const q = ctx.quick;
  const nRooms = q ? 10 : 100;
  const members = 2;
  const workers = 2;
  const nUsers = q ? 10 : 100;
  const stepMs = q ? 1000 : ctx.opt('throughput-step-ms', 5000);
  const startRate = ctx.opt('throughput-start-rate', q ? 200 : 1000);
  const factor = 1.3;
  const maxSteps = q ? 2 : 14;
  const budgetMs = q ? 15_000 : ctx.opt('throughput-budget-ms', 120_000);
  const ackP99Limit = 500;
  const per = {};
  for (const impl of ctx.impls) {
    ctx.log(`throughput: ${impl}, ${nRooms} rooms x ${members}`);
    const server = await startImpl(ctx, impl);
    try {
      const rooms = await benchRooms(ctx, impl, server, {
        nRooms,
        members,
        nUsers,
        tag: 'throughput',
        prefix: 'tp',
      });
      per[impl] = await withPool(
        workers,
        protoOf(ctx, impl),
        impl === 'socketio' ? server.url : server.wsUrl,
        async (pool) => {
          const c = await connectMembers(pool, rooms, workers, `throughput ${impl}`);
          await phase(pool, server, ctx.db, {
            rateOf: () => startRate / 2 / workers,
            durationMs: q ? 300 : 2000,
            roomSize: members,
            settleMs: 3000,
          });
          const ramp = await rampUp({
            startRate,
            factor,
            maxSteps,
            budgetMs,
            runStep: (rate) =>
              phase(pool, server, ctx.db, {
                rateOf: () => rate / workers,
                durationMs: stepMs,
                roomSize: members,
                settleMs: 5000,
                ackTimeoutMs: 5000,
              }),
            check: (r) => {
              const fail = [];
              if (r.acked < r.sent || r.ackErrors || r.sendFailures)
                fail.push(`${r.sent - r.acked} of ${r.sent} sends unacked, ${r.ackErrors} refused`);
              if (r.ackLatency.p99 === null || r.ackLatency.p99 > ackP99Limit)
                fail.push(`ack p99 ${r.ackLatency.p99} ms > ${ackP99Limit} ms`);
              if (r.lost) fail.push(`${r.lost} deliveries lost`);
              if (r.closes) fail.push(`${r.closes} sockets closed`);
              return fail;
            },
            log: (r, rate) =>
              ctx.log(
                `  ${rate.toFixed(0)} msg/s offered -> ${Math.round(r.ackedPerSec)} acked/s, ack p99 ${r.ackLatency.p99} ms, loadgen ${r.loadgenCpuPct.toFixed(0)}%, server ${r.serverCpuPct?.toFixed(0)}%, db ${r.dbCpuPct?.toFixed(0) ?? '-'}%, cpu pressure ${r.cpuPressurePct?.toFixed(0)}%${r.pass ? '' : ` FAIL: ${r.failure}${r.retry || r.refinement ? '' : ' (repeating once)'}`}`,
              ),
          });
          return { connect: c, ...ramp };
        },
      );
    } finally {
      await server.stop();
    }
  }
  const rows = [];
  const notes = [];
  for (const impl of ctx.impls) {
    const { best, firstFailure } = per[impl];
    rows.push({
      impl,
      metric: 'acked msg/s (sustained)',
      value: best?.ackedPerSec ?? 0,
      unit: '/s',
      better: 'higher',
      ...(impl === 'ours' ? { target: '>= 25000/s', pass: (best?.ackedPerSec ?? 0) >= 25000 } : {}),
    });
    rows.push({
      impl,
      metric: 'ack p50 at best step',
      value: best?.ackLatency.p50 ?? null,
      unit: 'ms',
      better: 'lower',
    });
    rows.push({
      impl,
      metric: 'ack p99 at best step',
      value: best?.ackLatency.p99 ?? null,
      unit: 'ms',
      better: 'lower',
    });
    rows.push({
      impl,
      metric: 'delivery p99 at best step',
      value: best?.latency.p99 ?? null,
      unit: 'ms',
      better: 'lower',
    });
    rows.push({
      impl,
      metric: 'loadgen CPU (best step)',
      value: best?.loadgenCpuPct ?? null,
      unit: '%',
    });
    rows.push({
      impl,
      metric: 'server CPU (best step)',
      value: best?.serverCpuPct ?? null,
      unit: '%',
    });
    if (impl === 'ours' && best?.dbCpuPct != null)
      rows.push({ impl, metric: 'db backends CPU (best step)', value: best.dbCpuPct, unit: '%' });
    if (impl === 'ours' && best?.dbCpuMs != null && best.acked > 0) {
      rows.push({
        impl,
        metric: 'db CPU per message (best step)',
        value: (1000 * best.dbCpuMs) / best.acked,
        unit: 'µs',
        better: 'lower',
      });
      rows.push({
        impl,
        metric: 'db transactions per message (best step)',
        value: best.dbTransactions / best.acked,
        better: 'lower',
      });
    }
    notes.push(
      firstFailure
        ? `${ctx.label(impl)} stopped at ${firstFailure.offeredRate.toFixed(0)} msg/s offered (failed twice): ${firstFailure.failure} (loadgen CPU ${firstFailure.loadgenCpuPct.toFixed(0)}%, server CPU ${firstFailure.serverCpuPct?.toFixed(0)}%, cpu pressure ${firstFailure.cpuPressurePct?.toFixed(0)}%)`
        : `${ctx.label(impl)} never failed within the steps / time budget: its figure is a lower bound`,
    );
  }
  return {
    rows,
    notes,
    data: {
      rooms: nRooms,
      members,
      workers,
      stepMs,
      startRate,
      factor,
      ackP99LimitMs: ackP99Limit,
      per,
    },
    chart: {
      title: `Persisted throughput: ${nRooms} rooms`,
      subtitle: `open-loop offered rate x${factor} per ${stepMs / 1000}s step; a step holds with every send acked, ack p99 <= ${ackP99Limit} ms`,
      bars: {
        title: 'acked sends per second (sustained)',
        unit: 'msg/s',
        items: ctx.impls.map((i) => ({
          impl: i,
          label: ctx.label(i),
          value: per[i].best?.ackedPerSec ?? 0,
        })),
      },
      latency: {
        title: 'ack latency at the best step',
        series: ['p50', 'p99', 'p99.9'],
        groups: ctx.impls.map((i) => ({
          impl: i,
          label: ctx.label(i),
          values: [
            per[i].best?.ackLatency.p50,
            per[i].best?.ackLatency.p99,
            per[i].best?.ackLatency.p999,
          ],
        })),
      },
    },
  };
}
