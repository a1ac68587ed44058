// Records of rooms an instance does not serve, written straight to the events topic at a set
// rate, shaped as the service writes them (key = room id, the same headers, a message.new room
// event of ~600 bytes as value), so an instance with no socket in those rooms skips every one of
// them by its key. What that instance's CPU time grows by, per record, is what each added
// instance pays for the rest of the cluster's traffic: the figure the capacity model needs at
// the rates it projects, where fetches return many records at a time (at the bus scenario's
// 500 msg/s most fetches carry one or two).
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { metricValue } from './metrics.mjs';

const ROOMS = Array.from({ length: 5000 }, () => randomUUID());

function record(i) {
  const roomId = ROOMS[i % ROOMS.length];
  const eventSeq = Math.floor(i / ROOMS.length) + 1;
  const value = JSON.stringify({
    type: 'room.event',
    roomId,
    event: {
      eventSeq,
      event: 'message.new',
      data: {
        id: randomUUID(),
        roomId,
        seq: eventSeq,
        userId: randomUUID(),
        username: `user${i % 997}`,
        content: `an unserved room's message ${i} `.padEnd(200, 'x'),
        type: 'text',
        clientMsgId: randomUUID(),
        mentions: [],
        threadRootId: null,
        createdAt: new Date().toISOString(),
      },
      createdAt: new Date().toISOString(),
    },
  });
  return {
    key: roomId,
    value,
    headers: {
      'chat-event-id': randomUUID(),
      'chat-event-type': 'room.event',
      'chat-room-event': 'message.new',
      'chat-schema-version': '1',
      'source-instance': 'bench-flood',
    },
  };
}

/**
 * Writes `rate` records/s for `durationMs` (open loop, one produce request per 10 ms tick), then
 * waits until `observer` has skipped every one of them. Returns the observer's CPU per record,
 * less its idle CPU (`idleCpuPerMs`, measured before) over the same wall time.
 */
export async function floodUnserved({ brokers, topic, rate, durationMs, observer, idleCpuPerMs }) {
  const kafka = new kafkajs.Kafka({
    clientId: 'bench-flood',
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer = kafka.producer({
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    const k0 = await metricValue(observer, 'kafka_skipped_records_total');
    const s0 = observer.stats();
    const t0 = performance.now();
    let sent = 0;
    let late = 0;
    for (let tick = 1; performance.now() - t0 < durationMs; tick++) {
      const due = Math.min(
        Math.floor((rate * durationMs) / 1000),
        Math.floor(((performance.now() - t0) * rate) / 1000),
      );
      while (due > sent) {
        // At most 500 per request: the broker refuses a batch over its message.max.bytes.
        const upTo = Math.min(due, sent + 500);
        const messages = [];
        for (let i = sent; i < upTo; i++) messages.push(record(i));
        await producer.send({ topic, acks: 1, messages });
        sent = upTo;
      }
      const wait = t0 + tick * 10 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else late++;
    }
    // Every record skipped by the observer: the CPU it spent on them is all in.
    const deadline = performance.now() + 60_000;
    let skipped = 0;
    for (;;) {
      skipped = (await metricValue(observer, 'kafka_skipped_records_total')) - k0;
      if (skipped >= sent || performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const wallMs = performance.now() - t0;
    const cpuMs = observer.stats().cpuMs - s0.cpuMs;
    return {
      rate,
      sent,
      achievedRate: (sent * 1000) / durationMs,
      skipped,
      wallMs,
      cpuMs,
      idleCpuMs: idleCpuPerMs * wallMs,
      usPerRecord: ((cpuMs - idleCpuPerMs * wallMs) * 1000) / Math.max(1, sent),
      lateTicks: late,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
