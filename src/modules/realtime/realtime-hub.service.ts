import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { websocketConfig, type WebsocketConfig } from '../../config/configuration.js';
import type { ChatEvent, RoomEvent } from '../../common/events/chat-events.js';
import { EventBus } from '../../common/events/event-bus.js';
import { ChatExtensions, type ConnectionInfo } from '../../common/extensions/chat-extensions.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import type { Principal } from '../auth/principal.js';
import { MessagesService } from '../messages/messages.service.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { checkRetained, RoomEventErrorCodes } from '../room-events/domain/room-event-cursor.js';
import { RoomEventsService } from '../room-events/room-events.service.js';
import { ChatConnection } from './chat-connection.js';
import { AttachmentUrls } from '../attachments/attachment-urls.js';
import { RoomSubscription } from './domain/room-subscription.js';
import { CloseCodes, frame, roomEventFrame, type ServerEvents } from './ws-protocol.js';
import {
  closeReasonOf,
  markClose,
  reportedCloseCode,
  type DisconnectReason,
} from './ws-close-reason.js';

export const REPLAY_PAGE = 500;
/** Events the hub hands only to a room's subscribers (see onEvent): keyed by that room. */
const ROOM_WIDE: ReadonlySet<ChatEvent['type']> = new Set<ChatEvent['type']>([
  'room.event',
  'room.deleted',
  'typing',
  'presence',
]);

/** Where a subscription starts: after a room event (v2), or after a message (v1), or now. */
export interface SubscribeFrom {
  afterEventSeq?: number;
  afterSeq?: number;
}

/**
 * This instance's sockets and their room subscriptions. It listens on the event bus (which
 * carries every instance's events) and fans each room event out to local subscribers, in
 * eventSeq order per subscriber; a room event's frame is serialised once and the same bytes go
 * to every subscriber.
 */
@Injectable()
export class RealtimeHub implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('RealtimeHub');
  private readonly connections = new Set<ChatConnection>();
  private readonly byUser = new Map<string, Set<ChatConnection>>();
  private readonly byRoom = new Map<string, Map<ChatConnection, RoomSubscription<RoomEvent>>>();
  private readonly frames = new WeakMap<RoomEvent, Buffer>();
  private readonly infos = new WeakMap<ChatConnection, ConnectionInfo>();
  private unsubscribeBus: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly messages: MessagesService,
    private readonly events: RoomEventsService,
    private readonly metrics: ChatMetrics,
    @Inject(websocketConfig.KEY) private readonly cfg: WebsocketConfig,
    private readonly ext: ChatExtensions,
    private readonly urls: AttachmentUrls,
  ) {}

  onModuleInit(): void {
    this.unsubscribeBus = this.bus.subscribe(
      (e) => this.onEvent(e),
      // A room-wide event of a room no connection here is subscribed to changes nothing here.
      (h) => !ROOM_WIDE.has(h.type) || this.byRoom.has(h.key),
    );
    // WebSocket-level pings; a connection that misses two in a row is dead and dropped.
    this.heartbeat = setInterval(() => this.beat(), this.cfg.pingIntervalMs);
    this.heartbeat.unref();
  }

  onModuleDestroy(): void {
    this.unsubscribeBus?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  get openConnections(): number {
    return this.connections.size;
  }

  attach(socket: WebSocket, principal: Principal): ChatConnection {
    const conn = new ChatConnection(
      randomUUID(),
      socket,
      principal,
      this.cfg.maxBufferedBytes,
      (c) => {
        markClose(c.socket, 'slow_reader');
        this.log.warn({ userId: c.userId, connId: c.id }, 'closing slow reader');
        c.close(CloseCodes.policyViolation, 'send buffer limit exceeded');
      },
    );
    socket.on('pong', () => {
      conn.missedPongs = 0;
    });
    // Every end of a connection is counted and logged once, here, with its reason.
    const openedAt = Date.now();
    socket.once('close', (code: number) => {
      const reason = closeReasonOf(socket, code);
      this.metrics.wsDisconnects.inc({ reason });
      this.log.log(
        {
          connId: conn.id,
          userId: conn.userId,
          code: reportedCloseCode(reason, code),
          reason,
          seconds: Math.round((Date.now() - openedAt) / 100) / 10,
        },
        'ws connection closed',
      );
    });
    this.log.log({ connId: conn.id, userId: conn.userId }, 'ws connection opened');
    this.connections.add(conn);
    let set = this.byUser.get(conn.userId);
    if (!set) this.byUser.set(conn.userId, (set = new Set()));
    set.add(conn);
    this.metrics.socketsOpen.set(this.connections.size);
    if (this.ext.connectionObservers.length > 0) {
      const info: ConnectionInfo = {
        connectionId: conn.id,
        userId: conn.userId,
        sessionId: principal.sessionId,
        openedAt: new Date(),
      };
      this.infos.set(conn, info);
      for (const o of this.ext.connectionObservers) this.observe(o.name, () => o.opened(info));
    }
    return conn;
  }

  private observe(name: string, fn: () => Promise<void> | void): void {
    Promise.resolve()
      .then(fn)
      .catch((err: unknown) =>
        this.log.error({ err: String(err), observer: name }, 'connection observer failed'),
      );
  }

  /** Whether the user has a socket open on this instance. */
  isConnectedHere(userId: string): boolean {
    return this.byUser.has(userId);
  }

  detach(conn: ChatConnection): void {
    if (!this.connections.delete(conn)) return;
    for (const roomId of [...conn.subscriptions.keys()]) this.removeSubscription(conn, roomId);
    const set = this.byUser.get(conn.userId);
    set?.delete(conn);
    if (set?.size === 0) this.byUser.delete(conn.userId);
    this.metrics.socketsOpen.set(this.connections.size);
    const info = this.infos.get(conn);
    if (info) {
      const closedAt = new Date();
      for (const o of this.ext.connectionObservers)
        this.observe(o.name, () => o.closed(info, closedAt));
    }
  }

  /**
   * Registers the subscription first (live events are held back from this moment), then asks
   * for the start position (checking the cursor against it), then replays from the database:
   * nothing committed before or during the switch is lost, nothing is sent twice.
   */
  async subscribe(
    conn: ChatConnection,
    roomId: string,
    from: SubscribeFrom,
    startPosition: () => Promise<{
      lastSeq: number;
      lastEventSeq: number;
      /** The log's first REPLAY_PAGE events after afterEventSeq, if the check read them. */
      firstPage?: RoomEvent[];
    }>,
  ): Promise<void> {
    this.removeSubscription(conn, roomId);
    const sub = new RoomSubscription<RoomEvent>(
      roomId,
      {
        deliver: (e) => {
          const ok = conn.send(this.frameFor(e));
          if (ok) this.metrics.deliveredSinceScrape++;
          return ok;
        },
        fetchAfter: (after, limit) => this.events.since(roomId, after, limit),
        writable: () => conn.writable(),
        onGapFill: () => this.metrics.gapFills.inc(),
        fail: (err) => {
          if (err instanceof DomainError && err.code === RoomEventErrorCodes.resyncRequired) {
            // Retention swept what this subscriber was about to replay: it reloads the room.
            this.removeSubscription(conn, roomId);
            conn.send(frame('error', { code: err.code, message: err.message, ref: roomId }));
            return;
          }
          this.log.error(
            { err: String(err), roomId, connId: conn.id },
            'subscription catch-up failed',
          );
          this.removeSubscription(conn, roomId);
          conn.send(
            frame('error', {
              code: 'INTERNAL_ERROR',
              message: 'subscription lost; subscribe again',
              ref: 'room.subscribe',
            }),
          );
        },
      },
      { gapFillMs: this.cfg.gapFillMs, pageSize: REPLAY_PAGE, maxPending: 10_000 },
    );
    conn.subscriptions.set(roomId, sub);
    let room = this.byRoom.get(roomId);
    if (!room)
      this.byRoom.set(roomId, (room = new Map<ChatConnection, RoomSubscription<RoomEvent>>()));
    room.set(conn, sub);
    let position: Awaited<ReturnType<typeof startPosition>>;
    try {
      position = await startPosition();
    } catch (err) {
      this.removeSubscription(conn, roomId);
      throw err;
    }
    if (conn.subscriptions.get(roomId) !== sub) return; // replaced or removed meanwhile
    const { lastSeq, lastEventSeq } = position;
    conn.send(frame('room.subscribed', { roomId, lastSeq, lastEventSeq }));
    // The replay runs on its own (its failures go to the sink): the connection's next frames
    // need not wait for a long backlog.
    if (from.afterEventSeq !== undefined) {
      void sub.start(from.afterEventSeq, { firstPage: position.firstPage });
    } else if (from.afterSeq !== undefined && from.afterSeq < lastSeq) {
      // v1: the missed messages as they are now (up to the position read above), then every
      // room event after that position.
      const afterSeq = from.afterSeq;
      void sub.start(lastEventSeq, {
        before: () => this.replayMessages(conn, roomId, afterSeq, lastSeq),
      });
    } else {
      void sub.start(lastEventSeq);
    }
  }

  /**
   * message.new frames for seq in (afterSeq, lastSeq], paced by the socket's send buffer: each
   * message as it is now, with the eventSeq of its message.new event (like every room event
   * frame), so the client can go on from there with afterEventSeq.
   */
  private async replayMessages(
    conn: ChatConnection,
    roomId: string,
    afterSeq: number,
    lastSeq: number,
  ): Promise<void> {
    let after = afterSeq;
    while (after < lastSeq && conn.subscriptions.has(roomId)) {
      const want = Math.min(REPLAY_PAGE, lastSeq - after);
      const page = await this.messages.since(roomId, after, want, conn.userId);
      if (page.length === 0) return;
      // A sweep between the resume check and this read: RESYNC_REQUIRED, not a hole.
      checkRetained(after, page[0].seq, 'afterSeq');
      const eventSeqs = await this.events.messageEventSeqs(
        roomId,
        page[0].seq,
        page[page.length - 1].seq,
      );
      for (const m of page) {
        if (m.seq > lastSeq) return;
        const eventSeq = eventSeqs.get(m.seq);
        // Every stored message has its message.new event (same transaction): a log without it
        // cannot give this client a position; the subscription fails rather than guess one.
        if (eventSeq === undefined)
          throw new Error(`message seq ${m.seq} of room ${roomId} has no message.new room event`);
        if (!conn.send(frame('message.new', { ...m, eventSeq }))) return;
        this.metrics.deliveredSinceScrape++;
        after = m.seq;
        await conn.writable();
      }
      if (page.length < want) return;
    }
  }

  unsubscribe(conn: ChatConnection, roomId: string): boolean {
    return this.removeSubscription(conn, roomId);
  }

  isSubscribed(conn: ChatConnection, roomId: string): boolean {
    return conn.subscriptions.has(roomId);
  }

  /** Closes every socket with 1001 "going away" (graceful shutdown). */
  closeAll(code: number, reason: string, label: DisconnectReason = 'shutdown'): void {
    for (const conn of [...this.connections]) {
      markClose(conn.socket, label);
      conn.close(code, reason);
    }
  }

  private removeSubscription(conn: ChatConnection, roomId: string): boolean {
    const sub = conn.subscriptions.get(roomId);
    if (!sub) return false;
    sub.close();
    conn.subscriptions.delete(roomId);
    const room = this.byRoom.get(roomId);
    room?.delete(conn);
    if (room?.size === 0) this.byRoom.delete(roomId);
    return true;
  }

  /**
   * Encoded once per room event per instance; every subscriber gets the same bytes (a
   * message.new's attachments with download URLs signed then).
   */
  private frameFor(e: RoomEvent): Buffer {
    let f = this.frames.get(e);
    if (!f) {
      f = Buffer.from(roomEventFrame(this.urls.presentEvent(e)));
      this.frames.set(e, f);
    }
    return f;
  }

  private broadcast<E extends keyof ServerEvents>(
    roomId: string,
    event: E,
    data: ServerEvents[E],
    skipUser?: string,
  ): void {
    const room = this.byRoom.get(roomId);
    if (!room) return;
    const f = Buffer.from(frame(event, data));
    for (const conn of room.keys()) if (conn.userId !== skipUser) conn.send(f);
  }

  private onEvent(e: ChatEvent): void {
    this.metrics.busEvents.inc({ type: e.type });
    switch (e.type) {
      case 'room.event': {
        const ev = e.event;
        if (ev.event === 'member.left') {
          // The leaver's live delivery stops at once, on every instance.
          for (const conn of this.byUser.get(ev.data.userId) ?? []) {
            if (this.removeSubscription(conn, e.roomId))
              conn.send(frame('room.unsubscribed', { roomId: e.roomId, reason: ev.data.reason }));
          }
        }
        const room = this.byRoom.get(e.roomId);
        if (room) for (const sub of room.values()) sub.offer(ev);
        return;
      }
      case 'room.deleted': {
        const room = this.byRoom.get(e.roomId);
        if (!room) return;
        for (const conn of [...room.keys()]) {
          this.removeSubscription(conn, e.roomId);
          conn.send(frame('room.deleted', { roomId: e.roomId }));
          conn.send(frame('room.unsubscribed', { roomId: e.roomId, reason: 'deleted' }));
        }
        return;
      }
      case 'typing':
        this.broadcast(
          e.roomId,
          'typing',
          { roomId: e.roomId, userId: e.userId, username: e.username },
          e.userId,
        );
        return;
      case 'presence':
        // Not to the user's own sockets: their own presence tells them nothing.
        this.broadcast(
          e.roomId,
          'presence',
          { roomId: e.roomId, userId: e.userId, online: e.online },
          e.userId,
        );
        return;
      case 'read.updated': {
        const conns = this.byUser.get(e.userId);
        if (!conns) return;
        const f = Buffer.from(
          frame('read.updated', {
            roomId: e.roomId,
            lastReadSeq: e.lastReadSeq,
            unreadCount: e.unreadCount,
            mentionCount: e.mentionCount,
          }),
        );
        for (const conn of conns) conn.send(f);
        return;
      }
      case 'invite.received': {
        const conns = this.byUser.get(e.userId);
        if (!conns) return;
        const f = Buffer.from(frame('invite.received', { invite: e.invite, room: e.room }));
        for (const conn of conns) conn.send(f);
        return;
      }
      case 'dm.created': {
        const f = Buffer.from(frame('dm.created', { room: e.room }));
        for (const userId of e.memberIds)
          for (const conn of this.byUser.get(userId) ?? []) conn.send(f);
        return;
      }
      case 'session.revoked': {
        for (const conn of [...(this.byUser.get(e.userId) ?? [])]) {
          if (e.sessionId === null || conn.principal.sessionId === e.sessionId) {
            markClose(conn.socket, 'session_ended');
            conn.close(CloseCodes.sessionEnded, `session ended: ${e.reason}`.slice(0, 120));
          }
        }
        return;
      }
    }
  }

  private beat(): void {
    for (const conn of this.connections) {
      if (conn.missedPongs >= 2) {
        markClose(conn.socket, 'heartbeat');
        conn.closing = true;
        conn.socket.terminate();
        continue;
      }
      conn.missedPongs++;
      try {
        conn.socket.ping();
      } catch {
        /* socket already closing */
      }
    }
  }
}
