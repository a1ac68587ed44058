import type { AuditEntry, AuditFilter, NewAuditEntry } from '../domain/audit.js';
import {
  AuditRepository,
  OverviewRepository,
  type ClusterCounts,
  type KeysetPage,
} from '../domain/admin.repository.js';

/** The audit log in memory, as the SQL adapter keeps it: ids ascending, pages newest first. */
export class InMemoryAudit extends AuditRepository {
  readonly rows: AuditEntry[] = [];
  /** The clock rows are stamped with (ms); each append moves it one second on. */
  now = Date.parse('2026-03-01T00:00:00Z');
  readonly usernames = new Map<string, string>();

  append(entry: NewAuditEntry): Promise<void> {
    this.rows.push({
      ...entry,
      id: String(this.rows.length + 1),
      actorUsername: entry.actorId ? (this.usernames.get(entry.actorId) ?? null) : null,
      createdAt: new Date(this.now),
    });
    this.now += 1000;
    return Promise.resolve();
  }

  list(
    filter: AuditFilter,
    limit: number,
    beforeId: string | null,
  ): Promise<KeysetPage<AuditEntry>> {
    const hits = this.rows
      .filter(
        (r) =>
          (!filter.actorId || r.actorId === filter.actorId) &&
          (!filter.action || r.action === filter.action) &&
          (!filter.from || r.createdAt >= filter.from) &&
          (!filter.to || r.createdAt < filter.to) &&
          (!beforeId || BigInt(r.id) < BigInt(beforeId)),
      )
      .reverse();
    const page = hits.slice(0, limit);
    const more = hits.length > limit;
    return Promise.resolve({ items: page, next: more ? [page[page.length - 1].id] : null });
  }
}

/**
 * The cluster's counts in memory: instances' heartbeats on a clock the test moves (`now`).
 * `failNext` makes the next call of that name reject (the database away for one statement).
 */
export class InMemoryOverview extends OverviewRepository {
  now = 1_000_000;
  users = 0;
  rooms = 0;
  messagesToday = 0;
  readonly instances = new Map<string, { sockets: number; at: number }>();
  readonly failNext = new Set<string>();
  /** Heartbeats received, in order (`instance sockets`). */
  readonly beats: string[] = [];

  private check(name: string): void {
    if (this.failNext.delete(name)) throw new Error(`${name}: database unavailable`);
  }

  async heartbeat(instanceId: string, sockets: number, forgetAfterMs: number): Promise<void> {
    this.check('heartbeat');
    this.beats.push(`${instanceId} ${sockets}`);
    this.instances.set(instanceId, { sockets, at: this.now });
    for (const [id, i] of this.instances)
      if (i.at < this.now - forgetAfterMs) this.instances.delete(id);
  }

  async forget(instanceId: string): Promise<void> {
    this.check('forget');
    this.instances.delete(instanceId);
  }

  async counts(selfInstanceId: string, freshWithinMs: number): Promise<ClusterCounts> {
    this.check('counts');
    const others = [...this.instances].filter(
      ([id, i]) => id !== selfInstanceId && i.at >= this.now - freshWithinMs,
    );
    return {
      users: this.users,
      rooms: this.rooms,
      messagesToday: this.messagesToday,
      otherSockets: others.reduce((n, [, i]) => n + i.sockets, 0),
      otherInstances: others.length,
    };
  }
}
