// Proxy domain: who may send as whom, where and when. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';

/** The right of `proxyUserId` to send as `grantorId`. */
export interface ProxyGrant {
  id: string;
  grantorId: string;
  grantorUsername: string;
  proxyUserId: string;
  proxyUsername: string;
  /** The rooms it covers; null: every room the grantor is a member of. */
  roomIds: string[] | null;
  startsAt: Date;
  /** Exclusive end; null: until revoked. */
  endsAt: Date | null;
  createdAt: Date;
  revokedAt: Date | null;
  /**
   * Live now: not revoked and now within [startsAt, endsAt). Read by the database's clock, the
   * same clock the per-send check uses, so every instance agrees.
   */
  active: boolean;
}

export const GRANT_ROOMS_MAX = 100;

/** An instant with its time zone (Z or ±hh:mm): a bare local time is ambiguous. */
export const INSTANT_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,6})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** Parses an ISO-8601 instant; a malformed or impossible one (2025-02-30) is a 400 naming `field`. */
export function parseInstant(field: string, value: string): Date {
  const m = INSTANT_PATTERN.exec(value);
  const bad = () =>
    Errors.validation(
      'VALIDATION_FAILED',
      `${field} must be an ISO-8601 date-time with a time zone, e.g. 2030-01-31T09:00:00Z`,
    );
  if (!m) throw bad();
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d)
    throw bad();
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw bad();
  return at;
}

/**
 * The grant's window: starts when asked (null: now, by the database's clock), ends when asked
 * (null: never). The end must come after the start and after `now` (a grant born expired is a
 * mistake, not a grant).
 */
export function grantWindow(
  input: { startsAt?: string; endsAt?: string | null },
  now: Date,
): { startsAt: Date | null; endsAt: Date | null } {
  const startsAt = input.startsAt === undefined ? null : parseInstant('startsAt', input.startsAt);
  const endsAt =
    input.endsAt === undefined || input.endsAt === null
      ? null
      : parseInstant('endsAt', input.endsAt);
  if (endsAt && startsAt && endsAt.getTime() <= startsAt.getTime())
    throw Errors.validation('VALIDATION_FAILED', 'endsAt must be after startsAt');
  if (endsAt && endsAt.getTime() <= now.getTime())
    throw Errors.validation('VALIDATION_FAILED', 'endsAt must be in the future');
  return { startsAt, endsAt };
}

/** Nobody needs a grant to be themselves. */
export function checkParties(grantorId: string, proxyUserId: string): void {
  if (grantorId === proxyUserId)
    throw Errors.validation('VALIDATION_FAILED', 'proxyUserId must be another user than yourself');
}

/** What the grantor's relation to a listed room is, as read when the grant is made. */
export interface RoomAccess {
  roomId: string;
  exists: boolean;
  isPrivate: boolean;
  orgId: string | null;
  member: boolean;
}

/**
 * Every listed room must be one the grantor is a member of. A room the grantor cannot see (absent,
 * private or an organisation's, and not a member) is a 404 like everywhere else; a public room
 * they are not in is a 400. Both name the room.
 */
export function checkGrantRooms(roomIds: string[], access: RoomAccess[]): void {
  if (roomIds.length === 0 || roomIds.length > GRANT_ROOMS_MAX)
    throw Errors.validation(
      'VALIDATION_FAILED',
      `roomIds must list 1 to ${GRANT_ROOMS_MAX} rooms (leave it out for all your rooms)`,
    );
  if (new Set(roomIds).size !== roomIds.length)
    throw Errors.validation('VALIDATION_FAILED', 'roomIds must not repeat a room');
  const byId = new Map(access.map((a) => [a.roomId, a]));
  for (const id of roomIds) {
    const a = byId.get(id);
    if (!a || !a.exists || (!a.member && (a.isPrivate || a.orgId !== null)))
      throw Errors.notFound('ROOM_NOT_FOUND', `room ${id} not found`);
    if (!a.member)
      throw Errors.validation('VALIDATION_FAILED', `roomIds: you are not a member of room ${id}`);
  }
}

/** Only the two parties know a grant exists: anyone else gets PROXY_NOT_FOUND. */
export function assertParty(g: ProxyGrant | null, userId: string): asserts g is ProxyGrant {
  if (!g || (g.grantorId !== userId && g.proxyUserId !== userId))
    throw Errors.notFound('PROXY_NOT_FOUND', 'proxy grant not found');
}

export type AuditAction = 'grant.created' | 'grant.revoked' | 'message.send';

/** One line of the audit trail. */
export interface AuditEntry {
  id: string;
  grantId: string | null;
  grantorId: string;
  proxyUserId: string;
  /** Who did it: the proxy for a send, the grantor (or the renouncing proxy) for a revocation. */
  actorId: string;
  action: AuditAction;
  via: string | null;
  roomId: string | null;
  messageId: string | null;
  seq: number | null;
  createdAt: Date;
}
