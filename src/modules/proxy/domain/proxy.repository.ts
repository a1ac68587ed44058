import type { AuditAction, AuditEntry, ProxyGrant, RoomAccess } from './proxy-grant.js';

export interface NewGrant {
  grantorId: string;
  proxyUserId: string;
  roomIds: string[] | null;
  /** Null: now, by the database's clock. */
  startsAt: Date | null;
  endsAt: Date | null;
}

export interface NewAuditEntry {
  grantId: string | null;
  grantorId: string;
  proxyUserId: string;
  actorId: string;
  action: AuditAction;
  via?: string | null;
  roomId?: string | null;
  messageId?: string | null;
  seq?: number | null;
}

export interface GrantFilter {
  /** granted: the caller is the grantor; received: the proxy; absent: either. */
  role?: 'granted' | 'received';
  /** true: live grants only; false: revoked, expired or not yet started only. */
  active?: boolean;
}

export interface KeysetPage<T> {
  items: T[];
  /** Keyset position after the last item, or null when this was the last page. */
  next: [string, string] | null;
}

/** Persistence port for grants and their audit trail; one method per use case. */
export abstract class ProxyRepository {
  /** Stores the grant and its `grant.created` audit line together. */
  abstract create(grant: NewGrant): Promise<ProxyGrant>;
  abstract findById(id: string): Promise<ProxyGrant | null>;
  /**
   * Revokes a live grant (and records who did it) in one transaction; revoking a revoked grant
   * changes nothing (`changed` false). Null when there is no such grant.
   */
  abstract revoke(
    id: string,
    actorId: string,
  ): Promise<{ grant: ProxyGrant; changed: boolean } | null>;
  /** Grants where the user is grantor or proxy, newest first. */
  abstract listFor(
    userId: string,
    filter: GrantFilter,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<ProxyGrant>>;
  /**
   * The per-send check, one indexed read against the shared database (no cache, so a
   * revocation holds at once on every instance): the id of a live grant letting `proxyId` send
   * as `grantorId` in `roomId` now, the grantor's account being active; else null.
   */
  abstract findLiveGrant(
    proxyId: string,
    grantorId: string,
    roomId: string,
  ): Promise<string | null>;
  /** The user's relation to each room, in the order asked. */
  abstract roomAccess(userId: string, roomIds: string[]): Promise<RoomAccess[]>;
  abstract recordAudit(entry: NewAuditEntry): Promise<void>;
  /** Audit lines where the user is grantor or proxy (optionally of one grant), newest first. */
  abstract listAudit(
    userId: string,
    grantId: string | null,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<AuditEntry>>;
}
