// What the service leaves on the broker, seen with Kafka's own admin API: restarts (clean and
// SIGKILL) leave no fan-out consumer group behind, the live ones commit no offsets, and every
// record on the topic is a ChatEvent with the headers an outside consumer relies on (no readiness
// probe records).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { createRoom, joinRoom, registerUser, sendMessage } from '../support/http.js';
import { deleteTopics, testBrokers } from '../support/kafka.js';
import {
  newJwtSecret,
  startService,
  stopAll,
  uniqueTopic,
  withServiceLogs,
  type ServiceProcess,
} from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { connectWithTicket, type WsTestClient } from '../support/ws-client.js';

const topic = uniqueTopic('groups');
const jwtSecret = newJwtSecret();
// The service's default KAFKA_CLIENT_ID; names unique to this file (other files share the broker).
const PREFIX = 'chat-backend.fanout.';
const NAME_A = `groups-a-${topic.slice(-6)}`;
const NAME_B = `groups-b-${topic.slice(-6)}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEADERS = ['chat-event-id', 'chat-event-type', 'chat-schema-version', 'source-instance'];

function admin(brokers: string) {
  return new kafkajs.Kafka({
    clientId: 'chat-test-groups',
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
}

/** This file's fan-out groups as the broker sees them: id, state, member count. */
async function ourGroups(
  brokers: string,
): Promise<{ groupId: string; state: string; members: number }[]> {
  const a = admin(brokers);
  await a.connect();
  try {
    const ids = (await a.listGroups()).groups
      .map((g) => g.groupId)
      // Any fan-out group of these instances, whatever its naming scheme.
      .filter((id) => id.includes(`fanout.${NAME_A}.`) || id.includes(`fanout.${NAME_B}.`));
    if (ids.length === 0) return [];
    const { groups } = await a.describeGroups(ids);
    return groups
      .filter((g) => g.state !== 'Dead')
      .map((g) => ({ groupId: g.groupId, state: g.state, members: g.members.length }));
  } finally {
    await a.disconnect();
  }
}

/** Every record on the topic, read from the beginning by a throwaway group (deleted after). */
async function readWholeTopic(brokers: string): Promise<KafkaMessage[]> {
  const kafka = new kafkajs.Kafka({
    clientId: 'chat-test-reader',
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const a = kafka.admin();
  await a.connect();
  const ends = await a.fetchTopicOffsets(topic);
  const total = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
  const groupId = `chat-test-reader.${topic}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  const records: KafkaMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        records.push(message);
      },
    });
    await waitFor(() => records.length >= total, `reading all ${total} records`, {
      timeoutMs: 30_000,
      intervalMs: 100,
      describe: () => `${records.length} read`,
    });
  } finally {
    await consumer.disconnect();
    await a.deleteGroups([groupId]).catch(() => undefined);
    await a.disconnect();
  }
  return records;
}

const header = (h: IHeaders | undefined, name: string) =>
  h?.[name] === undefined ? undefined : String(h[name]);

describe('consumer groups and records on the broker', () => {
  let brokers = '';
  let a: ServiceProcess | undefined;
  let b: ServiceProcess | undefined;
  const sockets: WsTestClient[] = [];
  const services = () => [a, b];
  let lastSeen: unknown = null;

  beforeAll(async () => {
    brokers = testBrokers();
    a = await startService({ name: NAME_A, brokers, topic, jwtSecret });
  }, 90_000);

  afterAll(async () => {
    for (const c of sockets) c.terminate();
    await stopAll(services());
    await deleteTopics(brokers, [topic]);
  }, 60_000);

  it(
    'after restarts (clean and SIGKILL) only the live instances have a fan-out group, with no committed offsets',
    withServiceLogs(services, async () => {
      const alice = await registerUser(a!.baseUrl);
      const room = await createRoom(a!.baseUrl, alice);
      const sub = await connectWithTicket(a!, alice);
      sockets.push(sub);
      await sub.subscribe(room.id);
      let sent = 0;
      for (let i = 0; i < 4; i++) {
        b = await startService({ name: NAME_B, brokers, topic, jwtSecret });
        // The restarted instance publishes, and the live one receives it: both consume.
        expect((await sendMessage(b.baseUrl, alice, room.id, { content: `r${i}` })).status).toBe(
          201,
        );
        await sub.waitForMessages(room.id, ++sent, 20_000);
        if (i % 2 === 0) await b.stop();
        else await b.kill();
      }
      b = await startService({ name: NAME_B, brokers, topic, jwtSecret });

      // A killed instance's group outlives it by its session (10 s); a live instance's sweep
      // (every 15 s) then deletes it.
      const groups = await waitFor(
        async () => {
          const g = await ourGroups(brokers);
          lastSeen = g;
          return g.length === 2 && g.every((x) => x.state === 'Stable') ? g : null;
        },
        'only the two live fan-out groups to remain',
        { timeoutMs: 60_000, intervalMs: 500, describe: () => JSON.stringify(lastSeen) },
      );
      expect(groups.map((g) => g.groupId.slice(PREFIX.length).split('.')[0]).sort()).toEqual(
        [NAME_A, NAME_B].sort(),
      );
      expect(groups.every((g) => g.members === 1)).toBe(true);

      // No committed offsets, so no lag to alert on, ever.
      const adm = admin(brokers);
      await adm.connect();
      try {
        for (const g of groups) {
          const offsets = await adm.fetchOffsets({ groupId: g.groupId, topics: [topic] });
          for (const p of offsets[0]?.partitions ?? []) expect(p.offset).toBe('-1');
        }
      } finally {
        await adm.disconnect();
      }
    }),
    240_000,
  );
  it(
    'every record on the topic is a ChatEvent with id, type, schema version and source instance headers; no probe records',
    withServiceLogs(services, async () => {
      const alice = await registerUser(a!.baseUrl);
      const bob = await registerUser(b!.baseUrl);
      const room = await createRoom(a!.baseUrl, alice);
      expect((await joinRoom(b!.baseUrl, bob, room.id)).status).toBe(200);
      const sub = await connectWithTicket(a!, alice);
      sockets.push(sub);
      await sub.subscribe(room.id);
      const res = await sendMessage(b!.baseUrl, bob, room.id, { content: 'with headers' });
      expect(res.status).toBe(201);
      await sub.waitForMessages(room.id, 1, 20_000);

      const records = await readWholeTopic(brokers);
      expect(records.length).toBeGreaterThan(0);
      const types = new Set<string>();
      const idByPlace = new Map<string, string>();
      const placeById = new Map<string, string>();
      for (const r of records) {
        const value = r.value?.toString() ?? '';
        expect(value).not.toBe('{}');
        expect(header(r.headers, 'x-chat-probe')).toBeUndefined();
        for (const h of HEADERS)
          expect({ h, v: header(r.headers, h) }).toEqual({ h, v: expect.any(String) });
        const event = JSON.parse(value) as {
          type: string;
          roomId?: string;
          event?: { event: string; eventSeq: number; data: { id?: string } };
        };
        expect(header(r.headers, 'chat-event-type')).toBe(event.type);
        expect(header(r.headers, 'chat-schema-version')).toBe('1');
        expect([NAME_A, NAME_B]).toContain(header(r.headers, 'source-instance'));
        expect(header(r.headers, 'chat-event-id')).toMatch(UUID);
        if (event.type === 'room.event') {
          // A room event's id is derived from its place in the room's log, so a record the
          // outbox publishes again carries the same id and a consumer can drop the duplicate.
          const place = `${event.roomId}:${event.event!.eventSeq}`;
          const id = header(r.headers, 'chat-event-id')!;
          expect(idByPlace.get(place) ?? id).toBe(id);
          idByPlace.set(place, id);
          placeById.set(id, placeById.get(id) ?? place);
          expect(placeById.get(id)).toBe(place);
        }
        types.add(event.type);
      }
      expect(types).toContain('room.event');
      const mine = records.filter((r) => r.value?.toString().includes('with headers'));
      expect(mine).not.toHaveLength(0);
      for (const r of mine) {
        expect(header(r.headers, 'source-instance')).toBe(NAME_B);
        const event = JSON.parse(r.value!.toString()) as {
          event: { event: string; data: { id: string } };
        };
        expect(event.event).toMatchObject({ event: 'message.new', data: { id: res.body.id } });
      }
    }),
    120_000,
  );
});
