import type { UserStatus } from '../../users/domain/user.js';
import type { AuditEntry, AuditFilter, NewAuditEntry } from './audit.js';
import type { ActiveMute } from './mute-index.js';
import type { AdminUser, Mute, SanctionKind } from './sanction.js';

export interface KeysetPage<T> {
  items: T[];
  /** Keyset position after the last item, or null when this was the last page. */
  next: (string | number)[] | null;
}

/** Users as administrators see them, and their sanctions. Each change writes its audit row. */
export abstract class SanctionRepository {
  abstract listUsers(
    filter: { q?: string; status?: UserStatus },
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<AdminUser>>;
  abstract findUser(userId: string): Promise<AdminUser | null>;
  /**
   * In one transaction: sets the user's status to `kind`, records (or replaces) the sanction,
   * and appends `audit`. Null when there is no such user.
   */
  abstract impose(
    sanction: {
      userId: string;
      kind: SanctionKind;
      reason: string;
      until: Date | null;
      by: string;
    },
    audit: NewAuditEntry,
  ): Promise<AdminUser | null>;
  /**
   * In one transaction: drops the sanction, sets the status back to active, appends `audit`.
   * Answers the user as before the change (null: no such user); nothing changes when the
   * user was active with no sanction.
   */
  abstract lift(
    userId: string,
    audit: NewAuditEntry,
  ): Promise<{ before: AdminUser; after: AdminUser } | null>;
  /**
   * Lifts every timed sanction whose end has passed (status back to active) with an audit row
   * by the system each. Safe to run on every instance at once: each sanction is lifted once.
   * Answers the users lifted.
   */
  abstract liftExpired(): Promise<string[]>;
}

export abstract class MuteRepository {
  /** Records or replaces the mute and appends `audit`, in one transaction. */
  abstract upsert(mute: Omit<Mute, 'createdAt'>, audit: NewAuditEntry): Promise<Mute>;
  /** Drops a mute in force and appends `audit`, in one transaction; false when there was none. */
  abstract remove(roomId: string, userId: string, audit: NewAuditEntry): Promise<boolean>;
  /** Every mute in force (for the per-instance index). */
  abstract active(): Promise<ActiveMute[]>;
  /** Drops mutes that have ended, each with an audit row by the system; answers how many. */
  abstract removeExpired(): Promise<number>;
}

export abstract class AuditRepository {
  abstract append(entry: NewAuditEntry): Promise<void>;
  /** Newest first, keyset on the row id. */
  abstract list(
    filter: AuditFilter,
    limit: number,
    beforeId: string | null,
  ): Promise<KeysetPage<AuditEntry>>;
}

export interface ClusterCounts {
  users: number;
  rooms: number;
  messagesToday: number;
  /** Sockets reported by other instances with a fresh heartbeat. */
  otherSockets: number;
  otherInstances: number;
}

export abstract class OverviewRepository {
  /** Upserts this instance's open-socket count; forgets instances silent for `forgetAfterMs`. */
  abstract heartbeat(instanceId: string, sockets: number, forgetAfterMs: number): Promise<void>;
  abstract forget(instanceId: string): Promise<void>;
  abstract counts(selfInstanceId: string, freshWithinMs: number): Promise<ClusterCounts>;
}
