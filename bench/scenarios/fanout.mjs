// Fan-out: one room, 1,000 subscribers; the publish rate is raised step by step until the p99
// send-to-receive latency passes 200 ms or a delivery is lost. Figure: deliveries per second
// at the last step that held. Target (ours): >= 0.7x bare ws, >= 1.5x Socket.IO and >= 0.9x
// the corked ws server (bare ws that batches a turn's writes per socket, as ours does).
import { connect, phase, protoOf, rampUp, startImpl, withPool } from '../lib/harness.mjs';

export const title = 'Fan-out';

export async function run(ctx) {
  const q = ctx.quick;
  const subs = ctx.opt('fanout-subs', q ? 100 : 1000);
  const nUsers = q ? 10 : 100;
  const workers = 2;
  const stepMs = q ? 1000 : ctx.opt('fanout-step-ms', 4000);
  const startRate = ctx.opt('fanout-start-rate', q ? 20 : 20);
  const factor = 1.4;
  const maxSteps = q ? 2 : 16;
  const budgetMs = q ? 15_000 : ctx.opt('fanout-budget-ms', 150_000);
  const p99Limit = 200;
  const per = {};
  // Beside bare ws, the same server corking its sockets for a turn as ours does: the fair
  // ceiling for ours, whose writes are batched that way.
  const impls = ctx.impls.flatMap((i) =>
    i === 'ws' && !ctx.impls.includes('ws-corked') ? ['ws', 'ws-corked'] : [i],
  );
  for (const impl of impls) {
    ctx.log(`fanout: ${impl}, ${subs} subscribers`);
    const server = await startImpl(ctx, impl);
    try {
      let roomId = `fanout-room-${Date.now()}`;
      let tokens = ['bench'];
      if (impl === 'ours') {
        const users = await ctx.fixture.ensureUsers(server.url, nUsers);
        const [room] = await ctx.fixture.rooms(server.url, {
          rooms: 1,
          membersPerRoom: nUsers,
          users,
          tag: 'fanout',
        });
        roomId = room.id;
        tokens = users.map((u) => u.token);
      }
      per[impl] = await withPool(
        workers,
        protoOf(ctx, impl),
        impl === 'socketio' ? server.url : server.wsUrl,
        async (pool) => {
          const conns = Array.from({ length: subs }, (_, i) => ({
            worker: i % workers,
            token: tokens[i % tokens.length],
            rooms: [roomId],
          }));
          const c = await connect(pool, conns);
          if (c.opened !== subs || c.subscribed !== subs)
            throw new Error(
              `fanout ${impl}: ${c.opened} opened, ${c.subscribed} subscribed of ${subs}: ${c.errors.join('; ')}`,
            );
          // Warm-up (JIT, pools), not counted.
          await phase(pool, server, ctx.db, {
            rateOf: () => startRate / workers,
            durationMs: q ? 300 : 1500,
            roomSize: subs,
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
                roomSize: subs,
                settleMs: 5000,
              }),
            check: (r) => {
              const fail = [];
              if (r.latency.p99 === null || r.latency.p99 > p99Limit)
                fail.push(`p99 ${r.latency.p99} ms > ${p99Limit} ms`);
              if (r.lost > 0) fail.push(`${r.lost} deliveries lost`);
              if (r.ackErrors || r.sendFailures || r.acked < r.sent)
                fail.push(`${r.sent - r.acked} sends unacked, ${r.ackErrors} refused`);
              if (r.closes) fail.push(`${r.closes} sockets closed`);
              return fail;
            },
            log: (r, rate) =>
              ctx.log(
                `  ${rate.toFixed(0)} msg/s -> ${Math.round(r.deliveriesPerSec)} deliveries/s, p99 ${r.latency.p99} ms, lost ${r.lost}, loadgen ${r.loadgenCpuPct.toFixed(0)}%, server ${r.serverCpuPct?.toFixed(0)}%, cpu pressure ${r.cpuPressurePct?.toFixed(0)}%${r.pass ? '' : ` FAIL: ${r.failure}${r.retry || r.refinement ? '' : ' (repeating once)'}`}`,
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
  for (const impl of impls) {
    const r = per[impl];
    const b = r.best;
    rows.push({
      impl,
      metric: 'deliveries/s',
      value: b ? b.deliveriesPerSec : 0,
      unit: '/s',
      better: 'higher',
    });
    rows.push({
      impl,
      metric: 'publish rate (msg/s)',
      value: b ? b.offeredRate : 0,
      unit: '/s',
      better: 'higher',
    });
    rows.push({
      impl,
      metric: 'p50 at best step',
      value: b?.latency.p50 ?? null,
      unit: 'ms',
      better: 'lower',
    });
    rows.push({
      impl,
      metric: 'p99 at best step',
      value: b?.latency.p99 ?? null,
      unit: 'ms',
      better: 'lower',
    });
    rows.push({
      impl,
      metric: 'p99.9 at best step',
      value: b?.latency.p999 ?? null,
      unit: 'ms',
      better: 'lower',
    });
    rows.push({
      impl,
      metric: 'loadgen CPU (best step)',
      value: b?.loadgenCpuPct ?? null,
      unit: '%',
    });
    rows.push({
      impl,
      metric: 'server CPU (best step)',
      value: b?.serverCpuPct ?? null,
      unit: '%',
    });
    if (r.firstFailure)
      notes.push(
        `${ctx.label(impl)} stopped at ${r.firstFailure.offeredRate.toFixed(0)} msg/s (failed twice): ${r.firstFailure.failure} (loadgen CPU ${r.firstFailure.loadgenCpuPct.toFixed(0)}%, server CPU ${r.firstFailure.serverCpuPct?.toFixed(0)}%, cpu pressure ${r.firstFailure.cpuPressurePct?.toFixed(0)}%)`,
      );
    else
      notes.push(
        `${ctx.label(impl)} never failed within ${maxSteps} steps / the time budget: its figure is a lower bound`,
      );
  }
  // Server CPU per delivery at the highest publish rate every implementation held: less
  // sensitive to a noisy machine than the p99-bounded ramp figure.
  const ladder = (impl) =>
    new Set(
      per[impl].steps.filter((x) => x.pass && !x.refinement).map((x) => Math.round(x.offeredRate)),
    );
  const shared = [...ladder(impls[0])].filter((r) => impls.every((i) => ladder(i).has(r)));
  const common = shared.length ? Math.max(...shared) : 0;
  for (const impl of impls) {
    const s = per[impl].steps.find(
      (x) => x.pass && !x.refinement && Math.round(x.offeredRate) === common,
    );
    per[impl].cpuPerDeliveryUs =
      s?.serverCpuPct != null ? ((s.serverCpuPct / 100) * 1e6) / s.deliveriesPerSec : null;
    rows.push({
      impl,
      metric: `server CPU per delivery @ ${Math.round(common)} msg/s`,
      value: per[impl].cpuPerDeliveryUs,
      unit: 'µs',
      better: 'lower',
    });
  }
  const ours = rows.find((x) => x.impl === 'ours' && x.metric === 'deliveries/s');
  if (ours) {
    const ws = rows.find((x) => x.impl === 'ws' && x.metric === 'deliveries/s')?.value;
    const sio = rows.find((x) => x.impl === 'socketio' && x.metric === 'deliveries/s')?.value;
    const corked = rows.find((x) => x.impl === 'ws-corked' && x.metric === 'deliveries/s')?.value;
    ours.target = '>= 0.7x ws, >= 1.5x Socket.IO, >= 0.9x ws corked';
    ours.pass =
      ws && sio && corked
        ? ours.value >= 0.7 * ws && ours.value >= 1.5 * sio && ours.value >= 0.9 * corked
        : undefined;
    if (corked)
      rows.push({
        impl: 'ours',
        metric: 'deliveries/s vs ws corked',
        value: ours.value / corked,
        unit: 'x',
        better: 'higher',
        target: '>= 0.9x',
        pass: ours.value >= 0.9 * corked,
      });
  }
  return {
    rows,
    notes,
    data: {
      subscribers: subs,
      users: nUsers,
      workers,
      stepMs,
      startRate,
      factor,
      p99LimitMs: p99Limit,
      per,
    },
    chart: {
      title: `Fan-out: one room, ${subs} subscribers`,
      subtitle: `publish rate raised x${factor} per ${stepMs / 1000}s step until p99 > ${p99Limit} ms or a loss; best passing step`,
      bars: {
        title: 'deliveries per second',
        unit: 'deliveries/s',
        items: impls.map((i) => ({
          impl: i,
          label: ctx.label(i),
          value: per[i].best?.deliveriesPerSec ?? 0,
        })),
      },
      latency: {
        title: 'latency at the best step',
        series: ['p50', 'p99', 'p99.9'],
        groups: impls.map((i) => ({
          impl: i,
          label: ctx.label(i),
          values: [per[i].best?.latency.p50, per[i].best?.latency.p99, per[i].best?.latency.p999],
        })),
      },
    },
  };
}
