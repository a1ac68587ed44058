#!/usr/bin/env node
// Capacity model: projects a target load (default 1,000,000 connected users and 100,000 messages/s)
// onto instances, Kafka and the database, from per-unit costs this machine measured, and names the
// first bottleneck. Nothing here is measured: every cost comes from a bench result file (the
// latest run of each scenario) and is printed with its source, so a new run re-feeds the model.
//
//   node bench/capacity.mjs [--results bench/results] [--users 1000000] [--msg-rate 100000]
//        [--copies 20] [--instance-cores 1] [--instance-mem-gb 4] [--util 0.6]
//        [--db-cores 64] [--record-bytes 700] [--broker-mb-s 300] [--partition-mb-s 10]
//        [--out bench/results/capacity.md] [--fanout|--throughput|--idle|--bus=<result json>]
//        [--delivery-us|--send-server-us|--send-db-us|--socket-kb|--unserved-us=<cost>]
//
// Costs read (CPU time from the processes' own accounting, so they move little with noise):
// - CPU per delivery: fanout.json, "server CPU per delivery";
// - server and database CPU per persisted send: throughput.json, CPU % at the best step / rate;
// - memory per held socket: idle.json, "memory per socket after hold";
// - CPU per record of a room the instance does not serve: bus.json (instance C, no sockets).
// Workload assumptions are flags: `copies` is the mean number of connected recipients a message
// reaches (a DM 2, a busy channel hundreds); `record-bytes` a Kafka record with its headers;
// `broker-mb-s` what one broker's network and disks serve; `partition-mb-s` the usual planning
// figure for one partition's write rate.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function args(argv) {
  const a = {
    results: 'bench/results',
    users: 1_000_000,
    'msg-rate': 100_000,
    copies: 20,
    // An instance is one Node process: its JavaScript runs on one core (a machine runs several).
    'instance-cores': 1,
    'instance-mem-gb': 4,
    util: 0.6,
    'db-cores': 64,
    'record-bytes': 700,
    'broker-mb-s': 300,
    'partition-mb-s': 10,
    out: null,
    fanout: null,
    throughput: null,
    idle: null,
    bus: null,
    // A cost given here replaces the one read from its result file (e.g. a compare's median).
    'delivery-us': null,
    'send-server-us': null,
    'send-db-us': null,
    'socket-kb': null,
    'unserved-us': null,
  };
  for (const arg of argv) {
    const [k, v] = arg.replace(/^--/, '').split('=');
    if (!(k in a)) throw new Error(`unknown option --${k}`);
    a[k] = typeof a[k] === 'number' || k.endsWith('-us') || k.endsWith('-kb') ? Number(v) : v;
  }
  a.out ??= path.join(a.results, 'capacity.md');
  for (const s of ['fanout', 'throughput', 'idle', 'bus'])
    a[s] ??= path.join(a.results, `${s}.json`);
  return a;
}

function row(file, impl, metric) {
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const r = data.rows.find((x) => x.impl === impl && x.metric.startsWith(metric));
  if (!r || typeof r.value !== 'number')
    throw new Error(`${file}: no "${metric}" row for ${impl}: run that scenario first`);
  return { value: r.value, source: `${file}: ${r.impl}, ${r.metric}` };
}

/**
 * CPU per record of rooms not served, at the highest rate the bus scenario wrote them (its
 * "@ N records/s" rows): the cost per record falls as fetches carry more records (a fixed cost
 * per fetch), so the figure at the highest measured rate is the one nearest the projected load,
 * and still an overestimate of it. Older results have only the 500 msg/s row of live traffic.
 */
function unservedCost(file) {
  const impl = 'ours kafka, instance C (no sockets)';
  const metric = 'CPU per record of unserved rooms';
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const atRates = data.rows
    .filter((x) => x.impl === impl && x.metric.startsWith(`${metric} @ `))
    .filter((x) => typeof x.value === 'number')
    .map((x) => ({ x, rate: Number(/@ (\d+)/.exec(x.metric)?.[1] ?? 0) }))
    .sort((a, b) => b.rate - a.rate);
  if (atRates.length === 0) return row(file, impl, metric);
  const { x: best, rate } = atRates[0];
  const written = data.rows.find(
    (x) => x.impl === impl && x.metric === `records written @ ${rate} records/s`,
  );
  const achieved =
    typeof written?.value === 'number' ? ` (${Math.round(written.value)} written per second)` : '';
  return { value: best.value, source: `${file}: ${best.impl}, ${best.metric}${achieved}` };
}

/** The per-unit costs, each with where it came from: a given flag, else its result file. */
export function readCosts(files) {
  const cost = (flag, fromFile) => {
    if (files[flag] !== null) return { value: files[flag], source: `given: --${flag}` };
    try {
      return fromFile();
    } catch (err) {
      throw new Error(`${err.message} (or pass --${flag})`, { cause: err });
    }
  };
  const perSend = (metric) => {
    const rate = row(files.throughput, 'ours', 'acked msg/s');
    const pct = row(files.throughput, 'ours', metric);
    return { value: (pct.value * 1e4) / rate.value, source: `${pct.source} / ${rate.source}` };
  };
  return {
    deliveryUs: cost('delivery-us', () => row(files.fanout, 'ours', 'server CPU per delivery')),
    sendServerUs: cost('send-server-us', () => perSend('server CPU (best step)')),
    sendDbUs: cost('send-db-us', () => perSend('db backends CPU (best step)')),
    socketKb: cost('socket-kb', () => row(files.idle, 'ours', 'memory per socket after hold')),
    unservedUs: cost('unserved-us', () => unservedCost(files.bus)),
  };
}

/** The projection: pure arithmetic on costs and a workload (see the header). */
export function project(c, w) {
  const coreUs = 1e6; // CPU µs per core per second
  const deliveries = w['msg-rate'] * w.copies;
  const usable = w['instance-cores'] * w.util * coreUs;
  // Every instance reads the whole topic; it decodes only its rooms' records and skips the rest.
  const unservedPerInstance = w['msg-rate'] * c.unservedUs.value;
  const work = deliveries * c.deliveryUs.value + w['msg-rate'] * c.sendServerUs.value;
  const headroom = usable - unservedPerInstance;
  const byCpu = headroom > 0 ? Math.ceil(work / headroom) : Infinity;
  const byMem = Math.ceil(
    (w.users * c.socketKb.value) / 1024 / 1024 / (w['instance-mem-gb'] * w.util),
  );
  const instances = Math.max(byCpu, byMem);
  // The alternative: connections routed by room, each instance reading only its rooms' partitions.
  const affine = Math.max(Math.ceil(work / usable), byMem);
  const topicMbS = (w['msg-rate'] * w['record-bytes']) / 1e6;
  const egressMbS = topicMbS * instances; // fan-out: every instance reads every record
  const brokers = Math.max(3, Math.ceil((egressMbS + topicMbS * 3) / w['broker-mb-s']));
  const partitions = Math.max(6, Math.ceil(topicMbS / w['partition-mb-s']));
  const dbCores = (w['msg-rate'] * c.sendDbUs.value) / coreUs / w.util;
  const limits = [
    {
      what: 'database primary (one writer)',
      need: dbCores,
      have: w['db-cores'],
      unit: 'cores',
      atRate: (w['db-cores'] * w.util * coreUs) / c.sendDbUs.value,
    },
    {
      what: 'instance CPU left after reading the whole topic',
      need: unservedPerInstance / coreUs,
      have: w['instance-cores'] * w.util,
      unit: 'cores',
      atRate: (w['instance-cores'] * w.util * coreUs) / c.unservedUs.value,
    },
    {
      what: 'Kafka egress (every instance reads every record)',
      need: egressMbS,
      have: brokers * w['broker-mb-s'],
      unit: 'MB/s',
      // egress grows with rate x instances, and instances with rate: rate^2; brokers are added.
      atRate: Infinity,
    },
  ];
  const first = limits
    .filter((l) => Number.isFinite(l.atRate))
    .sort((a, b) => a.atRate - b.atRate)[0];
  return {
    deliveries,
    affine,
    byCpu,
    byMem,
    instances,
    topicMbS,
    egressMbS,
    brokers,
    partitions,
    dbCores,
    limits,
    first,
  };
}

function fmt(n, d = 0) {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d }) : '∞';
}

function report(c, w, p) {
  const lines = [
    `# Capacity model: ${fmt(w.users)} connected users, ${fmt(w['msg-rate'])} messages/s`,
    '',
    `Workload: each message reaches ${w.copies} connected recipients on average (${fmt(p.deliveries)} deliveries/s); instances of ${w['instance-cores']} cores and ${w['instance-mem-gb']} GB run at ${w.util * 100} %; Kafka records of ${w['record-bytes']} bytes.`,
    '',
    '| cost (measured here) | value | source |',
    '| --- | --- | --- |',
    `| server CPU per delivery | ${fmt(c.deliveryUs.value, 2)} µs | ${c.deliveryUs.source} |`,
    `| server CPU per persisted send | ${fmt(c.sendServerUs.value, 1)} µs | ${c.sendServerUs.source} |`,
    `| database CPU per persisted send | ${fmt(c.sendDbUs.value, 1)} µs | ${c.sendDbUs.source} |`,
    `| memory per held socket | ${fmt(c.socketKb.value, 2)} KB | ${c.socketKb.source} |`,
    `| CPU per record of a room not served | ${fmt(c.unservedUs.value, 2)} µs | ${c.unservedUs.source} |`,
    '',
    '| projection | value |',
    '| --- | --- |',
    `| instances for CPU (deliveries + sends, after the topic's unserved records) | ${fmt(p.byCpu)} |`,
    `| instances for memory (sockets) | ${fmt(p.byMem)} |`,
    `| instances | **${fmt(p.instances)}** (${fmt(w.users / p.instances)} sockets each) |`,
    `| instances if each read only its rooms' partitions (connections routed by room) | ${fmt(p.affine)} |`,
    `| topic write rate | ${fmt(p.topicMbS, 1)} MB/s; partitions (at ${w['partition-mb-s']} MB/s each, at least 6) **${fmt(p.partitions)}** |`,
    `| Kafka egress (every instance reads the whole topic) | ${fmt(p.egressMbS)} MB/s; brokers at ${w['broker-mb-s']} MB/s (with replication x3) **${fmt(p.brokers)}** |`,
    `| database CPU (one primary) | **${fmt(p.dbCores, 1)} cores** of ${w['db-cores']} |`,
    '',
    '| limit | needed | available | saturates at |',
    '| --- | --- | --- | --- |',
    ...p.limits.map(
      (l) =>
        `| ${l.what} | ${fmt(l.need, 1)} ${l.unit} | ${fmt(l.have, 1)} ${l.unit} | ${Number.isFinite(l.atRate) ? `${fmt(l.atRate)} msg/s` : 'grows as rate x instances: add brokers'} |`,
    ),
    '',
    `First bottleneck: **${p.first.what}**, at about ${fmt(p.first.atRate)} messages/s.`,
    ...(Number.isFinite(p.byCpu)
      ? []
      : [
          '',
          `At ${fmt(w['msg-rate'])} messages/s an instance cannot even read the whole topic: reading it takes ${fmt(p.limits[1].need, 1)} cores where an instance has ${fmt(p.limits[1].have, 1)}. No number of instances serves this load while every instance reads every record; each must read only the partitions of the rooms it serves.`,
        ]),
  ];
  return lines.join('\n') + '\n';
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const w = args(process.argv.slice(2));
  const c = readCosts(w);
  const text = report(c, w, project(c, w));
  process.stdout.write(text);
  writeFileSync(w.out, text);
}
