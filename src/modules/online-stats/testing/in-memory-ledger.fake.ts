import {
  SessionLedger,
  type OnlineMember,
  type PresenceChange,
  type RecordedConnection,
} from '../domain/session-ledger.js';
import type { SessionSpan } from '../domain/online-time.js';

interface Session extends RecordedConnection {
  closedAt: Date | null;
  closeReason: string | null;
}

/**
 * The session ledger in memory, with the SQL adapter's meaning: instances with leases on a
 * clock the test moves (`now`), sessions open until closed, and rooms per user for presence.
 * `failNext` makes the next call of that name reject (the database away for one statement);
 * `slow` holds calls of that name for so many ms before they take effect (a slow statement).
 */
export class InMemoryLedger extends SessionLedger {
  now = 1_000_000;
  /** instance id -> lease end (ms on `now`'s clock) and last renewal. */
  readonly instances = new Map<string, { until: number; renewedAt: number }>();
  readonly sessions: Session[] = [];
  readonly roomsByUser = new Map<string, string[]>();
  readonly failNext = new Set<string>();
  readonly slow = new Map<string, number>();

  private check(name: string): void {
    if (this.failNext.delete(name)) throw new Error(`${name}: database unavailable`);
  }

  private openOf(userId: string): Session[] {
    return this.sessions.filter(
      (s) => s.userId === userId && s.closedAt === null && this.instances.has(s.instanceId),
    );
  }

  private changes(userIds: string[]): PresenceChange[] {
    return userIds.flatMap((userId) =>
      (this.roomsByUser.get(userId) ?? []).map((roomId) => ({ roomId, userId })),
    );
  }

  registerInstance(instanceId: string, leaseMs: number): Promise<void> {
    this.check('registerInstance');
    this.instances.set(instanceId, { until: this.now + leaseMs, renewedAt: this.now });
    return Promise.resolve();
  }

  renewLease(instanceId: string, leaseMs: number): Promise<boolean> {
    this.check('renewLease');
    if (!this.instances.has(instanceId)) return Promise.resolve(false);
    this.instances.set(instanceId, { until: this.now + leaseMs, renewedAt: this.now });
    return Promise.resolve(true);
  }

  sweepLapsed(): Promise<{ instanceIds: string[]; userIds: string[] }> {
    this.check('sweepLapsed');
    const instanceIds = [...this.instances].filter(([, l]) => l.until < this.now).map(([id]) => id);
    const userIds = new Set<string>();
    for (const id of instanceIds) {
      const renewedAt = this.instances.get(id)!.renewedAt;
      for (const s of this.sessions)
        if (s.instanceId === id && s.closedAt === null) {
          s.closedAt = new Date(renewedAt);
          s.closeReason = 'instance_lost';
          userIds.add(s.userId);
        }
      this.instances.delete(id);
    }
    return Promise.resolve({ instanceIds, userIds: [...userIds] });
  }

  retireInstance(instanceId: string, closedAt: Date): Promise<string[]> {
    this.check('retireInstance');
    const users = new Set<string>();
    for (const s of this.sessions)
      if (s.instanceId === instanceId && s.closedAt === null) {
        s.closedAt = closedAt;
        s.closeReason = 'shutdown';
        users.add(s.userId);
      }
    this.instances.delete(instanceId);
    return Promise.resolve([...users]);
  }

  reopenLost(instanceId: string, connectionIds: string[]): Promise<string[]> {
    this.check('reopenLost');
    const users = new Set<string>();
    for (const s of this.sessions)
      if (
        s.instanceId === instanceId &&
        s.closeReason === 'instance_lost' &&
        connectionIds.includes(s.connectionId)
      ) {
        s.closedAt = null;
        s.closeReason = null;
        users.add(s.userId);
      }
    return Promise.resolve([...users]);
  }

  async open(c: RecordedConnection): Promise<{ firstForUser: boolean }> {
    this.check('open');
    const ms = this.slow.get('open');
    if (ms) await new Promise((r) => setTimeout(r, ms));
    const firstForUser = this.openOf(c.userId).length === 0;
    this.sessions.push({ ...c, closedAt: null, closeReason: null });
    return { firstForUser };
  }

  close(c: RecordedConnection, closedAt: Date): Promise<{ lastForUser: boolean }> {
    this.check('close');
    const s = this.sessions.find((x) => x.connectionId === c.connectionId && x.closedAt === null);
    if (s) {
      s.closedAt = closedAt;
      s.closeReason = 'closed';
    }
    return Promise.resolve({ lastForUser: this.openOf(c.userId).length === 0 });
  }

  roomsOf(userIds: string[]): Promise<PresenceChange[]> {
    this.check('roomsOf');
    return Promise.resolve(this.changes(userIds));
  }

  offlineChanges(userIds: string[]): Promise<PresenceChange[]> {
    this.check('offlineChanges');
    return Promise.resolve(this.changes(userIds.filter((u) => this.openOf(u).length === 0)));
  }

  onlineMembers(roomId: string): Promise<OnlineMember[]> {
    const users = [...this.roomsByUser]
      .filter(([u, rooms]) => rooms.includes(roomId) && this.openOf(u).length > 0)
      .map(([u]) => u)
      .sort();
    return Promise.resolve(
      users.map((userId) => ({
        userId,
        username: userId,
        since: new Date(Math.min(...this.openOf(userId).map((s) => s.openedAt.getTime()))),
      })),
    );
  }

  /**
   * As the SQL adapter: the users' sessions overlapping [from, to); one still open on an instance
   * whose lease lapsed (or that is gone) is lost at that instance's last renewal.
   */
  sessionsOf(userIds: string[], from: Date, to: Date): Promise<Map<string, SessionSpan[]>> {
    this.check('sessionsOf');
    const out = new Map<string, SessionSpan[]>();
    for (const s of this.sessions) {
      if (!userIds.includes(s.userId) || s.openedAt >= to) continue;
      if (s.closedAt !== null && s.closedAt <= from) continue;
      const lease = this.instances.get(s.instanceId);
      const lost = s.closedAt === null && (!lease || lease.until < this.now);
      const span: SessionSpan = {
        openedAt: s.openedAt,
        closedAt: s.closedAt,
        lostAt: lost
          ? new Date(Math.max(s.openedAt.getTime(), lease?.renewedAt ?? s.openedAt.getTime()))
          : null,
      };
      out.set(s.userId, [...(out.get(s.userId) ?? []), span]);
    }
    return Promise.resolve(out);
  }
}
