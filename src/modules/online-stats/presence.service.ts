import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { EventBus } from '../../common/events/event-bus.js';
import {
  ChatExtensions,
  type ConnectionInfo,
  type ConnectionObserver,
} from '../../common/extensions/chat-extensions.js';
import { RoomsService } from '../rooms/rooms.service.js';
import {
  SessionLedger,
  type OnlineMember,
  type PresenceChange,
  type RecordedConnection,
} from './domain/session-ledger.js';
import { StatsInstance } from './stats-instance.js';

/** How long a clean shutdown waits for connections' records still being written. */
const DRAIN_MS = 3000;

/**
 * Records every WebSocket connection of this instance in the session ledger (the hub tells it
 * each open and close) and announces presence: `online` in each of the user's rooms when their
 * first connection anywhere opens, `offline` when their last one closes.
 */
@Injectable()
export class PresenceService implements OnModuleInit, ConnectionObserver {
  readonly name = 'online-stats';
  private readonly log = new Logger('OnlinePresence');
  /** Connections open on this instance, by connection id. */
  private readonly local = new Map<string, ConnectionInfo>();
  /** Per connection, its records in order: a close is never written before its open. */
  private readonly chains = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly ext: ChatExtensions,
    private readonly ledger: SessionLedger,
    private readonly bus: EventBus,
    private readonly rooms: RoomsService,
    private readonly instance: StatsInstance,
  ) {}

  onModuleInit(): void {
    this.ext.addConnectionObserver(this);
  }

  opened(conn: ConnectionInfo): Promise<void> | void {
    // Shutting down: the socket is about to be closed, and the instance's sessions with it.
    if (this.stopping) return;
    this.local.set(conn.connectionId, conn);
    return this.inOrder(conn.connectionId, async () => {
      const { firstForUser } = await this.ledger.open(this.record(conn));
      if (firstForUser) await this.announceOnline([conn.userId]);
    });
  }

  closed(conn: ConnectionInfo, closedAt: Date): Promise<void> | void {
    this.local.delete(conn.connectionId);
    // Shutting down: the instance closes all its sessions at once (InstanceLeaseService).
    if (this.stopping) return;
    return this.inOrder(
      conn.connectionId,
      async () => {
        const { lastForUser } = await this.ledger.close(this.record(conn), closedAt);
        if (lastForUser) await this.publish(await this.ledger.offlineChanges([conn.userId]), false);
      },
      true,
    );
  }

  /** Ids of the connections open on this instance. */
  localConnectionIds(): string[] {
    return [...this.local.keys()];
  }

  /**
   * Stops recording (clean shutdown) and waits, bounded, for the records already under way,
   * so none lands after the instance has closed its sessions.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.chains.values()]),
      new Promise((r) => (timer = setTimeout(r, DRAIN_MS))),
    ]);
    clearTimeout(timer);
  }

  /** `online` in every room of each of these users. */
  async announceOnline(userIds: string[]): Promise<void> {
    await this.publish(await this.ledger.roomsOf(userIds), true);
  }

  /** `offline` in every room of each of these users who has no connection open anywhere. */
  async announceOffline(userIds: string[]): Promise<void> {
    await this.publish(await this.ledger.offlineChanges(userIds), false);
  }

  /** Who of a room's members is online now (members only). */
  async onlineIn(callerId: string, roomId: string): Promise<OnlineMember[]> {
    await this.rooms.requireMember(callerId, roomId);
    return this.ledger.onlineMembers(roomId);
  }

  private async publish(changes: PresenceChange[], online: boolean): Promise<void> {
    for (const c of changes)
      await this.bus.publish({ type: 'presence', roomId: c.roomId, userId: c.userId, online });
  }

  private record(conn: ConnectionInfo): RecordedConnection {
    return {
      connectionId: conn.connectionId,
      userId: conn.userId,
      sessionId: conn.sessionId,
      instanceId: this.instance.id,
      openedAt: conn.openedAt,
    };
  }

  private inOrder(id: string, step: () => Promise<void>, last = false): Promise<void> {
    // A failed step (logged by the hub) does not stop the next one: a close is still recorded.
    const run = (this.chains.get(id) ?? Promise.resolve()).catch(() => undefined).then(step);
    const settled = run.catch((err: unknown) => {
      this.log.error({ err: String(err), connectionId: id }, 'recording a connection failed');
    });
    this.chains.set(id, settled);
    if (last)
      void settled.then(() => {
        if (this.chains.get(id) === settled) this.chains.delete(id);
      });
    return settled;
  }
}
