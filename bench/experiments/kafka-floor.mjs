#!/usr/bin/env node
// Experiment: the floor under the bus scenario's Kafka latency on this machine. kafkajs alone,
// no service: a producer process publishing like KafkaEventBus (a queue flushed on the next
// turn, idempotent, acks=all, one request in flight, the record's key a room id) at the bus
// scenario's 500 msg/s, and a consumer process reading like FanoutConsumer (a group of its own,
// eachMessage, maxWaitTimeInMs 500), both pinned to the server core as the scenario pins its
// instances, on a private single-node broker on the load generator's core (where the scenario's
// broker runs: bench/run.mjs pins itself there before starting it). Latency is from just before the producer queues
// a record to the consumer's eachMessage (both read the same clock: performance.timeOrigin +
// performance.now()). What the service adds on top (the database append before the publish,
// the hub's delivery, the WebSocket hop to the load generator) is the bus scenario's figure
// minus this one.
//
//   node bench/experiments/kafka-floor.mjs [--rate 500] [--seconds 30] [--runs 3] [--partitions 6]
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { Histogram } from '../lib/histogram.mjs';
import { startPrivateKafka } from '../lib/kafka-broker.mjs';
import { LOADGEN_CORE, SERVER_CORE } from '../lib/servers.mjs';
import { median } from '../lib/stats.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => (argv.includes(`--${k}`) ? argv[argv.indexOf(`--${k}`) + 1] : d);
const now = () => performance.timeOrigin + performance.now();
const ROOMS = Array.from({ length: 50 }, () => randomUUID());

function client(brokers, id) {
  return new kafkajs.Kafka({
    clientId: id,
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
}

async function consumerRole(brokers, topic, expected) {
  const consumer = client(brokers, 'floor-consumer').consumer({
    groupId: `floor.${randomUUID()}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 500,
  });
  const h = new Histogram();
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true }); // a new, empty topic
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const { t } = JSON.parse(message.value.toString());
      h.record((now() - t) * 1000); // µs
      if (h.n >= expected) done();
    },
  });
  while (!joined) await new Promise((r) => setTimeout(r, 20));
  process.stdout.write('ready\n');
  await finished;
  process.stdout.write(
    `${JSON.stringify({ n: h.n, p50: h.percentile(50), p95: h.percentile(95), p99: h.percentile(99), max: h.max })}\n`,
  );
  await consumer.disconnect();
}

async function producerRole(brokers, topic, rate, seconds) {
  const producer = client(brokers, 'floor-producer').producer({
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  // KafkaEventBus.flush: whatever queued meanwhile goes in the next request, one at a time.
  let queue = [];
  let flushing = false;
  const flush = async () => {
    if (flushing) return;
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, 500);
      await producer.send({ topic, acks: -1, messages: batch });
    }
    flushing = false;
  };
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    queue.push({
      key: ROOMS[i % ROOMS.length],
      value: JSON.stringify({ t: now(), i, pad: 'x'.repeat(400) }),
    });
    if (!flushing) setImmediate(() => void flush());
  }
  while (queue.length > 0 || flushing) await new Promise((r) => setTimeout(r, 10));
  await producer.disconnect();
}

function child(role, args) {
  const p = spawn(
    'taskset',
    ['-c', SERVER_CORE, process.execPath, fileURLToPath(import.meta.url), '--role', role, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = [];
  let buf = '';
  const waiters = [];
  p.stdout.on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0;) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  const exited = new Promise((r) => p.on('exit', r));
  return {
    exited,
    async line(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (lines.length === 0) {
        if (Date.now() > deadline) throw new Error(`${role}: no output in ${timeoutMs} ms`);
        await Promise.race([
          new Promise((r) => waiters.push(r)),
          new Promise((r) => setTimeout(r, 200)),
        ]);
      }
      return lines.shift();
    },
  };
}

async function main() {
  const role = arg('role', null);
  const brokersArg = arg('brokers', null);
  const topicArg = arg('topic', null);
  if (role === 'consumer') return consumerRole(brokersArg, topicArg, Number(arg('expected', 0)));
  if (role === 'producer')
    return producerRole(brokersArg, topicArg, Number(arg('rate', 500)), Number(arg('seconds', 30)));

  const rate = Number(arg('rate', 500));
  const seconds = Number(arg('seconds', 30));
  const runs = Number(arg('runs', 3));
  const partitions = Number(arg('partitions', 6));
  // Placed as bench/run.mjs places the bus scenario: this process, and so the broker it
  // starts, on the load generator's core; producer and consumer on the server core.
  execFileSync('taskset', ['-a', '-p', '-c', LOADGEN_CORE, String(process.pid)], {
    stdio: 'ignore',
  });
  const kafka = await startPrivateKafka();
  const results = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const topic = `floor.${Date.now()}`;
      const admin = client(kafka.brokers, 'floor-admin').admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions }],
        waitForLeaders: true,
      });
      await admin.disconnect();
      const expected = Math.round(rate * seconds);
      const common = ['--brokers', kafka.brokers, '--topic', topic];
      const c = child('consumer', [...common, '--expected', String(expected)]);
      if ((await c.line(60_000)) !== 'ready') throw new Error('consumer did not join');
      const p = child('producer', [
        ...common,
        '--rate',
        String(rate),
        '--seconds',
        String(seconds),
      ]);
      const r = JSON.parse(await c.line(seconds * 1000 + 60_000));
      await Promise.all([p.exited, c.exited]);
      const ms = (us) => Math.round(us / 10) / 100;
      const row = { run, n: r.n, p50: ms(r.p50), p95: ms(r.p95), p99: ms(r.p99), max: ms(r.max) };
      console.log(
        `run ${run}: ${row.n} records at ${rate}/s: p50 ${row.p50} p95 ${row.p95} p99 ${row.p99} max ${row.max} ms`,
      );
      results.push(row);
    }
  } finally {
    kafka.stop();
  }
  const med = (k) => median(results.map((r) => r[k]));
  console.log(
    `median of ${runs}: p50 ${med('p50')} p95 ${med('p95')} p99 ${med('p99')} ms (kafkajs and the broker alone; producer and consumer on cpu ${SERVER_CORE}, broker on cpu ${LOADGEN_CORE})`,
  );
}

await main();
