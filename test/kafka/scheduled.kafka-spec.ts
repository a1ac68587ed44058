// A scheduled message is sent exactly once across instances, even when the instance that claimed
// it dies. Two service processes on the real broker both run the sender with
// SCHEDULED_TEST_STALL_AFTER (a test-only knob): on a row's first claim, the claiming instance
// stalls, either right after claiming it or right after storing its message (before marking the
// row sent). Whichever instance claimed it (claimed_by) is then SIGKILLed at that known point, and
// the survivor takes the row over when the lease ends. Either way the room ends with one message
// of that content, seqs without a gap, the row sent with that message, and a subscriber on the
// survivor receives it once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { migrationsFor } from '../../migrations/index.js';
import { loadFeatureFlags } from '../../src/config/configuration.js';
import { buildDataSourceOptions } from '../../src/infrastructure/database/data-source-options.js';
import { createScratchDatabase } from '../support/db.js';
import {
  createRoom,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  type TestUser,
} from '../support/http.js';
import { deleteTopics, testBrokers } from '../support/kafka.js';
import {
  newJwtSecret,
  startServices,
  stopAll,
  uniqueTopic,
  withServiceLogs,
  type ServiceProcess,
} from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { connectWithTicket, type WsTestClient } from '../support/ws-client.js';

const jwtSecret = newJwtSecret();

// A database of this file's own: its instances run the scheduled sender, which takes every due
// row, and must neither take another suite's nor leave this file's to another suite's apps.
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let databaseUrl = '';
beforeAll(async () => {
  scratch = await createScratchDatabase();
  databaseUrl = scratch.url;
  const ds = new DataSource(
    buildDataSourceOptions(databaseUrl, migrationsFor(loadFeatureFlags(process.env).flags), 2),
  );
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
}, 60_000);
afterAll(async () => {
  await scratch?.drop();
});

async function queryDb<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

interface Row {
  status: string;
  claimed_by: string | null;
  attempts: number;
  message_id: string | null;
  message_seq: string | null;
}

const rowOf = async (id: string): Promise<Row> =>
  (
    await queryDb<Row>(
      `SELECT status, claimed_by, attempts, message_id, message_seq FROM scheduled_messages WHERE id = $1`,
      [id],
    )
  )[0];

const storedWith = async (roomId: string, content: string) =>
  queryDb<{ id: string; seq: string }>(
    `SELECT id, seq FROM messages WHERE room_id = $1 AND content = $2`,
    [roomId, content],
  );

describe.each(['append', 'claim'] as const)(
  'the instance holding a due scheduled message dies (stalled after the %s)',
  (stallAfter) => {
    let brokers = '';
    const topic = uniqueTopic(`scheduled-${stallAfter}`);
    let s1: ServiceProcess | undefined;
    let s2: ServiceProcess | undefined;
    const sockets: WsTestClient[] = [];
    const services = () => [s1, s2];

    beforeAll(async () => {
      brokers = testBrokers();
      const env = { SCHEDULED_SENDER_ENABLED: 'true', SCHEDULED_TEST_STALL_AFTER: stallAfter };
      [s1, s2] = await startServices([
        { name: `sched-${stallAfter}-1`, brokers, topic, jwtSecret, databaseUrl, env },
        { name: `sched-${stallAfter}-2`, brokers, topic, jwtSecret, databaseUrl, env },
      ]);
    }, 90_000);

    afterAll(async () => {
      for (const c of sockets) c.terminate();
      await stopAll(services());
      await deleteTopics(brokers, [topic]);
    }, 60_000);

    it(
      'another instance sends it when the lease ends: one message, gapless seqs, delivered once',
      withServiceLogs(services, async () => {
        const [a, b] = [s1!, s2!];
        const [alice, bob]: TestUser[] = await Promise.all([
          registerUser(a.baseUrl),
          registerUser(b.baseUrl),
        ]);
        const room = await createRoom(a.baseUrl, alice);
        expect((await joinRoom(b.baseUrl, bob, room.id)).status).toBe(200);
        expect((await sendMessage(a.baseUrl, alice, room.id, { content: 'before' })).status).toBe(
          201,
        );
        // A subscriber on each instance: whichever survives must deliver it.
        const watchers = new Map<string, WsTestClient>();
        for (const svc of [a, b]) {
          const ws = await connectWithTicket(svc, bob);
          sockets.push(ws);
          await ws.subscribe(room.id);
          watchers.set(svc.name, ws);
        }

        const content = `scheduled once ${stallAfter} @${bob.username}`;
        const created = await http(b.baseUrl, 'POST', `/api/rooms/${room.id}/scheduled`, {
          token: alice.accessToken,
          // At least 10 s ahead when the request lands: 12 s leaves room for a busy machine.
          body: { content, sendAt: new Date(Date.now() + 12_000).toISOString() },
        });
        expect(created.status).toBe(201);
        const id = created.body.id as string;

        // The claim, and (stalled after the append) the message it stored before stalling.
        const claimed = await waitFor(
          async () => {
            const r = await rowOf(id);
            return r.claimed_by !== null ? r : null;
          },
          'a sender to claim the scheduled message',
          { timeoutMs: 30_000, intervalMs: 100 },
        );
        expect(claimed).toMatchObject({ status: 'pending', attempts: 1 });
        const holder = [a, b].find((s) => s.name === claimed.claimed_by)!;
        const survivor = holder === a ? b : a;
        expect(holder).toBeDefined();
        await waitFor(
          () => holder.lines('test stall: holding a claimed scheduled message').length > 0,
          'the claimer to stall',
          { timeoutMs: 15_000, describe: () => holder.tail(10) },
        );
        const before = await storedWith(room.id, content);
        expect(before).toHaveLength(stallAfter === 'append' ? 1 : 0);
        expect((await rowOf(id)).status).toBe('pending');

        holder.note('SIGKILL: it holds the claim');
        await holder.kill();

        // The survivor takes the row over once the lease (5 s) ends, and finishes it.
        const sent = await waitFor(
          async () => {
            const r = await rowOf(id);
            return r.status === 'sent' ? r : null;
          },
          'the survivor to send the scheduled message',
          { timeoutMs: 30_000, intervalMs: 100, describe: () => survivor.tail(10) },
        );
        expect(sent.attempts).toBe(2);
        expect(sent.claimed_by).toBe(survivor.name);

        const stored = await storedWith(room.id, content);
        expect(stored).toHaveLength(1);
        expect(sent.message_id).toBe(stored[0].id);
        if (stallAfter === 'append') expect(stored[0].id).toBe(before[0].id);
        expect(Number(sent.message_seq)).toBe(Number(stored[0].seq));

        // The survivor's subscriber gets it as an ordinary message, exactly once.
        const ws = watchers.get(survivor.name)!;
        const f = await ws.waitFor(
          (x) => x.event === 'message.new' && x.data.content === content,
          15_000,
        );
        expect(f.data).toMatchObject({
          userId: alice.id,
          seq: Number(stored[0].seq),
          mentions: [bob.id],
        });
        expect(
          (await sendMessage(survivor.baseUrl, alice, room.id, { content: 'after' })).status,
        ).toBe(201);
        await ws.waitFor((x) => x.event === 'message.new' && x.data.content === 'after', 15_000);
        expect(
          ws.frames.filter((x) => x.event === 'message.new' && x.data.content === content),
        ).toHaveLength(1);

        // One message of that content; the room's seqs 1..3 without a gap.
        const seqs = await queryDb<{ seq: string; content: string }>(
          `SELECT seq, content FROM messages WHERE room_id = $1 ORDER BY seq`,
          [room.id],
        );
        expect(seqs.map((m) => [Number(m.seq), m.content])).toEqual([
          [1, 'before'],
          [2, content],
          [3, 'after'],
        ]);
        const list = await http(survivor.baseUrl, 'GET', '/api/users/me/scheduled', {
          token: alice.accessToken,
        });
        expect(list.body.items).toEqual([
          expect.objectContaining({
            id,
            status: 'sent',
            messageId: stored[0].id,
            messageSeq: Number(stored[0].seq),
          }),
        ]);
      }),
      120_000,
    );
  },
);

describe('two healthy instances and many scheduled messages due at once', () => {
  let brokers = '';
  const topic = uniqueTopic('scheduled-race');
  let s1: ServiceProcess | undefined;
  let s2: ServiceProcess | undefined;
  const services = () => [s1, s2];

  beforeAll(async () => {
    brokers = testBrokers();
    // Small rounds, so the instances race for the rows round after round.
    const env = {
      SCHEDULED_SENDER_ENABLED: 'true',
      SCHEDULED_BATCH: '2',
      SCHEDULED_POLL_MS: '100',
    };
    [s1, s2] = await startServices([
      { name: 'sched-race-1', brokers, topic, jwtSecret, databaseUrl, env },
      { name: 'sched-race-2', brokers, topic, jwtSecret, databaseUrl, env },
    ]);
  }, 90_000);

  afterAll(async () => {
    await stopAll(services());
    await deleteTopics(brokers, [topic]);
  }, 60_000);

  it(
    'each is sent exactly once, within 2 s of sendAt, with gapless seqs',
    withServiceLogs(services, async () => {
      const [a, b] = [s1!, s2!];
      const alice = await registerUser(a.baseUrl);
      const room = await createRoom(a.baseUrl, alice);
      // sendAt must be at least 10 s ahead when each is created: 20 s leaves room for a busy
      // machine (with 11 s, twenty requests one after another on a loaded CI ran past it).
      const sendAt = new Date(Date.now() + 20_000).toISOString();
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          http(i % 2 ? b.baseUrl : a.baseUrl, 'POST', `/api/rooms/${room.id}/scheduled`, {
            token: alice.accessToken,
            body: { content: `due together ${i}`, sendAt },
          }),
        ),
      );
      const ids: string[] = [];
      for (const res of created) {
        expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
        ids.push(res.body.id);
      }
      const rows = await waitFor(
        async () => {
          const r = await queryDb<{
            status: string;
            claimed_by: string;
            attempts: number;
            finished_at: Date;
          }>(
            `SELECT status, claimed_by, attempts, finished_at FROM scheduled_messages WHERE id = ANY($1::uuid[])`,
            [ids],
          );
          return r.every((x) => x.status === 'sent') ? r : null;
        },
        'every scheduled message to be sent',
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(rows.every((r) => r.attempts === 1)).toBe(true);
      const latest = Math.max(...rows.map((r) => r.finished_at.getTime()));
      expect(latest - Date.parse(sendAt)).toBeLessThan(2000);
      const msgs = await queryDb<{ seq: string; content: string }>(
        `SELECT seq, content FROM messages WHERE room_id = $1 ORDER BY seq`,
        [room.id],
      );
      expect(msgs.map((m) => Number(m.seq))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(new Set(msgs.map((m) => m.content)).size).toBe(20);
    }),
    120_000,
  );
});
