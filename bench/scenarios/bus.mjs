// Event bus: send-to-receive latency at a fixed open-loop rate (500 msg/s for 60 s), for the
// in-process driver on one instance and the Kafka driver across two instances, in the same
// run. Each room has one sending socket on instance A and two receiving sockets: on A as well
// for the in-process driver, on instance B for Kafka (so every timed copy crossed the broker
// and the other instance). All sockets sit in one load-generator process, which times its own
// messages. Both instances are pinned to the server core.
// With Kafka a third instance, C, serves no socket at all: its CPU time per record during the
// timed phase (less its own idle CPU, measured just before) is what an instance pays for the
// events of rooms it does not serve, the cost that adding instances multiplies (issue 16).
import { connect, phase, sleep, startImpl, withPool } from '../lib/harness.mjs';
import { startPrivateKafka } from '../lib/kafka-broker.mjs';
import { histogramQuantiles, metricValue } from '../lib/metrics.mjs';
import { floodUnserved } from '../lib/unserved-flood.mjs';

export const title = 'Event bus (in-process vs Kafka)';

export async function run(ctx) {
  const q = ctx.quick;
  const nRooms = q ? 5 : 50;
  const receivers = 2;
  const rate = ctx.opt('bus-rate', q ? 50 : 500);
  const durationMs = q ? 2000 : ctx.opt('bus-duration-ms', 60_000);
  const floodRates = String(ctx.opt('bus-flood-rates', q ? '1000' : '1000,5000,20000'))
    .split(',')
    .map(Number)
    .filter((r) => r > 0); // --bus-flood-rates=0: none
  const floodMs = ctx.opt('bus-flood-ms', 10_000);
  const nUsers = q ? 10 : 50;
  const notes = [];
  const per = {};

  /** Instance C's CPU ms per second with no traffic at all (its timers, Kafka fetches). */
  async function idleCpuRate(c) {
    const s0 = c.stats();
    const t0 = performance.now();
    await sleep(q ? 1000 : 5000);
    const s1 = c.stats();
    return (s1.cpuMs - s0.cpuMs) / (performance.now() - t0);
  }

  async function measure(label, servers, observer = null) {
    const [a, b] = servers;
    const users = await ctx.fixture.ensureUsers(a.url, nUsers);
    const rooms = await ctx.fixture.rooms(a.url, {
      rooms: nRooms,
      membersPerRoom: 1 + receivers,
      users,
      tag: `bus-${label}`,
    });
    return withPool(1, 'chat', a.wsUrl, async (pool) => {
      const conns = rooms.flatMap((room) => [
        {
          worker: 0,
          token: room.members[0].token,
          rooms: [room.id],
          url: a.wsUrl,
          group: 'sender',
        },
        ...room.members.slice(1).map((u) => ({
          worker: 0,
          token: u.token,
          rooms: [room.id],
          url: (b ?? a).wsUrl,
          group: 'receiver',
          sender: false,
        })),
      ]);
      const c = await connect(pool, conns);
      if (c.subscribed !== conns.length)
        throw new Error(
          `bus ${label}: ${c.subscribed}/${conns.length} subscribed: ${c.errors.join('; ')}`,
        );
      await phase(pool, a, ctx.db, {
        rateOf: () => rate,
        durationMs: q ? 500 : 3000,
        roomSize: 1 + receivers,
        settleMs: 5000,
      });
      const idleRate = observer ? await idleCpuRate(observer) : null;
      const o0 = observer?.stats();
      const k0 = observer ? await metricValue(observer, 'kafka_skipped_records_total') : null;
      const t0 = performance.now();
      const r = await phase(pool, a, ctx.db, {
        rateOf: () => rate,
        durationMs,
        roomSize: 1 + receivers,
        settleMs: 15_000,
      });
      const l = r.latencyByGroup.receiver;
      let unserved = null;
      if (observer) {
        const wallMs = performance.now() - t0;
        const cpuMs = observer.stats().cpuMs - o0.cpuMs;
        unserved = {
          records: r.acked,
          skipped: (await metricValue(observer, 'kafka_skipped_records_total')) - k0,
          cpuMs,
          idleCpuMs: idleRate * wallMs,
          usPerRecord: ((cpuMs - idleRate * wallMs) * 1000) / Math.max(1, r.acked),
        };
      }
      ctx.log(
        `  ${label}: p50 ${l?.p50} p95 ${l?.p95} p99 ${l?.p99} ms, lost ${r.lost}, loadgen ${r.loadgenCpuPct.toFixed(0)}%` +
          (unserved
            ? `; instance C (no sockets): ${unserved.usPerRecord.toFixed(1)} µs CPU per record, ${unserved.skipped}/${unserved.records} records skipped undecoded`
            : ''),
      );
      return { connect: c, result: r, receiver: l, unserved };
    });
  }

  ctx.log(`bus: in-process driver, one instance, ${rate} msg/s for ${durationMs / 1000} s`);
  {
    const a = await startImpl(ctx, 'ours', { instanceId: 'bus-inproc' });
    try {
      per['in-process'] = await measure('in-process', [a]);
    } finally {
      await a.stop();
    }
  }

  let kafka = null;
  let brokers = process.env.KAFKA_BROKERS;
  try {
    if (!brokers && !q) {
      kafka = await startPrivateKafka(ctx);
      brokers = kafka.brokers;
    }
    if (brokers) {
      ctx.log(`bus: Kafka driver (${brokers}), two instances`);
      const extraEnv = {
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC: `bench.events.${Date.now()}`,
        KAFKA_PARTITIONS: '6',
      };
      const a = await startImpl(ctx, 'ours', { instanceId: 'bus-a', extraEnv });
      let b = null;
      let c = null;
      try {
        b = await startImpl(ctx, 'ours', { instanceId: 'bus-b', extraEnv });
        c = await startImpl(ctx, 'ours', { instanceId: 'bus-c', extraEnv });
        per.kafka = await measure('kafka', [a, b], c);
        per.kafka.recordAge = await histogramQuantiles(b, 'kafka_record_age_seconds');
        per.kafka.publishDelay = await histogramQuantiles(
          a,
          'kafka_room_event_publish_delay_seconds',
        );
        ctx.log(
          `  kafka: on A, room event created to published p50 ${per.kafka.publishDelay?.p50?.toFixed(1)} ms, p99 ${per.kafka.publishDelay?.p99?.toFixed(1)} ms; on B, record age (producer timestamp to decode) p50 ${per.kafka.recordAge?.p50?.toFixed(1)} ms, p99 ${per.kafka.recordAge?.p99?.toFixed(1)} ms`,
        );
        // The same cost at the rates the capacity model projects: records of rooms nobody here
        // serves, written straight to the topic, 10 s per rate.
        const idle = await idleCpuRate(c);
        per.kafka.flood = [];
        for (const floodRate of floodRates) {
          const f = await floodUnserved({
            brokers,
            topic: extraEnv.KAFKA_TOPIC,
            rate: floodRate,
            durationMs: q ? 1000 : floodMs,
            observer: c,
            idleCpuPerMs: idle,
          });
          ctx.log(
            `  unserved flood ${floodRate}/s: ${f.sent} records (${f.achievedRate.toFixed(0)}/s), instance C skipped ${f.skipped} in ${(f.wallMs / 1000).toFixed(1)} s, ${f.usPerRecord.toFixed(1)} µs CPU per record`,
          );
          per.kafka.flood.push(f);
        }
      } finally {
        await Promise.all([a.stop(), b?.stop(), c?.stop()]);
      }
    } else
      notes.push(
        'Kafka half skipped: no KAFKA_BROKERS in quick mode (the full run starts a private broker with scripts/kafka.sh)',
      );
  } finally {
    kafka?.stop();
  }

  const rows = [];
  for (const [impl, r] of Object.entries(per)) {
    const l = r.receiver;
    rows.push({ impl: `ours ${impl}`, metric: 'p50', value: l?.p50 ?? null, unit: 'ms' });
    rows.push({ impl: `ours ${impl}`, metric: 'p95', value: l?.p95 ?? null, unit: 'ms' });
    rows.push({
      impl: `ours ${impl}`,
      metric: 'p99',
      value: l?.p99 ?? null,
      unit: 'ms',
      ...(impl === 'kafka' ? { target: '<= 10 ms', pass: l?.p99 != null && l.p99 <= 10 } : {}),
    });
    rows.push({ impl: `ours ${impl}`, metric: 'lost', value: r.result.lost });
    rows.push({
      impl: `ours ${impl}`,
      metric: 'server CPU (instance A)',
      value: r.result.serverCpuPct,
      unit: '%',
    });
    rows.push({
      impl: `ours ${impl}`,
      metric: 'loadgen CPU',
      value: r.result.loadgenCpuPct,
      unit: '%',
    });
    rows.push({
      impl: `ours ${impl}`,
      metric: 'cpu pressure (machine)',
      value: r.result.cpuPressurePct,
      unit: '%',
    });
  }
  if (per.kafka?.unserved) {
    const u = per.kafka.unserved;
    rows.push({
      impl: 'ours kafka, instance C (no sockets)',
      metric: 'CPU per record of unserved rooms',
      value: u.usPerRecord,
      unit: 'µs',
    });
    rows.push({
      impl: 'ours kafka, instance C (no sockets)',
      metric: 'records skipped undecoded',
      value: u.records > 0 ? (100 * u.skipped) / u.records : null,
      unit: '%',
    });
  }
  if (per.kafka?.publishDelay)
    for (const p of ['p50', 'p99'])
      rows.push({
        impl: 'ours kafka, instance A',
        metric: `room event created to published, ${p} (from the histogram)`,
        value: per.kafka.publishDelay[p],
        unit: 'ms',
      });
  if (per.kafka?.recordAge)
    for (const p of ['p50', 'p99'])
      rows.push({
        impl: 'ours kafka, instance B',
        metric: `record age at decode, ${p} (from the histogram)`,
        value: per.kafka.recordAge[p],
        unit: 'ms',
      });
  for (const f of per.kafka?.flood ?? []) {
    rows.push({
      impl: 'ours kafka, instance C (no sockets)',
      metric: `CPU per record of unserved rooms @ ${f.rate} records/s`,
      value: f.skipped >= f.sent ? f.usPerRecord : null,
      unit: 'µs',
    });
    rows.push({
      impl: 'ours kafka, instance C (no sockets)',
      metric: `records written @ ${f.rate} records/s`,
      value: f.achievedRate,
      unit: '/s',
    });
  }
  if (per.kafka && per['in-process'])
    for (const p of ['p50', 'p95', 'p99'])
      rows.push({
        impl: 'kafka / in-process',
        metric: p,
        value: per.kafka.receiver[p] / per['in-process'].receiver[p],
        unit: 'x',
      });
  notes.push(
    `${nRooms} rooms: 1 sender on instance A, ${receivers} receivers (on A in-process, on B with Kafka); ${rate} msg/s open loop for ${durationMs / 1000} s; receivers' copies timed`,
  );
  return {
    rows,
    notes,
    data: { rooms: nRooms, receivers, rate, durationMs, per },
    chart: {
      title: `Event bus: ${rate} msg/s for ${durationMs / 1000} s`,
      subtitle: 'send-to-receive latency of copies on the receiving instance',
      latency: {
        title: 'send-to-receive latency',
        series: ['p50', 'p95', 'p99'],
        groups: Object.entries(per).map(([impl, r]) => ({
          impl: impl === 'kafka' ? 'socketio' : 'ours',
          label: impl,
          values: [r.receiver?.p50, r.receiver?.p95, r.receiver?.p99],
        })),
      },
    },
  };
}
