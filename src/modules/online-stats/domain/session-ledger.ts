import type { SessionSpan } from './online-time.js';

/** A WebSocket connection as the ledger records it (its id is the hub's connection id). */
export interface RecordedConnection {
  connectionId: string;
  userId: string;
  /** The login (auth session) the connection belongs to. */
  sessionId: string;
  instanceId: string;
  openedAt: Date;
}

export interface OnlineMember {
  userId: string;
  username: string;
  /** Since when the user has had a connection open (the oldest of their open connections). */
  since: Date;
}

/** A presence change to announce in one room. */
export interface PresenceChange {
  roomId: string;
  userId: string;
}

/**
 * Persistence port of online statistics: instances with their leases, and the ledger of WebSocket
 * sessions. One method per use case; the SQL adapter keeps each one atomic.
 */
export abstract class SessionLedger {
  /** Starts (or restarts) an instance's lease. */
  abstract registerInstance(instanceId: string, leaseMs: number): Promise<void>;
  /** Extends the lease; false when the instance's row is gone (another instance swept it). */
  abstract renewLease(instanceId: string, leaseMs: number): Promise<boolean>;
  /**
   * For every instance whose lease has lapsed: closes its open sessions at its last renewal
   * (close_reason `instance_lost`) and forgets the instance. Also closes, at their opening, open
   * sessions older than `orphanGraceMs` whose instance is not registered at all (written by an
   * instance after it was swept, which then died before registering again). Answers whose
   * sessions it closed.
   */
  abstract sweepLapsed(
    orphanGraceMs: number,
  ): Promise<{ instanceIds: string[]; userIds: string[] }>;
  /** Clean shutdown: closes the instance's open sessions at `closedAt`, forgets the instance. */
  abstract retireInstance(instanceId: string, closedAt: Date): Promise<string[]>;
  /**
   * The instance was swept while it was in fact alive: reopens those of these connections a
   * sweeper closed as `instance_lost`. Answers the users whose sessions were reopened.
   */
  abstract reopenLost(instanceId: string, connectionIds: string[]): Promise<string[]>;

  /** Records an opened connection; `firstForUser` when the user had no other open one anywhere. */
  abstract open(c: RecordedConnection): Promise<{ firstForUser: boolean }>;
  /** Records a closed connection; `lastForUser` when the user has no open one left anywhere. */
  abstract close(c: RecordedConnection, closedAt: Date): Promise<{ lastForUser: boolean }>;

  /** Where these users' presence is announced: one entry per room each is in. */
  abstract roomsOf(userIds: string[]): Promise<PresenceChange[]>;
  /** For these users, those with no open session left: one entry per room they are in. */
  abstract offlineChanges(userIds: string[]): Promise<PresenceChange[]>;

  /** Members of the room with a session open on a live instance, by username. */
  abstract onlineMembers(roomId: string): Promise<OnlineMember[]>;
  /** Sessions of these users overlapping [from, to), per user. */
  abstract sessionsOf(userIds: string[], from: Date, to: Date): Promise<Map<string, SessionSpan[]>>;
}
