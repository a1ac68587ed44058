// The Kafka broker goes away mid-run: two service processes keep acknowledging sends (WS
// message.ack, REST 201) and report the bus down on /health/ready; when the broker is back the
// outbox brings every stored message over, and subscribers on both instances get each one once,
// in order. The broker is this file's own (scripts/kafka-broker.mjs, own ports and data), never
// the shared one other files use.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import {
  assertReceivedExactly,
  indexAcks,
  progress,
  reached,
  sendVia,
  type Acked,
  type SendChannel,
} from '../support/chat-load.js';
import { DedicatedBroker, dedicatedPorts } from '../support/dedicated-broker.js';
import { createRoom, http, joinRoom, registerUser } from '../support/http.js';
import { testBrokers } from '../support/kafka.js';
import {
  newJwtSecret,
  REPO_ROOT,
  startServices,
  stopAll,
  uniqueTopic,
  withServiceLogs,
  type ServiceProcess,
} from '../support/service-process.js';
import { delay, mapPool, waitFor } from '../support/wait.js';
import { connectWithTicket, queryDb, type Frame, type WsTestClient } from '../support/ws-client.js';

const broker = new DedicatedBroker({
  ...dedicatedPorts(1),
  dataDir: join(REPO_ROOT, '.data', 'kafka-outage'),
});
const topic = uniqueTopic('outage');
const jwtSecret = newJwtSecret();

async function readyStatus(
  svc: ServiceProcess,
): Promise<{ status: number; body: { details?: Record<string, unknown> } | null }> {
  const res = await http(svc.baseUrl, 'GET', '/health/ready');
  return { status: res.status, body: res.body };
}

async function outboxCount(rooms: string[]): Promise<number> {
  const [row] = await queryDb<{ n: number }>(
    `SELECT count(*)::int AS n FROM room_events WHERE unpublished AND room_id = ANY($1::uuid[])`,
    [rooms],
  );
  return row.n;
}

describe('broker outage with two service processes', () => {
  let s1: ServiceProcess | undefined;
  let s2: ServiceProcess | undefined;
  const sockets: WsTestClient[] = [];
  const services = () => [s1, s2];
  const events: string[] = [];
  const mark = (what: string) => events.push(`${new Date().toISOString()} ${what}`);

  beforeAll(async () => {
    testBrokers(); // fails the suite with the setup's explanation when there is no Java/Kafka here
    await broker.destroy(); // whatever an interrupted run left behind
    await broker.start();
    [s1, s2] = await startServices([
      { name: 'outage-1', brokers: broker.brokers, topic, jwtSecret },
      { name: 'outage-2', brokers: broker.brokers, topic, jwtSecret },
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const c of sockets) c.terminate();
    await stopAll(services());
    await broker.destroy();
  }, 60_000);

  /**
   * Traffic through both instances (WS and REST) before, during and after an outage of the
   * broker; `kill` crashes it (SIGKILL) instead of stopping it, `holdMs` keeps it away at least
   * that long while messages keep coming.
   */
  async function outage(name: string, opts: { kill: boolean; holdMs: number }): Promise<void> {
    const [a, b] = [s1!, s2!];
    const alice = await registerUser(a.baseUrl);
    const bob = await registerUser(b.baseUrl);
    const rooms: string[] = [];
    for (let i = 0; i < 3; i++) {
      const room = await createRoom(a.baseUrl, alice);
      expect((await joinRoom(b.baseUrl, bob, room.id)).status).toBe(200);
      rooms.push(room.id);
    }
    const connect = async (svc: ServiceProcess, user: typeof alice) => {
      const c = await connectWithTicket(svc, user);
      sockets.push(c);
      return c;
    };
    const sub1 = await connect(a, alice);
    const sub2 = await connect(b, bob);
    for (const r of rooms) {
      await sub1.subscribe(r);
      await sub2.subscribe(r);
    }
    const channels: SendChannel[] = [
      { kind: 'ws', label: 'ws@1', client: await connect(a, alice) },
      { kind: 'ws', label: 'ws@2', client: await connect(b, bob) },
      { kind: 'rest', label: 'rest@1', endpoint: a, user: alice },
      { kind: 'rest', label: 'rest@2', endpoint: b, user: bob },
    ];
    const acks: Acked[] = [];
    let n = 0;
    /** `count` messages round-robin over rooms and channels, 4 in flight per channel. */
    const sendBatch = async (count: number, tag: string) => {
      const items = [...Array(count).keys()].map(() => n++);
      const res = (
        await Promise.all(
          channels.map((ch, c) =>
            mapPool(
              items.filter((i) => i % channels.length === c),
              4,
              (i) => sendVia(ch, rooms[i % rooms.length], `${tag} ${i}`, `${name}-${tag}-${i}`),
            ),
          ),
        )
      ).flat();
      acks.push(...res);
      return res;
    };
    const bothReceived = async (what: string, timeoutMs: number) => {
      const { lastSeq } = indexAcks(acks);
      await waitFor(() => reached([sub1], lastSeq) && reached([sub2], lastSeq), what, {
        timeoutMs,
        intervalMs: 100,
        describe: () =>
          `instance 1: ${progress([sub1], lastSeq)} | instance 2: ${progress([sub2], lastSeq)}`,
      });
    };

    // 1. Broker up: the normal path.
    await sendBatch(30, 'before');
    await bothReceived('delivery before the outage', 20_000);
    for (const s of [a, b]) expect((await readyStatus(s)).status).toBe(200);
    await waitFor(async () => (await outboxCount(rooms)) === 0, 'the outbox to be empty', {
      timeoutMs: 10_000,
      intervalMs: 100,
    });

    // 2. Broker down: sends are still stored and acknowledged, on both instances, both ways.
    mark(`${name}: ${opts.kill ? 'killing' : 'stopping'} the broker`);
    await broker.stop(opts.kill);
    const downSince = Date.now();
    mark(`${name}: broker down`);
    let during = (await sendBatch(60, 'during')).length;
    mark(`${name}: 60 sends acked during the outage`);
    // Nothing can have reached Kafka: every one of them waits in the outbox.
    expect(await outboxCount(rooms)).toBe(60);
    // Readiness says the bus is down (a load balancer stops sending new clients here).
    for (const s of [a, b]) {
      const r = await waitFor(
        async () => {
          const r = await readyStatus(s);
          return r.status === 503 ? r : null;
        },
        `${s.name} to report not ready while the broker is down`,
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      // The 503 body is the contract's error body today; should it carry terminus' details,
      // they must name the bus, not the database.
      if (r.body?.details) {
        expect(r.body.details.bus).toMatchObject({ status: 'down', driver: 'kafka' });
        expect(r.body.details.database).toMatchObject({ status: 'up' });
      }
    }
    mark(`${name}: both instances report 503`);
    // A read marker still moves, and the reader's own sockets on that instance hear of it once
    // the instance knows the broker is away (read.updated has no outbox record: without the
    // broker, local delivery is what is left). Each try is a new message from bob, read by alice.
    let heard: Frame | null = null;
    for (let attempt = 0; heard === null && attempt < 30; attempt++) {
      const fromBob = await sendVia(
        channels[3],
        rooms[0],
        `${name} unread ${attempt}`,
        `${name}-unread-${attempt}`,
      );
      acks.push(fromBob);
      during++;
      const readFrom = sub1.frames.length;
      const read = await http(a.baseUrl, 'POST', `/api/rooms/${rooms[0]}/read`, {
        token: alice.accessToken,
        body: { seq: fromBob.seq },
      });
      expect(read.status).toBe(204);
      heard = await sub1
        .waitFor(
          (f) =>
            f.event === 'read.updated' &&
            f.data.roomId === rooms[0] &&
            f.data.lastReadSeq === fromBob.seq,
          1000,
          readFrom,
        )
        .catch(() => null);
    }
    expect(heard?.data.unreadCount).toBe(0);
    mark(`${name}: read.updated heard on the reader's instance during the outage`);
    // A longer outage: messages keep coming while the broker stays away.
    while (Date.now() - downSince < opts.holdMs) {
      during += (await sendBatch(12, 'during')).length;
      await delay(500); // pacing the traffic, not waiting for an outcome
    }
    expect(await outboxCount(rooms)).toBe(during);
    for (const s of [a, b]) expect((await readyStatus(s)).status).toBe(503);

    // 3. Broker back: readiness recovers, the outbox drains, and everything is delivered.
    await broker.start();
    mark(
      `${name}: broker started after ${Date.now() - downSince} ms down, ${during} messages stored`,
    );
    for (const s of [a, b])
      await waitFor(
        async () => (await readyStatus(s)).status === 200,
        `${s.name} to report ready again`,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    mark(`${name}: both instances ready`);
    await bothReceived('delivery of the messages stored during the outage', 60_000);
    mark(`${name}: outage messages delivered`);
    await waitFor(async () => (await outboxCount(rooms)) === 0, 'the outbox to drain', {
      timeoutMs: 30_000,
      intervalMs: 250,
    });

    // 4. And the live path works again.
    await sendBatch(12, 'after');
    await bothReceived('delivery after the outage', 20_000);
    mark(`${name}: messages after the outage delivered`);

    const { lastSeq, ids } = indexAcks(acks);
    expect(ids.size).toBe(30 + during + 12);
    await sub1.roundTrip();
    await sub2.roundTrip();
    const expected = new Map([...lastSeq].map(([r, to]) => [r, { to }]));
    assertReceivedExactly('subscriber on instance 1', [sub1], expected, ids);
    assertReceivedExactly('subscriber on instance 2', [sub2], expected, ids);
  }

  const timeline = () => `timeline:\n${events.join('\n')}`;

  it(
    'sends are acked while the broker is stopped; afterwards every message reaches both instances once, in order',
    withServiceLogs(services, () => outage('stop', { kill: false, holdMs: 0 }), timeline),
    120_000,
  );

  it(
    'the same when the broker crashes (SIGKILL) and stays away for over ten seconds while traffic continues',
    withServiceLogs(services, () => outage('crash', { kill: true, holdMs: 10_000 }), timeline),
    120_000,
  );

  afterAll(() => console.log(`broker outage ${timeline()}`));
});
