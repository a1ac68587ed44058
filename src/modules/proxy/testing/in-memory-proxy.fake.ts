import { randomUUID } from 'node:crypto';
import type { UserRepository } from '../../users/domain/user.repository.js';
import type { AuditEntry, ProxyGrant, RoomAccess } from '../domain/proxy-grant.js';
import {
  ProxyRepository,
  type GrantFilter,
  type KeysetPage,
  type NewAuditEntry,
  type NewGrant,
} from '../domain/proxy.repository.js';

type StoredGrant = Omit<ProxyGrant, 'active' | 'grantorUsername' | 'proxyUsername'>;

/** Newest first by (createdAt, id); the page after `after`, as the SQL adapter's keyset. */
function keyset<T extends { id: string; createdAt: Date }>(
  rows: T[],
  limit: number,
  after: [string, string] | null,
): KeysetPage<T> {
  const key = (r: T) => [r.createdAt.getTime(), r.id] as const;
  const before = (r: T) => {
    if (!after) return true;
    const [t, id] = key(r);
    const at = Date.parse(after[0]);
    return t < at || (t === at && id < after[1]);
  };
  const sorted = rows
    .filter(before)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  const items = sorted.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    next: sorted.length > limit && last ? [last.createdAt.toISOString(), last.id] : null,
  };
}

/**
 * Grants and their audit trail in memory, with the SQL adapter's meaning: `now` is the database's
 * clock (ms, from the host's at the start; every write moves it one second on, so rows have distinct times), rooms are what
 * `roomAccess` reads, usernames and the grantor's status come from `users`.
 */
export class InMemoryProxyRepository extends ProxyRepository {
  now = Date.now();
  readonly grants: StoredGrant[] = [];
  readonly audit: AuditEntry[] = [];
  readonly rooms = new Map<
    string,
    { isPrivate: boolean; orgId: string | null; members: string[] }
  >();

  constructor(private readonly users: UserRepository) {
    super();
  }

  private tick(): Date {
    this.now += 1000;
    return new Date(this.now);
  }

  private live(g: StoredGrant): boolean {
    return (
      g.revokedAt === null &&
      g.startsAt.getTime() <= this.now &&
      (g.endsAt === null || g.endsAt.getTime() > this.now)
    );
  }

  private async view(g: StoredGrant): Promise<ProxyGrant> {
    const name = async (id: string) => (await this.users.findById(id))?.username ?? '';
    return {
      ...g,
      grantorUsername: await name(g.grantorId),
      proxyUsername: await name(g.proxyUserId),
      active: this.live(g),
    };
  }

  async create(grant: NewGrant): Promise<ProxyGrant> {
    const createdAt = this.tick();
    const g: StoredGrant = {
      id: randomUUID(),
      grantorId: grant.grantorId,
      proxyUserId: grant.proxyUserId,
      roomIds: grant.roomIds,
      startsAt: grant.startsAt ?? createdAt,
      endsAt: grant.endsAt,
      createdAt,
      revokedAt: null,
    };
    this.grants.push(g);
    await this.recordAudit({
      grantId: g.id,
      grantorId: g.grantorId,
      proxyUserId: g.proxyUserId,
      actorId: g.grantorId,
      action: 'grant.created',
    });
    return this.view(g);
  }

  async findById(id: string): Promise<ProxyGrant | null> {
    const g = this.grants.find((x) => x.id === id);
    return g ? this.view(g) : null;
  }

  async revoke(
    id: string,
    actorId: string,
  ): Promise<{ grant: ProxyGrant; changed: boolean } | null> {
    const g = this.grants.find((x) => x.id === id);
    if (!g) return null;
    const changed = g.revokedAt === null;
    if (changed) {
      g.revokedAt = this.tick();
      await this.recordAudit({
        grantId: g.id,
        grantorId: g.grantorId,
        proxyUserId: g.proxyUserId,
        actorId,
        action: 'grant.revoked',
      });
    }
    return { grant: await this.view(g), changed };
  }

  async listFor(
    userId: string,
    filter: GrantFilter,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<ProxyGrant>> {
    const mine = this.grants.filter(
      (g) =>
        (filter.role !== 'received' && g.grantorId === userId) ||
        (filter.role !== 'granted' && g.proxyUserId === userId),
    );
    const p = keyset(
      mine.filter((g) => filter.active === undefined || this.live(g) === filter.active),
      limit,
      after,
    );
    return { items: await Promise.all(p.items.map((g) => this.view(g))), next: p.next };
  }

  async findLiveGrant(proxyId: string, grantorId: string, roomId: string): Promise<string | null> {
    if ((await this.users.findById(grantorId))?.status !== 'active') return null;
    const g = keyset(
      this.grants.filter(
        (x) =>
          x.proxyUserId === proxyId &&
          x.grantorId === grantorId &&
          this.live(x) &&
          (x.roomIds === null || x.roomIds.includes(roomId)),
      ),
      1,
      null,
    ).items[0];
    return g?.id ?? null;
  }

  roomAccess(userId: string, roomIds: string[]): Promise<RoomAccess[]> {
    return Promise.resolve(
      roomIds.map((roomId) => {
        const r = this.rooms.get(roomId);
        return {
          roomId,
          exists: r !== undefined,
          isPrivate: r?.isPrivate ?? false,
          orgId: r?.orgId ?? null,
          member: r?.members.includes(userId) ?? false,
        };
      }),
    );
  }

  recordAudit(e: NewAuditEntry): Promise<void> {
    this.audit.push({
      id: randomUUID(),
      grantId: e.grantId,
      grantorId: e.grantorId,
      proxyUserId: e.proxyUserId,
      actorId: e.actorId,
      action: e.action,
      via: e.via ?? null,
      roomId: e.roomId ?? null,
      messageId: e.messageId ?? null,
      seq: e.seq ?? null,
      createdAt: this.tick(),
    });
    return Promise.resolve();
  }

  listAudit(
    userId: string,
    grantId: string | null,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<AuditEntry>> {
    return Promise.resolve(
      keyset(
        this.audit.filter(
          (a) =>
            (a.grantorId === userId || a.proxyUserId === userId) &&
            (grantId === null || a.grantId === grantId),
        ),
        limit,
        after,
      ),
    );
  }
}
