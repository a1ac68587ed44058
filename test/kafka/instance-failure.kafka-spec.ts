// One of two service processes dies (SIGKILL) while messages flow. Its clients reconnect to the
// survivor (a new ticket from the survivor's REST API) with afterSeq = the last seq they saw and
// miss nothing: over both connections each message arrives exactly once, in seq order. Outbox
// records the dead instance left behind are swept by the survivor.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  assertReceivedExactly,
  progress,
  reached,
  receivedByRoom,
  sendVia,
  type Acked,
  type SendChannel,
} from '../support/chat-load.js';
import { createRoom, joinRoom, registerUser, type TestUser } from '../support/http.js';
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
import { connectWithTicket, queryDb, type WsTestClient } from '../support/ws-client.js';

let brokers = '';
const topic = uniqueTopic('failover');
const jwtSecret = newJwtSecret();

async function outboxCount(rooms: string[]): Promise<number> {
  const [row] = await queryDb<{ n: number }>(
    `SELECT count(*)::int AS n FROM room_events WHERE unpublished AND room_id = ANY($1::uuid[])`,
    [rooms],
  );
  return row.n;
}

/**
 * What an instance leaves behind when it dies between commit and publish: a stored message with
 * its message.new room event still marked unpublished (what the append statement writes with the
 * Kafka bus), never published.
 */
async function commitUnpublished(roomId: string, userId: string, content: string): Promise<number> {
  const [row] = await queryDb<{ seq: string }>(
    `WITH s AS (UPDATE rooms SET last_seq = last_seq + 1, last_event_seq = last_event_seq + 1
                WHERE id = $1 RETURNING last_seq, last_event_seq),
          m AS (INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, client_msg_id)
                SELECT $1, s.last_seq, s.last_event_seq, $2, $3, 'text', NULL FROM s
                RETURNING *),
          e AS (INSERT INTO room_events (room_id, event_seq, kind, data, unpublished)
                SELECT m.room_id, s.last_event_seq, 'message.new',
                       chat_message_view(m::messages, u.username) || jsonb_build_object('eventSeq', s.last_event_seq),
                       true
                  FROM m, s, users u WHERE u.id = m.user_id)
     SELECT seq FROM m`,
    [roomId, userId, content],
  );
  return Number(row.seq);
}

describe('an instance killed mid-run', () => {
  let s1: ServiceProcess | undefined;
  let s2: ServiceProcess | undefined;
  const sockets: WsTestClient[] = [];
  const services = () => [s1, s2];
  const events: string[] = [];
  const mark = (what: string) => events.push(`${new Date().toISOString()} ${what}`);

  beforeAll(async () => {
    brokers = testBrokers(); // fails the suite with the setup's explanation when no broker
    [s1, s2] = await startServices([
      { name: 'failover-1', brokers, topic, jwtSecret },
      { name: 'failover-2', brokers, topic, jwtSecret },
    ]);
  }, 90_000);

  afterAll(async () => {
    for (const c of sockets) c.terminate();
    await stopAll(services());
    await deleteTopics(brokers, [topic]);
  }, 60_000);

  it(
    "the dead instance's clients resume on the survivor with afterSeq and miss nothing; its outbox is swept",
    withServiceLogs(
      services,
      async () => {
        const [doomed, survivor] = [s1!, s2!];
        const connect = async (svc: ServiceProcess, user: TestUser) => {
          const c = await connectWithTicket(svc, user);
          sockets.push(c);
          return c;
        };
        const users = await Promise.all([
          registerUser(doomed.baseUrl),
          registerUser(survivor.baseUrl),
          registerUser(doomed.baseUrl),
          registerUser(survivor.baseUrl),
        ]);
        const rooms: string[] = [];
        for (let i = 0; i < 3; i++) {
          const room = await createRoom(i % 2 ? survivor.baseUrl : doomed.baseUrl, users[0]);
          for (const [j, u] of users.slice(1).entries())
            expect((await joinRoom((j % 2 ? doomed : survivor).baseUrl, u, room.id)).status).toBe(
              200,
            );
          rooms.push(room.id);
        }

        // Clients of the doomed instance (the ones that must fail over) and a watcher on the
        // survivor that stays connected throughout.
        const victims = [
          { label: 'victim A', user: users[0], rooms, conns: [await connect(doomed, users[0])] },
          {
            label: 'victim B',
            user: users[2],
            rooms: [rooms[0]],
            conns: [await connect(doomed, users[2])],
          },
        ];
        const watcher = await connect(survivor, users[1]);
        for (const v of victims) for (const r of v.rooms) await v.conns[0].subscribe(r);
        for (const r of rooms) await watcher.subscribe(r);

        // Traffic through both instances, WS and REST, until told to stop. Sends through the
        // doomed instance may fail once it is dead (their outcome is read from the database);
        // sends through the survivor must all be acked.
        const channels: (SendChannel & { svc: ServiceProcess })[] = [
          { kind: 'ws', label: 'ws@doomed', client: await connect(doomed, users[2]), svc: doomed },
          { kind: 'rest', label: 'rest@doomed', endpoint: doomed, user: users[0], svc: doomed },
          {
            kind: 'ws',
            label: 'ws@survivor',
            client: await connect(survivor, users[1]),
            svc: survivor,
          },
          {
            kind: 'rest',
            label: 'rest@survivor',
            endpoint: survivor,
            user: users[3],
            svc: survivor,
          },
        ];
        const acks: Acked[] = [];
        let doomedFailures = 0;
        let stop = false;
        let killing = false;
        let n = 0;
        const pump = async (ch: (typeof channels)[number]) => {
          while (!stop) {
            const i = n++;
            try {
              acks.push(
                await sendVia(ch, rooms[i % rooms.length], `m${i} via ${ch.label}`, `f-${i}`),
              );
            } catch (err) {
              // The doomed instance died under this send (its socket closed, or no connection):
              // this pump is done. Whether the message was stored, the database says.
              if (ch.svc !== doomed || !killing) throw err;
              doomedFailures++;
              return;
            }
          }
        };
        const traffic = Promise.all(channels.flatMap((ch) => [pump(ch), pump(ch), pump(ch)]));
        traffic.catch(() => undefined); // awaited below; keeps an early rejection from being unhandled

        // Kill the doomed instance mid-flow: once each victim has seen a good part of every room.
        await waitFor(
          () => victims.every((v) => reached(v.conns, new Map(v.rooms.map((r) => [r, 25])))),
          'traffic to reach the victims',
          { timeoutMs: 30_000, intervalMs: 50 },
        );
        mark('killing the doomed instance');
        killing = true;
        const status = await doomed.kill();
        mark(`doomed instance exited (signal ${status.signal})`);
        expect(status.signal).toBe('SIGKILL');
        const leftBehind = await outboxCount(rooms);
        mark(`outbox records of these rooms right after the kill: ${leftBehind}`);

        // The victims notice, and come back on the survivor with afterSeq = what they last saw.
        for (const v of victims) {
          await v.conns[0].waitClosed(10_000);
          const seen = receivedByRoom(v.conns);
          const conn = await connect(survivor, v.user); // a new ticket from the survivor
          v.conns.push(conn);
          for (const r of v.rooms) {
            const list = seen.get(r) ?? [];
            const afterSeq = list.length ? list[list.length - 1].seq : 0;
            const sub = await conn.subscribe(r, afterSeq);
            expect(sub.data.lastSeq).toBeGreaterThanOrEqual(afterSeq);
          }
        }
        mark('victims resubscribed on the survivor');

        // More traffic after the failover, then a message the dead instance committed but never
        // published: only the survivor's outbox sweeper can bring that one to anybody.
        const base = acks.length;
        await waitFor(() => acks.length >= base + 60, 'traffic after the failover', {
          timeoutMs: 30_000,
        });
        stop = true;
        await traffic;
        mark(
          `traffic stopped: ${acks.length} acked, ${doomedFailures} lost with the doomed instance`,
        );
        const orphanSeq = await commitUnpublished(
          rooms[0],
          users[0].id,
          'left behind by the dead instance',
        );
        mark(`orphan committed as seq ${orphanSeq} of room ${rooms[0]}`);

        // Every message in the database reaches every subscriber, once, in order.
        const last = new Map(
          (
            await queryDb<{ id: string; last_seq: string }>(
              `SELECT id, last_seq FROM rooms WHERE id = ANY($1::uuid[])`,
              [rooms],
            )
          ).map((r) => [r.id, Number(r.last_seq)]),
        );
        expect(last.get(rooms[0])).toBe(orphanSeq);
        const subscribers = [
          ...victims.map((v) => ({ label: v.label, conns: v.conns, rooms: v.rooms })),
          { label: 'watcher', conns: [watcher], rooms },
        ];
        for (const s of subscribers) {
          const targets = new Map(s.rooms.map((r) => [r, last.get(r)!]));
          await waitFor(() => reached(s.conns, targets), `${s.label} to receive everything`, {
            timeoutMs: 30_000,
            intervalMs: 100,
            describe: () => progress(s.conns, targets),
          });
        }
        mark('everything delivered');
        await waitFor(
          async () => (await outboxCount(rooms)) === 0,
          'the survivor to sweep the outbox',
          {
            timeoutMs: 30_000,
            intervalMs: 250,
          },
        );
        for (const s of subscribers) await s.conns[s.conns.length - 1].roundTrip();
        const ids = new Map(acks.map((a) => [`${a.roomId}/${a.seq}`, a.id]));
        for (const s of subscribers)
          assertReceivedExactly(
            s.label,
            s.conns,
            new Map(s.rooms.map((r) => [r, { to: last.get(r)! }])),
            ids,
          );
        // The orphan came through Kafka to the survivor's subscribers.
        const orphan = watcher.messages(rooms[0]).find((m) => m.seq === orphanSeq);
        expect(orphan).toMatchObject({
          content: 'left behind by the dead instance',
          userId: users[0].id,
        });
        console.log(`instance failure timeline:\n${events.join('\n')}`);
      },
      () => `timeline:\n${events.join('\n')}`,
    ),
    120_000,
  );
});
