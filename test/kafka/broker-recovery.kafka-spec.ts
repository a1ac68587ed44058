// Instances recover from the broker by themselves, whatever kafkajs calls the error: the broker
// is taken away again and again while the instances are finding their group coordinator and
// joining their groups (the moments kafkajs gives up with "Failed to find group coordinator"), and
// an instance is booted before its broker and topic exist. The broker is this file's own
// (scripts/kafka-broker.mjs, own ports and data), never the shared one other files use.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { DedicatedBroker, dedicatedPorts } from '../support/dedicated-broker.js';
import { createRoom, http, joinRoom, registerUser, sendMessage } from '../support/http.js';
import { listTopics, testBrokers } from '../support/kafka.js';
import {
  newJwtSecret,
  REPO_ROOT,
  startService,
  startServices,
  stopAll,
  uniqueTopic,
  withServiceLogs,
  type ServiceProcess,
} from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { connectWithTicket, type WsTestClient } from '../support/ws-client.js';

const broker = new DedicatedBroker({
  ...dedicatedPorts(2),
  dataDir: join(REPO_ROOT, '.data', 'kafka-recovery'),
});
const topic = uniqueTopic('recovery');
const jwtSecret = newJwtSecret();
const NAMES = ['recovery-a', 'recovery-b'];
// Info level: the recovery is logged at info ("kafka consumer recovered").
const env = { LOG_LEVEL: 'info' };

async function ready(svc: ServiceProcess): Promise<boolean> {
  return (
    (await http(svc.baseUrl, 'GET', '/health/ready').catch(() => ({ status: 0 }))).status === 200
  );
}

/** Fan-out groups of these instances on the dedicated broker right now (throws while it is away). */
async function ourGroups(): Promise<string[]> {
  const admin = new kafkajs.Kafka({
    clientId: 'chat-test-recovery',
    brokers: [broker.brokers],
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((id) => NAMES.some((n) => id.includes(`fanout.${n}.`)));
  } finally {
    await admin.disconnect();
  }
}

describe('instances recover from broker outages at the worst moments', () => {
  let a: ServiceProcess | undefined;
  let b: ServiceProcess | undefined;
  let late: ServiceProcess | undefined;
  const sockets: WsTestClient[] = [];
  const services = () => [a, b, late];
  const events: string[] = [];
  const mark = (what: string) => events.push(`${new Date().toISOString()} ${what}`);
  const timeline = () => `timeline:\n${events.join('\n')}`;

  beforeAll(async () => {
    testBrokers(); // fails the suite with the setup's explanation when there is no Java/Kafka here
    await broker.destroy(); // whatever an interrupted run left behind
    await broker.start();
    [a, b] = await startServices(
      NAMES.map((name) => ({ name, brokers: broker.brokers, topic, jwtSecret, env })),
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of sockets) c.terminate();
    await stopAll(services());
    await broker.destroy();
    console.log(`broker recovery ${timeline()}`);
  }, 60_000);

  it(
    'the broker taken away while consumers find their coordinator and join, four times: both instances are ready again and deliver across',
    withServiceLogs(
      services,
      async () => {
        const alice = await registerUser(a!.baseUrl);
        const bob = await registerUser(b!.baseUrl);
        const room = await createRoom(a!.baseUrl, alice);
        expect((await joinRoom(b!.baseUrl, bob, room.id)).status).toBe(200);
        const onA = await connectWithTicket(a!, alice);
        const onB = await connectWithTicket(b!, bob);
        sockets.push(onA, onB);
        await onA.subscribe(room.id);
        await onB.subscribe(room.id);

        /** When to take the broker away again after it came back, round by round. */
        const moments: { what: string; kill: boolean; until: () => Promise<boolean> }[] = [
          { what: 'as soon as it serves clients', kill: true, until: async () => true },
          {
            what: 'once a fan-out group of ours is on it (a join under way)',
            kill: true,
            until: async () => (await ourGroups()).length > 0,
          },
          {
            what: 'once one instance is ready again (the other may be mid-join)',
            kill: false,
            until: async () => (await ready(a!)) || (await ready(b!)),
          },
          {
            what: 'once a fan-out group of ours is on it, gracefully',
            kill: false,
            until: async () => (await ourGroups()).length > 0,
          },
        ];
        for (const [i, m] of moments.entries()) {
          await broker.stop(true);
          mark(`round ${i + 1}: broker killed`);
          // A send on each side: the publisher notices at once, the consumer when it next asks.
          await sendMessage(a!.baseUrl, alice, room.id, { content: `down ${i} a` });
          await sendMessage(b!.baseUrl, bob, room.id, { content: `down ${i} b` });
          for (const s of [a!, b!])
            await waitFor(async () => !(await ready(s)), `${s.name} to report not ready`, {
              timeoutMs: 30_000,
              intervalMs: 100,
            });
          await broker.start();
          mark(`round ${i + 1}: broker back`);
          await waitFor(m.until, `round ${i + 1}: ${m.what}`, {
            timeoutMs: 60_000,
            intervalMs: 50,
          });
          await broker.stop(m.kill);
          mark(`round ${i + 1}: broker ${m.kill ? 'killed' : 'stopped'} ${m.what}`);
        }

        await broker.start();
        mark('broker back for good');
        for (const s of [a!, b!])
          await waitFor(() => ready(s), `${s.name} to report ready again`, {
            timeoutMs: 90_000,
            intervalMs: 250,
          });
        mark('both instances ready');

        // A message sent on B reaches the socket on A, and the other way round.
        const fromB = await sendMessage(b!.baseUrl, bob, room.id, { content: 'after, from b' });
        expect(fromB.status).toBe(201);
        await onA.waitForSeq(room.id, fromB.body.seq, 30_000);
        const fromA = await sendMessage(a!.baseUrl, alice, room.id, { content: 'after, from a' });
        expect(fromA.status).toBe(201);
        await onB.waitForSeq(room.id, fromA.body.seq, 30_000);
        mark('delivered across both ways');

        // Each said what happened: the consumer given up and recreated, then recovered.
        for (const s of [a!, b!]) {
          expect(s.lines('recreating it').length).toBeGreaterThan(0);
          expect(s.lines('kafka consumer recovered').length).toBeGreaterThan(0);
        }
      },
      timeline,
    ),
    420_000,
  );

  it(
    'an instance started while its broker is down and its topic does not exist waits, creates the topic and becomes ready',
    withServiceLogs(
      services,
      async () => {
        await broker.stop(true);
        mark('boot: broker killed');
        const lateTopic = uniqueTopic('recovery-boot');
        const starting = startService({
          name: 'recovery-late',
          brokers: broker.brokers,
          topic: lateTopic,
          jwtSecret,
          env,
          readyTimeoutMs: 120_000,
          onSpawn: (s) => (late = s),
        });
        await waitFor(
          () => late !== undefined && late.lines('kafka not available yet at boot').length > 0,
          'the late instance to retry its boot',
          { timeoutMs: 30_000, intervalMs: 100 },
        );
        expect(late!.running).toBe(true);
        await broker.start();
        mark('boot: broker started');
        late = await starting;
        mark('boot: late instance ready');
        // It made its topic. Its log says so at most once: a createTopics that fails retriably
        // after the broker made the topic (a busy machine) is retried, finds it, and says nothing.
        expect(late.lines('created topic').length).toBeLessThanOrEqual(1);
        expect(await listTopics(broker.brokers)).toContain(lateTopic);

        const u = await registerUser(late.baseUrl);
        const room = await createRoom(late.baseUrl, u);
        const sub = await connectWithTicket(late, u);
        sockets.push(sub);
        await sub.subscribe(room.id);
        const res = await sendMessage(late.baseUrl, u, room.id, { content: 'through kafka' });
        expect(res.status).toBe(201);
        await sub.waitForSeq(room.id, res.body.seq, 20_000);
      },
      timeline,
    ),
    240_000,
  );
});
