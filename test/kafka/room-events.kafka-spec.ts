// Room events across instances (issue 12): two service processes on a real broker of this file's
// own, a mixed workload (sends over WS and REST, replies, edits, deletes, reactions added and
// removed) through both, the broker stopped and started again and one instance SIGKILLed
// mid-run. Every subscriber, on whichever instance, gets every room event exactly once, in
// eventSeq order, gapless from 1 to the room's lastEventSeq, as GET /events lists them; and a
// room event an instance never got over Kafka reaches its subscribers by the hub's gap fill,
// whatever its kind.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { DedicatedBroker, dedicatedPorts } from '../support/dedicated-broker.js';
import { createRoom, http, joinRoom, registerUser, type TestUser } from '../support/http.js';
import { testBrokers } from '../support/kafka.js';
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
import {
  connectWithTicket,
  metricValue,
  queryDb,
  type Frame,
  type WsTestClient,
} from '../support/ws-client.js';

const broker = new DedicatedBroker({
  ...dedicatedPorts(7),
  dataDir: join(REPO_ROOT, '.data', 'kafka-room-events'),
});
const topic = uniqueTopic('roomlog');
const jwtSecret = newJwtSecret();

const ROOM_EVENT_KINDS = new Set([
  'message.new',
  'message.edited',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'member.joined',
  'member.left',
  'room.updated',
]);

interface LoggedEvent {
  eventSeq: number;
  event: string;
  // Arbitrary JSON from the server; the test asserts its shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** One subscription of a subscriber on one connection: from `after`, what arrived live. */
interface Segment {
  conn: WsTestClient;
  roomId: string;
  after: number;
}

interface Subscriber {
  label: string;
  user: TestUser;
  rooms: string[];
  segments: Segment[];
}

/** A change the service acknowledged, and how to find its room event in the log. */
interface Expectation {
  what: string;
  roomId: string;
  event: string;
  matches: (data: LoggedEvent['data']) => boolean;
}

/** The room event frames of one room on one connection, in arrival order. */
function roomFrames(conn: WsTestClient, roomId: string): Frame[] {
  return conn.frames.filter((f) => ROOM_EVENT_KINDS.has(f.event) && f.data?.roomId === roomId);
}

/** Everything a subscriber got for a room, over all its connections, in the order it got it. */
function received(s: Subscriber, roomId: string): number[] {
  return s.segments
    .filter((g) => g.roomId === roomId)
    .flatMap((g) => roomFrames(g.conn, roomId).map((f) => f.data.eventSeq as number));
}

/** The last eventSeq a subscriber has for a room: its resume cursor. */
function position(s: Subscriber, roomId: string): number {
  const segs = s.segments.filter((g) => g.roomId === roomId);
  let pos = 0;
  for (const g of segs) {
    const got = roomFrames(g.conn, roomId);
    pos = got.length > 0 ? (got[got.length - 1].data.eventSeq as number) : g.after;
  }
  return pos;
}

/** room.subscribe with afterEventSeq, answered by room.subscribed (an error frame throws). */
async function subscribeAfter(
  s: Subscriber,
  conn: WsTestClient,
  roomId: string,
  afterEventSeq: number,
): Promise<Frame> {
  const from = conn.frames.length;
  s.segments.push({ conn, roomId, after: afterEventSeq });
  conn.send('room.subscribe', { roomId, afterEventSeq });
  const f = await conn.waitFor(
    (x) =>
      (x.event === 'room.subscribed' && x.data?.roomId === roomId) ||
      (x.event === 'error' && (x.data?.ref === 'room.subscribe' || x.data?.ref === roomId)),
    15_000,
    from,
  );
  if (f.event === 'error')
    throw new Error(`${s.label}: subscribe failed: ${JSON.stringify(f.data)}`);
  return f;
}

async function logOf(svc: ServiceProcess, user: TestUser, roomId: string): Promise<LoggedEvent[]> {
  const items: LoggedEvent[] = [];
  let cursor = '0';
  for (;;) {
    const res = await http(
      svc.baseUrl,
      'GET',
      `/api/rooms/${roomId}/events?afterEventSeq=${cursor}&limit=100`,
      { token: user.accessToken },
    );
    if (res.status !== 200)
      throw new Error(`GET /events: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...(res.body.items as LoggedEvent[]));
    if (res.body.nextCursor === null) return items;
    cursor = res.body.nextCursor as string;
  }
}

async function lastEventSeq(svc: ServiceProcess, user: TestUser, roomId: string): Promise<number> {
  const res = await http(svc.baseUrl, 'GET', `/api/rooms/${roomId}`, { token: user.accessToken });
  if (res.status !== 200) throw new Error(`GET room: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.lastEventSeq as number;
}

async function unpublished(rooms: string[]): Promise<number> {
  const [row] = await queryDb<{ n: number }>(
    `SELECT count(*)::int AS n FROM room_events WHERE unpublished AND room_id = ANY($1::uuid[])`,
    [rooms],
  );
  return row.n;
}

/** Checks an answer's status; throws with the answer otherwise. */
async function ok(
  what: string,
  status: number,
  call: Promise<{ status: number; body: unknown }>,
): Promise<Record<string, unknown>> {
  const res = await call;
  if (res.status !== status)
    throw new Error(`${what}: answered ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body ?? {}) as Record<string, unknown>;
}

/**
 * One client's stream of changes through one instance. Each pump owns the messages it sent (it
 * alone edits and deletes them) and its own two emojis (so no add or remove is ever a no-op).
 */
class Pump {
  private readonly own = new Map<string, string[]>();
  private readonly reacted = new Set<string>();
  private k = 0;

  constructor(
    readonly label: string,
    readonly svc: ServiceProcess,
    readonly user: TestUser,
    private readonly rooms: string[],
    private readonly roots: Map<string, string>,
    private readonly emojis: string[],
    private readonly ws: WsTestClient | null,
  ) {}

  /** Does the next change; answers what the log must show for it (null: nothing to do). */
  async step(): Promise<Expectation | null> {
    const k = this.k++;
    const ops = ['send', 'react', 'reply', 'edit', 'send', 'unreact', 'delete'] as const;
    const op = ops[k % ops.length];
    const roomId = this.rooms[Math.floor(k / ops.length) % this.rooms.length];
    const mine = this.own.get(roomId) ?? [];
    this.own.set(roomId, mine);
    const base = `${this.svc.baseUrl}`;
    const token = this.user.accessToken;
    const msgPath = (id: string) => `/api/rooms/${roomId}/messages/${id}`;
    const what = `${this.label} ${op} #${k}`;
    switch (op) {
      case 'send':
      case 'reply': {
        const content = `${this.label} ${op} ${k}`;
        const threadRootId = op === 'reply' ? this.roots.get(roomId)! : undefined;
        let id: string;
        if (this.ws && op === 'send') {
          const f = await this.ws.sendMessage(
            roomId,
            content,
            `${this.label.replace('@', '-at-')}-${k}`,
            30_000,
          );
          if (f.event !== 'message.ack') throw new Error(`${what}: ${JSON.stringify(f)}`);
          id = f.data.id as string;
        } else {
          const body = await ok(
            what,
            201,
            http(base, 'POST', `/api/rooms/${roomId}/messages`, {
              token,
              body: { content, ...(threadRootId ? { threadRootId } : {}) },
            }),
          );
          id = body.id as string;
        }
        if (op === 'send') mine.push(id);
        return {
          what,
          roomId,
          event: 'message.new',
          matches: (d) =>
            d.id === id && d.content === content && d.threadRootId === (threadRootId ?? null),
        };
      }
      case 'edit': {
        const id = mine[mine.length - 1];
        if (!id) return null;
        const content = `${this.label} edit ${k}`;
        await ok(what, 200, http(base, 'PATCH', msgPath(id), { token, body: { content } }));
        return {
          what,
          roomId,
          event: 'message.edited',
          matches: (d) => d.id === id && d.content === content,
        };
      }
      case 'delete': {
        const id = mine.shift();
        if (!id) return null;
        for (const key of [...this.reacted]) if (key.includes(id)) this.reacted.delete(key);
        await ok(what, 204, http(base, 'DELETE', msgPath(id), { token }));
        return { what, roomId, event: 'message.deleted', matches: (d) => d.id === id };
      }
      case 'react': {
        const target = mine[mine.length - 1] ?? this.roots.get(roomId)!;
        const emoji = this.emojis.find((e) => !this.reacted.has(`${roomId}|${target}|${e}`));
        if (!emoji) return null;
        this.reacted.add(`${roomId}|${target}|${emoji}`);
        const path = `${msgPath(target)}/reactions/${encodeURIComponent(emoji)}`;
        await ok(what, 204, http(base, 'PUT', path, { token }));
        return {
          what,
          roomId,
          event: 'reaction.added',
          matches: (d) => d.messageId === target && d.emoji === emoji && d.userId === this.user.id,
        };
      }
      case 'unreact': {
        const key = [...this.reacted].find((x) => x.startsWith(`${roomId}|`));
        if (!key) return null;
        this.reacted.delete(key);
        const [, target, emoji] = key.split('|');
        const path = `${msgPath(target)}/reactions/${encodeURIComponent(emoji)}`;
        await ok(what, 204, http(base, 'DELETE', path, { token }));
        return {
          what,
          roomId,
          event: 'reaction.removed',
          matches: (d) => d.messageId === target && d.emoji === emoji && d.userId === this.user.id,
        };
      }
    }
  }
}

describe('room events with two service processes, a broker outage and an instance killed', () => {
  let a: ServiceProcess | undefined;
  let b: ServiceProcess | undefined;
  let b2: ServiceProcess | undefined;
  let dark: ServiceProcess | undefined;
  const sockets: WsTestClient[] = [];
  const services = () => [a, b, b2, dark];
  const timeline: string[] = [];
  const mark = (what: string) => timeline.push(`${new Date().toISOString()} ${what}`);

  beforeAll(async () => {
    testBrokers(); // fails the suite with the setup's explanation when there is no Java/Kafka here
    await broker.destroy(); // whatever an interrupted run left behind
    await broker.start();
    [a, b, dark] = await startServices([
      { name: 'roomlog-a', brokers: broker.brokers, topic, jwtSecret },
      { name: 'roomlog-b', brokers: broker.brokers, topic, jwtSecret },
      // Same database, no Kafka at all: what it changes reaches A and B over no bus. Their
      // subscribers get it only by filling the gap by eventSeq from the log.
      {
        name: 'roomlog-dark',
        brokers: '',
        topic,
        jwtSecret,
        env: { KAFKA_BROKERS: undefined },
      },
    ]);
  }, 180_000);

  afterAll(async () => {
    for (const c of sockets) c.terminate();
    await stopAll(services());
    await broker.destroy();
  }, 60_000);

  it(
    'every subscriber gets every room event once, in eventSeq order, gapless, on every instance',
    withServiceLogs(
      services,
      async () => {
        const [sa, sb, sd] = [a!, b!, dark!];
        const connect = async (svc: ServiceProcess, user: TestUser) => {
          const c = await connectWithTicket(svc, user);
          sockets.push(c);
          return c;
        };
        const [alice, bob, carol, dave] = await Promise.all([
          registerUser(sa.baseUrl),
          registerUser(sb.baseUrl),
          registerUser(sa.baseUrl),
          registerUser(sb.baseUrl),
        ]);
        const rooms: string[] = [];
        const roots = new Map<string, string>();
        for (let i = 0; i < 2; i++) {
          const room = await createRoom((i ? sb : sa).baseUrl, alice);
          for (const u of [bob, carol, dave])
            expect((await joinRoom((i ? sa : sb).baseUrl, u, room.id)).status).toBe(200);
          const root = await ok(
            'root',
            201,
            http(sa.baseUrl, 'POST', `/api/rooms/${room.id}/messages`, {
              token: alice.accessToken,
              body: { content: `root of room ${i}` },
            }),
          );
          rooms.push(room.id);
          roots.set(room.id, root.id as string);
        }
        // A message of alice's that the dark instance deletes later.
        const doomed = await ok(
          'doomed',
          201,
          http(sa.baseUrl, 'POST', `/api/rooms/${rooms[0]}/messages`, {
            token: alice.accessToken,
            body: { content: 'deleted on the dark instance' },
          }),
        );

        // Subscribers from the start of each log: a watcher on A (there throughout), one on B
        // (B is killed: it resumes on A with afterEventSeq), one on B's replacement (later).
        const watcher: Subscriber = { label: 'watcher@A', user: bob, rooms, segments: [] };
        const victim: Subscriber = { label: 'victim@B', user: carol, rooms, segments: [] };
        const late: Subscriber = { label: 'late@B2', user: alice, rooms, segments: [] };
        const watcherConn = await connect(sa, bob);
        const victimConn = await connect(sb, carol);
        for (const r of rooms) {
          await subscribeAfter(watcher, watcherConn, r, 0);
          await subscribeAfter(victim, victimConn, r, 0);
        }

        // The workload: pumps through each instance until told to stop, pausable.
        const expectations: Expectation[] = [];
        let acked = 0;
        let stop = false;
        let gate: Promise<void> | null = null;
        let openGate: () => void = () => undefined;
        let inFlight = 0;
        const dying = new Set<ServiceProcess>();
        const emojiPairs = [
          [':a1:', ':a2:'],
          [':b1:', ':b2:'],
          [':c1:', ':c2:'],
          [':d1:', ':d2:'],
          [':e1:', ':e2:'],
          [':f1:', ':f2:'],
        ];
        const run = async (p: Pump): Promise<void> => {
          while (!stop) {
            if (gate) await gate;
            if (stop) return;
            inFlight++;
            try {
              const e = await p.step();
              if (e) {
                expectations.push(e);
                acked++;
              }
            } catch (err) {
              // The instance died under this change: its outcome is whatever the log says.
              if (dying.has(p.svc)) return;
              throw err;
            } finally {
              inFlight--;
            }
          }
        };
        const pumps: Promise<void>[] = [];
        const launch = async (svc: ServiceProcess, user: TestUser, label: string, ws: boolean) => {
          const conn = ws ? await connect(svc, user) : null;
          const p = new Pump(label, svc, user, rooms, roots, emojiPairs[pumps.length], conn);
          const done = run(p);
          done.catch(() => undefined); // awaited at the end; no unhandled rejection meanwhile
          pumps.push(done);
        };
        const ackedAtLeast = (n: number, what: string) =>
          waitFor(() => acked >= n, what, {
            timeoutMs: 60_000,
            intervalMs: 50,
            describe: () => `${acked} acked`,
          });
        const pause = async () => {
          gate = new Promise((r) => (openGate = r));
          await waitFor(() => inFlight === 0, 'the pumps to pause', { timeoutMs: 60_000 });
        };
        const resume = () => {
          gate = null;
          openGate();
        };
        /** Live delivery: every still-connected subscription has reached the room's end. */
        const caughtUp = async (subs: Subscriber[], what: string, timeoutMs: number) => {
          const ends = new Map<string, number>();
          for (const r of rooms) ends.set(r, await lastEventSeq(sa, alice, r));
          await waitFor(
            () => subs.every((s) => rooms.every((r) => position(s, r) >= ends.get(r)!)),
            what,
            {
              timeoutMs,
              intervalMs: 100,
              describe: () =>
                subs
                  .map(
                    (s) =>
                      `${s.label}: ${rooms.map((r) => `${position(s, r)}/${ends.get(r)}`).join(' ')}`,
                  )
                  .join(' | '),
            },
          );
        };

        await launch(sa, alice, 'alice@A', true);
        await launch(sa, bob, 'bob@A', false);
        await launch(sb, carol, 'carol@B', true);
        await launch(sb, dave, 'dave@B', false);

        // 1. The normal path.
        await ackedAtLeast(40, 'traffic before anything breaks');
        mark(`${acked} changes acked on the normal path`);

        // 2. Changes neither A nor B gets over Kafka (an edit, a reaction added and removed, a
        // delete), then a message through B: A's and B's subscribers must fill the gap from the
        // log by eventSeq, whatever the kinds in it.
        await pause();
        await caughtUp([watcher, victim], 'delivery before the dark changes', 30_000);
        const fillsBefore = await Promise.all(
          [sa, sb].map((s) => metricValue(s.baseUrl, 'chat_gap_fills_total')),
        );
        const r0 = rooms[0];
        const root0 = roots.get(r0)!;
        const darkFrom = await lastEventSeq(sa, alice, r0);
        await ok(
          'dark edit',
          200,
          http(sd.baseUrl, 'PATCH', `/api/rooms/${r0}/messages/${root0}`, {
            token: alice.accessToken,
            body: { content: 'edited where Kafka is not' },
          }),
        );
        const darkReaction = `/api/rooms/${r0}/messages/${root0}/reactions/${encodeURIComponent('🌑')}`;
        await ok(
          'dark reaction',
          204,
          http(sd.baseUrl, 'PUT', darkReaction, { token: bob.accessToken }),
        );
        await ok(
          'dark unreaction',
          204,
          http(sd.baseUrl, 'DELETE', darkReaction, { token: bob.accessToken }),
        );
        await ok(
          'dark delete',
          204,
          http(sd.baseUrl, 'DELETE', `/api/rooms/${r0}/messages/${doomed.id as string}`, {
            token: alice.accessToken,
          }),
        );
        await ok(
          'after the dark changes',
          201,
          http(sb.baseUrl, 'POST', `/api/rooms/${r0}/messages`, {
            token: dave.accessToken,
            body: { content: 'after the dark changes' },
          }),
        );
        await caughtUp([watcher, victim], 'the gap of dark changes to be filled', 30_000);
        const darkLog = (await logOf(sa, alice, r0)).filter((e) => e.eventSeq > darkFrom);
        expect(darkLog.map((e) => e.event)).toEqual([
          'message.edited',
          'reaction.added',
          'reaction.removed',
          'message.deleted',
          'message.new',
        ]);
        for (const s of [watcher, victim]) {
          const got = s.segments
            .filter((g) => g.roomId === r0)
            .flatMap((g) => roomFrames(g.conn, r0))
            .filter((f) => f.data.eventSeq > darkFrom);
          expect({ who: s.label, got: got.map((f) => [f.event, f.data]) }).toEqual({
            who: s.label,
            got: darkLog.map((e) => [e.event, e.data]),
          });
        }
        const fillsAfter = await Promise.all(
          [sa, sb].map((s) => metricValue(s.baseUrl, 'chat_gap_fills_total')),
        );
        for (const i of [0, 1]) expect(fillsAfter[i]).toBeGreaterThan(fillsBefore[i]);
        mark('the dark changes reached A and B by gap fill');
        await dark!.stop();
        resume();

        // 3. The broker goes away; both instances keep acknowledging changes; then B dies.
        await ackedAtLeast(acked + 20, 'traffic before the outage');
        mark('stopping the broker');
        await broker.stop();
        mark(`broker down at ${acked} acked`);
        await ackedAtLeast(acked + 30, 'traffic during the outage');
        dying.add(sb);
        const status = await sb.kill();
        expect(status.signal).toBe('SIGKILL');
        mark(`B killed at ${acked} acked; ${await unpublished(rooms)} room events unpublished`);
        await victimConn.waitClosed(10_000);
        // The victim resumes on A, from the last eventSeq it has, while the broker is still away.
        const resumed = await connect(sa, carol);
        for (const r of rooms) {
          const from = position(victim, r);
          const sub = await subscribeAfter(victim, resumed, r, from);
          expect(sub.data.lastEventSeq).toBeGreaterThanOrEqual(from);
        }
        mark('victim resumed on A');
        await ackedAtLeast(acked + 15, 'traffic on A during the outage');
        await broker.start();
        mark(`broker back at ${acked} acked`);

        // 4. B's replacement joins, with a subscriber from the start of each log, and traffic.
        b2 = await startService({ name: 'roomlog-b2', brokers: broker.brokers, topic, jwtSecret });
        mark('B2 ready');
        const lateConn = await connect(b2, alice);
        for (const r of rooms) await subscribeAfter(late, lateConn, r, 0);
        await launch(b2, carol, 'carol@B2', true);
        await launch(b2, dave, 'dave@B2', false);
        await ackedAtLeast(acked + 40, 'traffic after the outage');
        stop = true;
        await Promise.all(pumps);
        mark(`traffic stopped: ${acked} changes acked`);

        // Live delivery reaches the end of every log on every instance, and the relay has
        // published everything (what B left behind included).
        const subs = [watcher, victim, late];
        await caughtUp(subs, 'every subscriber to reach the end of every log', 90_000);
        await waitFor(async () => (await unpublished(rooms)) === 0, 'the relay to drain', {
          timeoutMs: 60_000,
          intervalMs: 250,
        });
        for (const s of subs) await s.segments[s.segments.length - 1].conn.roundTrip();
        mark('everything delivered');

        const kinds = new Set<string>();
        for (const r of rooms) {
          const log = await logOf(sa, alice, r);
          const last = await lastEventSeq(b2, alice, r);
          // The log: gapless 1..lastEventSeq.
          expect(log.map((e) => e.eventSeq)).toEqual(log.map((_, i) => i + 1));
          expect(log.length).toBe(last);
          for (const e of log) kinds.add(e.event);
          for (const s of subs) {
            // Each subscription got exactly the events after its cursor, in order, once…
            for (const g of s.segments.filter((x) => x.roomId === r)) {
              const seqs = roomFrames(g.conn, r).map((f) => f.data.eventSeq as number);
              expect({ who: s.label, after: g.after, seqs }).toEqual({
                who: s.label,
                after: g.after,
                seqs: seqs.map((_, i) => g.after + i + 1),
              });
            }
            // …and together, resuming where they stopped, the whole log exactly as GET /events
            // lists it.
            const got = s.segments
              .filter((g) => g.roomId === r)
              .flatMap((g) => roomFrames(g.conn, r).map((f) => [f.event, f.data]));
            expect({ who: s.label, n: received(s, r).length }).toEqual({
              who: s.label,
              n: last,
            });
            expect(got).toEqual(log.map((e) => [e.event, e.data]));
          }
        }
        // Nothing acknowledged is missing from the logs.
        const logs = new Map<string, LoggedEvent[]>();
        for (const r of rooms) logs.set(r, await logOf(sa, alice, r));
        const missing = expectations.filter(
          (x) => !logs.get(x.roomId)!.some((e) => e.event === x.event && x.matches(e.data)),
        );
        expect(missing.map((x) => x.what)).toEqual([]);
        for (const k of [
          'message.new',
          'message.edited',
          'message.deleted',
          'reaction.added',
          'reaction.removed',
        ])
          expect(kinds).toContain(k);
        // Resuming at the end gives nothing more, on either instance.
        for (const svc of [sa, b2]) {
          const probe: Subscriber = { label: `probe@${svc.name}`, user: dave, rooms, segments: [] };
          const conn = await connect(svc, dave);
          for (const r of rooms) {
            const last = logs.get(r)!.length;
            const sub = await subscribeAfter(probe, conn, r, last);
            expect(sub.data.lastEventSeq).toBe(last);
          }
          await conn.roundTrip();
          for (const r of rooms) expect(roomFrames(conn, r)).toEqual([]);
        }
        console.log(`room events timeline:\n${timeline.join('\n')}`);
      },
      () => `timeline:\n${timeline.join('\n')}`,
    ),
    300_000,
  );
});
