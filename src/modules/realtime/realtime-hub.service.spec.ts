import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { WebSocket } from 'ws';
import type { ChatEvent, RoomEvent } from '../../common/events/chat-events.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import { recordingBus, until } from '../../common/testing/unit-kit.fake.js';
import type { WebsocketConfig } from '../../config/configuration.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import type { AttachmentUrls } from '../attachments/attachment-urls.js';
import type { Message } from '../messages/domain/message.js';
import type { MessagesService } from '../messages/messages.service.js';
import { RoomEventRepository } from '../room-events/domain/room-event.repository.js';
import { RoomEventsService } from '../room-events/room-events.service.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { ChatConnection } from './chat-connection.js';
import { CloseCodes } from './ws-protocol.js';
import { RealtimeHub } from './realtime-hub.service.js';

const ROOM = 'room-a';
const OTHER_ROOM = 'room-b';

/** A ws socket as the hub and ChatConnection use it; it keeps every frame it was given. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly raw: (string | Buffer)[] = [];
  closedWith: { code: number; reason: string } | null = null;

  get frames(): { event: string; data: Record<string, unknown> }[] {
    return this.raw.map((f) => JSON.parse(f.toString()) as { event: string; data: never });
  }

  send(f: string | Buffer): void {
    this.raw.push(f);
  }

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
    this.emit('close', code);
  }

  terminate(): void {
    this.readyState = 3;
  }

  ping(): void {}
}

/** The room event port in memory: each room's log, kept from `keptFrom[room]` on (retention). */
class InMemoryLog extends RoomEventRepository {
  readonly rooms = new Map<string, RoomEvent[]>();
  readonly keptFrom = new Map<string, number>();
  reads = 0;

  append(roomId: string, kind: string, data: Record<string, unknown> = {}): RoomEvent {
    const log = this.rooms.get(roomId) ?? [];
    this.rooms.set(roomId, log);
    const eventSeq = log.length + 1;
    // As the log holds them: the frame's data carries the event's eventSeq.
    const e = { eventSeq, event: kind, data: { ...data, eventSeq }, createdAt: 'now' } as RoomEvent;
    log.push(e);
    return e;
  }

  findAfter(roomId: string, afterEventSeq: number, limit: number): Promise<RoomEvent[]> {
    this.reads++;
    const from = this.keptFrom.get(roomId) ?? 1;
    return Promise.resolve(
      (this.rooms.get(roomId) ?? [])
        .filter((e) => e.eventSeq > afterEventSeq && e.eventSeq >= from)
        .slice(0, limit),
    );
  }

  findAfterAsMember(): never {
    throw new Error('not used by the hub');
  }

  messageEventSeqs(roomId: string, fromSeq: number, toSeq: number): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const e of this.rooms.get(roomId) ?? []) {
      const seq = (e.data as { seq?: number }).seq;
      if (e.event === 'message.new' && seq !== undefined && seq >= fromSeq && seq <= toSeq)
        out.set(seq, e.eventSeq);
    }
    return Promise.resolve(out);
  }

  retainedFromSeq(): never {
    throw new Error('not used by the hub');
  }
}

const hubs: RealtimeHub[] = [];
afterEach(() => {
  for (const h of hubs.splice(0)) h.onModuleDestroy();
});

function setup(opts: { messages?: Message[] } = {}) {
  const { bus, deliver, wanted: interest } = recordingBus();
  const log = new InMemoryLog();
  const events = new RoomEventsService(
    log,
    {} as RoomsService,
    { presentEvent: (e: RoomEvent) => e } as unknown as AttachmentUrls,
  );
  const messages = {
    since: (roomId: string, afterSeq: number, limit: number) =>
      Promise.resolve(
        (opts.messages ?? [])
          .filter((m) => m.roomId === roomId && m.seq > afterSeq)
          .slice(0, limit),
      ),
  } as unknown as MessagesService;
  const metrics = new ChatMetrics();
  const cfg = { pingIntervalMs: 60_000, maxBufferedBytes: 1 << 20, gapFillMs: 20 };
  const hub = new RealtimeHub(
    bus,
    messages,
    events,
    metrics,
    cfg as WebsocketConfig,
    new ChatExtensions(),
    { presentEvent: (e: RoomEvent) => e } as unknown as AttachmentUrls,
  );
  hub.onModuleInit();
  hubs.push(hub);

  const connect = (userId: string, sessionId = `${userId}-s1`) => {
    const socket = new FakeSocket();
    const conn = hub.attach(socket as unknown as WebSocket, {
      userId,
      username: userId,
      sessionId,
    });
    return { socket, conn };
  };
  /** Subscribes at the room's end now (or from a cursor), as the gateway does. */
  const join = async (conn: ChatConnection, roomId = ROOM, from: { afterEventSeq?: number } = {}) =>
    hub.subscribe(conn, roomId, from, () => {
      const lastEventSeq = log.rooms.get(roomId)?.length ?? 0;
      return Promise.resolve({ lastSeq: 0, lastEventSeq });
    });
  /** An event committed to the log and published by some instance. */
  const commit = (roomId: string, kind: string, data: Record<string, unknown> = {}) => {
    const e = log.append(roomId, kind, { roomId, ...data });
    return { event: e, publish: () => deliver({ type: 'room.event', roomId, event: e }) };
  };
  const seqs = (s: FakeSocket) =>
    s.frames.flatMap((f) =>
      typeof f.data.eventSeq === 'number' ? [[f.event, f.data.eventSeq]] : [],
    );
  return { hub, log, deliver, connect, join, commit, seqs, metrics, interest };
}

describe('RealtimeHub (in-memory log, fake sockets)', () => {
  it("hands a room event to every subscriber of its room once, as the same bytes, and to no one else's", async () => {
    const t = setup();
    const [a, b, c] = [t.connect('u1'), t.connect('u2'), t.connect('u3')];
    await t.join(a.conn);
    await t.join(b.conn);
    await t.join(c.conn, OTHER_ROOM);
    const e = t.commit(ROOM, 'message.new', { seq: 1, content: 'hi' });
    e.publish();
    e.publish(); // a redelivered bus record
    await until(() => t.seqs(a.socket).length === 1 && t.seqs(b.socket).length === 1, 'delivery');
    expect(t.seqs(a.socket)).toEqual([['message.new', 1]]);
    expect(t.seqs(b.socket)).toEqual([['message.new', 1]]);
    // Encoded once on this instance: both sockets were given the very same Buffer.
    expect(a.socket.raw.at(-1)).toBe(b.socket.raw.at(-1));
    expect(c.socket.frames.map((f) => f.event)).toEqual(['room.subscribed']);
  });

  it('holds live events while the start position is read, then replays from the log with no gap and no double', async () => {
    const t = setup();
    for (let i = 1; i <= 3; i++) t.commit(ROOM, 'message.new', { seq: i }).publish();
    const { socket, conn } = t.connect('u1');
    let release!: () => void;
    const positionRead = new Promise<void>((r) => (release = r));
    const subscribed = t.hub.subscribe(conn, ROOM, { afterEventSeq: 1 }, async () => {
      await positionRead;
      return { lastSeq: 5, lastEventSeq: 5 };
    });
    // Committed and published while the position is being read: held back, not lost.
    t.commit(ROOM, 'message.edited', { seq: 2 }).publish();
    t.commit(ROOM, 'reaction.added', { seq: 3 }).publish();
    release();
    await subscribed;
    t.commit(ROOM, 'message.deleted', { seq: 1 }).publish();
    await until(() => t.seqs(socket).length === 5, 'replay and live');
    expect(t.seqs(socket)).toEqual([
      ['message.new', 2],
      ['message.new', 3],
      ['message.edited', 4],
      ['reaction.added', 5],
      ['message.deleted', 6],
    ]);
    expect(socket.frames[0]).toEqual({
      event: 'room.subscribed',
      data: { roomId: ROOM, lastSeq: 5, lastEventSeq: 5 },
    });
  });

  it('reads a missed event from the log when the gap does not fill from the bus', async () => {
    const t = setup();
    const { socket, conn } = t.connect('u1');
    await t.join(conn);
    t.commit(ROOM, 'message.new', { seq: 1 }); // its record never reaches this instance
    t.commit(ROOM, 'message.new', { seq: 2 }).publish();
    await until(() => t.seqs(socket).length === 2, 'the gap filled');
    expect(t.seqs(socket)).toEqual([
      ['message.new', 1],
      ['message.new', 2],
    ]);
    const fills = await t.metrics.registry.getSingleMetricAsString('chat_gap_fills_total');
    expect(fills).toMatch(/chat_gap_fills_total 1$/m);
  });

  it("member.left ends the leaver's subscription on this instance at once; the others get the event", async () => {
    const t = setup();
    const [leaver, stayer] = [t.connect('u1'), t.connect('u2')];
    const leaverElsewhere = t.connect('u1', 'u1-s2');
    await t.join(leaver.conn);
    await t.join(stayer.conn);
    await t.join(leaverElsewhere.conn, OTHER_ROOM);
    t.commit(ROOM, 'member.left', { userId: 'u1', reason: 'kicked' }).publish();
    t.commit(ROOM, 'message.new', { seq: 1 }).publish();
    await until(() => t.seqs(stayer.socket).length === 2, 'the stayer');
    expect(t.seqs(stayer.socket)).toEqual([
      ['member.left', 1],
      ['message.new', 2],
    ]);
    expect(leaver.socket.frames.slice(1)).toEqual([
      { event: 'room.unsubscribed', data: { roomId: ROOM, reason: 'kicked' } },
    ]);
    expect(t.hub.isSubscribed(leaver.conn, ROOM)).toBe(false);
    expect(t.hub.isSubscribed(leaverElsewhere.conn, OTHER_ROOM)).toBe(true);
  });

  it('room.deleted unsubscribes everyone in the room, and its events then concern this instance no more', async () => {
    const t = setup();
    const [a, b] = [t.connect('u1'), t.connect('u2')];
    await t.join(a.conn);
    await t.join(b.conn);
    expect(t.interest({ type: 'room.event', key: ROOM })).toBe(true);
    t.deliver({ type: 'room.deleted', roomId: ROOM });
    for (const s of [a.socket, b.socket])
      expect(s.frames.slice(1)).toEqual([
        { event: 'room.deleted', data: { roomId: ROOM } },
        { event: 'room.unsubscribed', data: { roomId: ROOM, reason: 'deleted' } },
      ]);
    expect(t.interest({ type: 'room.event', key: ROOM })).toBe(false);
    // Events for users, not rooms, always concern the instance.
    expect(t.interest({ type: 'session.revoked', key: 'u1' })).toBe(true);
  });

  it("typing and presence go to the room's other subscribers, not back to the user", async () => {
    const t = setup();
    const [typer, other, outsider] = [t.connect('u1'), t.connect('u2'), t.connect('u3')];
    await t.join(typer.conn);
    await t.join(other.conn);
    await t.join(outsider.conn, OTHER_ROOM);
    t.deliver({ type: 'typing', roomId: ROOM, userId: 'u1', username: 'u1' });
    t.deliver({ type: 'presence', roomId: ROOM, userId: 'u1', online: true });
    expect(other.socket.frames.slice(1).map((f) => f.event)).toEqual(['typing', 'presence']);
    expect(typer.socket.frames.slice(1)).toEqual([]);
    expect(outsider.socket.frames.slice(1)).toEqual([]);
  });

  it("read state, invites and new DMs reach every socket of their users, subscribed or not, and nobody else's", async () => {
    const t = setup();
    const [phone, laptop, other] = [t.connect('u1', 's1'), t.connect('u1', 's2'), t.connect('u2')];
    await t.join(phone.conn);
    t.deliver({
      type: 'read.updated',
      userId: 'u1',
      roomId: ROOM,
      lastReadSeq: 4,
      unreadCount: 0,
      mentionCount: 0,
    });
    t.deliver({ type: 'dm.created', memberIds: ['u1', 'u2'], room: { id: 'dm' } } as ChatEvent);
    t.deliver({
      type: 'invite.received',
      userId: 'u2',
      invite: { id: 'i1' },
      room: { id: ROOM },
    } as ChatEvent);
    const events = (s: FakeSocket) =>
      s.frames.map((f) => f.event).filter((e) => e !== 'room.subscribed');
    expect(events(phone.socket)).toEqual(['read.updated', 'dm.created']);
    expect(events(laptop.socket)).toEqual(['read.updated', 'dm.created']);
    expect(events(other.socket)).toEqual(['dm.created', 'invite.received']);
    expect(laptop.socket.frames[0].data).toEqual({
      roomId: ROOM,
      lastReadSeq: 4,
      unreadCount: 0,
      mentionCount: 0,
    });
  });

  it("session.revoked closes that session's sockets only, and every one of the user's when it names none", () => {
    const t = setup();
    const [s1, s2, other] = [t.connect('u1', 's1'), t.connect('u1', 's2'), t.connect('u2', 's3')];
    t.deliver({
      type: 'session.revoked',
      userId: 'u1',
      sessionId: 's1',
      reason: 'logout',
    });
    expect(s1.socket.closedWith).toEqual({
      code: CloseCodes.sessionEnded,
      reason: 'session ended: logout',
    });
    expect(s2.socket.closedWith).toBeNull();
    t.deliver({
      type: 'session.revoked',
      userId: 'u1',
      sessionId: null,
      reason: 'banned',
    });
    expect(s2.socket.closedWith?.code).toBe(CloseCodes.sessionEnded);
    expect(other.socket.closedWith).toBeNull();
  });

  it('a replay below what retention kept answers RESYNC_REQUIRED and drops the subscription', async () => {
    const t = setup();
    for (let i = 1; i <= 6; i++) t.commit(ROOM, 'message.new', { seq: i });
    t.log.keptFrom.set(ROOM, 5); // 1..4 swept
    const { socket, conn } = t.connect('u1');
    await t.join(conn, ROOM, { afterEventSeq: 2 });
    await until(() => socket.frames.length === 2, 'the error');
    expect(socket.frames[1]).toMatchObject({
      event: 'error',
      data: { code: 'RESYNC_REQUIRED', ref: ROOM },
    });
    expect(t.seqs(socket)).toEqual([]);
    expect(t.hub.isSubscribed(conn, ROOM)).toBe(false);
  });

  it('a start position that cannot be read leaves no subscription behind', async () => {
    const t = setup();
    const { socket, conn } = t.connect('u1');
    await expect(
      t.hub.subscribe(conn, ROOM, {}, () => Promise.reject(new Error('database away'))),
    ).rejects.toThrow('database away');
    expect(t.hub.isSubscribed(conn, ROOM)).toBe(false);
    expect(t.interest({ type: 'room.event', key: ROOM })).toBe(false);
    t.commit(ROOM, 'message.new', { seq: 1 }).publish();
    expect(socket.raw).toEqual([]);
  });

  it('a v1 resume by afterSeq sends the missed messages as they are now, each with its eventSeq, then live events', async () => {
    const msg = (seq: number, content: string) => ({ roomId: ROOM, seq, content }) as Message;
    const t = setup({ messages: [msg(1, 'one'), msg(2, 'two, edited'), msg(3, 'three')] });
    for (let i = 1; i <= 3; i++) t.commit(ROOM, 'message.new', { seq: i });
    t.commit(ROOM, 'message.edited', { seq: 2 }); // eventSeq 4, already in message 2 as it is now
    const { socket, conn } = t.connect('u1');
    await t.hub.subscribe(conn, ROOM, { afterSeq: 1 }, () =>
      Promise.resolve({ lastSeq: 3, lastEventSeq: 4 }),
    );
    t.commit(ROOM, 'reaction.added', { seq: 3 }).publish();
    await until(() => socket.frames.length === 4, 'replay then live');
    expect(socket.frames.slice(1).map((f) => [f.event, f.data.content, f.data.eventSeq])).toEqual([
      ['message.new', 'two, edited', 2],
      ['message.new', 'three', 3],
      ['reaction.added', undefined, 5],
    ]);
  });

  it('detach ends every subscription of the connection and forgets its user', async () => {
    const t = setup();
    const { socket, conn } = t.connect('u1');
    await t.join(conn);
    await t.join(conn, OTHER_ROOM);
    expect(t.hub.isConnectedHere('u1')).toBe(true);
    t.hub.detach(conn);
    expect(t.hub.isConnectedHere('u1')).toBe(false);
    expect(t.hub.openConnections).toBe(0);
    expect(t.interest({ type: 'room.event', key: ROOM })).toBe(false);
    expect(t.interest({ type: 'room.event', key: OTHER_ROOM })).toBe(false);
    const before = socket.raw.length;
    t.commit(ROOM, 'message.new', { seq: 1 }).publish();
    expect(socket.raw.length).toBe(before);
  });
});
