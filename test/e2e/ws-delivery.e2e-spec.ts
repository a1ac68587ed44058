// Delivery guarantees over real sockets: replay with afterSeq, the replay-to-live switch under
// concurrent writers, reconnect without loss or duplicates, and per-room seq order under load.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { createRoom, http, joinRoom, registerUser, type TestUser } from '../support/http.js';
import { assertExactRange, connectWithTicket, type WsTestClient } from '../support/ws-client.js';

/**
 * Sends `count` messages into a room over one socket, keeping up to `window` unacknowledged
 * sends in flight; resolves with every ack's seq. `onAck` sees the running total.
 */
async function pump(
  ws: WsTestClient,
  roomId: string,
  prefix: string,
  count: number,
  window: number,
  onAck?: () => void,
): Promise<number[]> {
  const seqs: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const ack = await ws.sendMessage(roomId, `${prefix} #${i}`, `${prefix}-${i}`, 20000);
      if (ack.event !== 'message.ack')
        throw new Error(`send ${prefix}-${i} failed: ${JSON.stringify(ack.data)}`);
      seqs.push(ack.data.seq as number);
      onAck?.();
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return seqs;
}

const seqsOf = (ws: WsTestClient, roomId: string): number[] =>
  ws.messages(roomId).map((m) => m.seq);

describe('WebSocket delivery guarantees', () => {
  let t: TestApp;
  const open: WsTestClient[] = [];

  beforeAll(async () => {
    // Senders here are deliberately fast; the per-connection flood limit is not under test.
    t = await startTestApp({ RATE_LIMIT_WS_PER_SEC: '100000', RATE_LIMIT_WS_BURST: '100000' });
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

  async function connect(user: TestUser): Promise<WsTestClient> {
    const c = await connectWithTicket(t, user);
    open.push(c);
    return c;
  }

  async function roomWithMembers(n: number): Promise<{ room: { id: string }; users: TestUser[] }> {
    const owner = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, owner);
    const users = [owner];
    for (let i = 1; i < n; i++) {
      const u = await registerUser(t.baseUrl);
      expect((await joinRoom(t.baseUrl, u, room.id)).status).toBe(200);
      users.push(u);
    }
    return { room, users };
  }

  async function lastSeq(user: TestUser, roomId: string): Promise<number> {
    const res = await http(t.baseUrl, 'GET', `/api/rooms/${roomId}`, { token: user.accessToken });
    expect(res.status).toBe(200);
    return res.body.lastSeq as number;
  }

  it('subscribe with afterSeq replays exactly the missed messages, in order, then live ones', async () => {
    const { room, users } = await roomWithMembers(2);
    const [alice, bob] = users;
    const aliceWs = await connect(alice);
    await pump(aliceWs, room.id, 'old', 10, 1);

    const bobWs = await connect(bob);
    const subscribed = await bobWs.subscribe(room.id, 4);
    // bob's join, then the ten messages
    expect(subscribed.data).toEqual({ roomId: room.id, lastSeq: 10, lastEventSeq: 11 });
    const replay = await bobWs.waitForMessages(room.id, 6);
    expect(replay.map((m) => m.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    // room.subscribed comes first, then the replay.
    const idx = bobWs.frames.indexOf(subscribed);
    expect(bobWs.frames.slice(idx + 1, idx + 7).map((f) => f.event)).toEqual(
      Array(6).fill('message.new'),
    );
    // The replayed messages are the stored ones, each with the eventSeq of its message.new
    // (bob's join is event 1).
    const hist = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages?afterSeq=4`, {
      token: bob.accessToken,
    });
    expect(replay).toEqual(
      hist.body.items.map((m: { seq: number }) => ({ ...m, eventSeq: m.seq + 1 })),
    );

    // Then live ones.
    await pump(aliceWs, room.id, 'new', 3, 1);
    await bobWs.waitForSeq(room.id, 13);
    await bobWs.roundTrip();
    assertExactRange(seqsOf(bobWs, room.id), 5, 13);

    // afterSeq equal to lastSeq: nothing replayed; afterSeq 0: everything.
    const carolWs = await connect(bob);
    expect((await carolWs.subscribe(room.id, 13)).data.lastSeq).toBe(13);
    const daveWs = await connect(bob);
    await daveWs.subscribe(room.id, 0);
    await daveWs.waitForSeq(room.id, 13);
    await pump(aliceWs, room.id, 'last', 1, 1);
    await carolWs.waitForSeq(room.id, 14);
    await daveWs.waitForSeq(room.id, 14);
    await carolWs.roundTrip();
    await daveWs.roundTrip();
    expect(seqsOf(carolWs, room.id)).toEqual([14]);
    assertExactRange(seqsOf(daveWs, room.id), 1, 14);
  });

  it('replay-to-live switch under concurrent sending: every seq exactly once, in order', async () => {
    const SENDERS = 4;
    const BACKLOG_PER_SENDER = 400; // 1600 messages: several replay pages of 500
    const LIVE_PER_SENDER = 150;
    const { room, users } = await roomWithMembers(SENDERS + 1);
    const senders = await Promise.all(users.slice(0, SENDERS).map((u) => connect(u)));
    const reader = users[SENDERS];

    await Promise.all(
      senders.map((s, i) => pump(s, room.id, `backlog-${i}`, BACKLOG_PER_SENDER, 8)),
    );
    const backlog = await lastSeq(reader, room.id);
    expect(backlog).toBe(SENDERS * BACKLOG_PER_SENDER);

    // Subscribers join at different moments of the live burst, each from an old position.
    let acked = 0;
    const joinAt = [0, 150, 350];
    const afterSeqs = [7, 300, 600];
    const subscribers: WsTestClient[] = await Promise.all(joinAt.map(() => connect(reader)));
    const subscribed: Promise<{ data: { lastSeq: number } }>[] = [];
    const maybeSubscribe = () => {
      joinAt.forEach((at, i) => {
        if (acked === at) subscribed.push(subscribers[i].subscribe(room.id, afterSeqs[i]));
      });
    };
    maybeSubscribe(); // the first one subscribes as the senders start
    const live = Promise.all(
      senders.map((s, i) =>
        pump(s, room.id, `live-${i}`, LIVE_PER_SENDER, 4, () => {
          acked++;
          maybeSubscribe();
        }),
      ),
    );
    const liveSeqs = (await live).flat();
    const positions = (await Promise.all(subscribed)).map((f) => f.data.lastSeq);
    expect(subscribed).toHaveLength(joinAt.length);

    const final = await lastSeq(reader, room.id);
    expect(final).toBe(backlog + SENDERS * LIVE_PER_SENDER);
    // The acks themselves: each seq handed out once.
    assertExactRange(
      [...liveSeqs].sort((a, b) => a - b),
      backlog + 1,
      final,
    );

    for (const [i, s] of subscribers.entries()) {
      // The scenario really happened: a multi-page replay, and live messages after subscribing.
      expect(positions[i] - afterSeqs[i]).toBeGreaterThan(2 * 500);
      expect(positions[i]).toBeLessThan(final);
      await s.waitForSeq(room.id, final, 20000);
      await s.roundTrip();
      expect(s.closeCode).toBeNull();
      assertExactRange(seqsOf(s, room.id), afterSeqs[i] + 1, final);
    }
  });

  it('reconnect with a new ticket and the last seen seq: no loss, no duplicate across both connections', async () => {
    const { room, users } = await roomWithMembers(3);
    const [s1, s2, readerUser] = users;
    const senders = [await connect(s1), await connect(s2)];
    const first = await connect(readerUser);
    await first.subscribe(room.id);

    let acked = 0;
    let droppedAt = -1;
    let resumeAfter: () => void = () => undefined;
    const enoughSentWhileAway = new Promise<void>((r) => (resumeAfter = r));
    const live = Promise.all(
      senders.map((s, i) =>
        pump(s, room.id, `rc-${i}`, 300, 3, () => {
          acked++;
          if (droppedAt >= 0 && acked >= droppedAt + 150) resumeAfter();
        }),
      ),
    );

    // Receive some, then the connection drops (no close handshake).
    await first.waitForMessages(room.id, 100, 20000);
    first.terminate();
    await first.waitClosed();
    droppedAt = acked;
    void live.then(() => resumeAfter()); // never wait for more than the senders will send
    const seenFirst = seqsOf(first, room.id);
    const lastSeen = seenFirst[seenFirst.length - 1];
    assertExactRange(seenFirst, 1, lastSeen);

    // Senders keep going meanwhile; then a new ticket, a new socket, subscribe from lastSeen.
    await enoughSentWhileAway;
    const second = await connect(readerUser);
    const sub = await second.subscribe(room.id, lastSeen);
    expect(sub.data.lastSeq).toBeGreaterThan(lastSeen);

    await live;
    const final = await lastSeq(readerUser, room.id);
    expect(final).toBe(600);
    await second.waitForSeq(room.id, final, 20000);
    await second.roundTrip();
    assertExactRange([...seenFirst, ...seqsOf(second, room.id)], 1, final);
  });

  it('many concurrent senders on many connections: every subscriber sees 1..N in order', async () => {
    const SENDERS = 10;
    const PER_SENDER = 30;
    const { room, users } = await roomWithMembers(SENDERS + 1);
    const senderSockets = await Promise.all(users.slice(0, SENDERS).map((u) => connect(u)));
    // A second socket for one sender, and two pure readers (one of them the same user as a sender).
    const extra = [
      await connect(users[0]),
      await connect(users[SENDERS]),
      await connect(users[SENDERS]),
    ];
    const all = [...senderSockets, ...extra];
    for (const s of all) await s.subscribe(room.id);

    // Fire everything at once: no waiting for acks between sends.
    const acks = await Promise.all(
      senderSockets.flatMap((s, i) =>
        Array.from({ length: PER_SENDER }, (_, j) =>
          s.sendMessage(room.id, `burst ${i}/${j}`, `burst-${i}-${j}`, 20000),
        ),
      ),
    );
    const N = SENDERS * PER_SENDER;
    expect(acks.every((a) => a.event === 'message.ack')).toBe(true);
    assertExactRange(
      acks.map((a) => a.data.seq as number).sort((a, b) => a - b),
      1,
      N,
    );

    for (const s of all) {
      await s.waitForSeq(room.id, N, 20000);
      await s.roundTrip();
      assertExactRange(seqsOf(s, room.id), 1, N);
    }
    // Each message arrived with its own content and sender: match against the acks.
    const byId = new Map(acks.map((a) => [a.data.id as string, a.data.seq as number]));
    for (const m of extra[2].messages(room.id)) expect(byId.get(m.id)).toBe(m.seq);
  });
});
