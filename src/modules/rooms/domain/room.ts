// Rooms domain: plain types and the rules of visibility and ownership. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import type { RoomView } from '../../../common/events/chat-events.js';

export type RoomKind = 'room' | 'direct';

export interface Room {
  id: string;
  /** 'direct': a direct conversation of a fixed set of people (no password, no unique name). */
  kind: RoomKind;
  name: string;
  description: string;
  ownerId: string;
  isPrivate: boolean;
  passwordHash: string | null;
  /** Set for an organisation's room: only the organisation's members may see or join it. */
  orgId: string | null;
  memberCount: number;
  lastSeq: number;
  /** eventSeq of the room's newest room event (0: none yet). */
  lastEventSeq: number;
  /**
   * Days its messages and room events are kept (owner's setting); null: the server's
   * RETENTION_DAYS (unset there too: forever).
   */
  retentionDays: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What members see of a room (no password hash). */
export const toRoomView = (r: Room): RoomView => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  description: r.description,
  ownerId: r.ownerId,
  isPrivate: r.isPrivate,
  orgId: r.orgId,
  memberCount: r.memberCount,
  lastSeq: r.lastSeq,
  lastEventSeq: r.lastEventSeq,
  retentionDays: r.retentionDays,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export type MemberRole = 'owner' | 'member';

export interface Membership {
  roomId: string;
  userId: string;
  username: string;
  role: MemberRole;
  joinedAt: Date;
  /** The member's read marker (read receipts); absent where not read. */
  lastReadSeq?: number;
}

export const ROOM_NAME_MAX = 100;
export const ROOM_DESCRIPTION_MAX = 1000;
export const ROOM_PASSWORD_MIN = 4;
export const ROOM_PASSWORD_MAX = 128;

/** A private room always has a password; a public one never keeps one. */
export function checkPrivacySettings(
  isPrivate: boolean,
  hasPassword: boolean,
  passwordGiven: boolean,
): void {
  if (isPrivate && !hasPassword && !passwordGiven)
    throw Errors.validation('ROOM_PASSWORD_REQUIRED', 'password is required for a private room');
  if (!isPrivate && passwordGiven)
    throw Errors.validation('VALIDATION_FAILED', 'password is only allowed for a private room');
}

/**
 * Non-members see a private room as absent (404); a public room exists for everyone but its
 * content is for members (403).
 */
export function assertCanAccess(
  room: Room | null,
  membership: Membership | null,
): asserts room is Room {
  // An organisation's room is hidden like a private one from anyone not in it.
  if (!room || ((room.isPrivate || room.orgId !== null) && !membership))
    throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
  if (!membership) throw Errors.forbidden('NOT_ROOM_MEMBER', 'you are not a member of this room');
}

export function assertVisible(
  room: Room | null,
  membership: Membership | null,
): asserts room is Room {
  if (!room || (room.isPrivate && !membership))
    throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
}

export function assertOwner(room: Room, userId: string): void {
  if (room.ownerId !== userId)
    throw Errors.forbidden('NOT_ROOM_OWNER', 'only the room owner may do this');
}
