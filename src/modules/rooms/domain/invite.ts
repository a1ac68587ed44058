// Invitations into private rooms: types and rules. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import { assertNotDirect } from './direct-room.js';
import type { Membership, Room } from './room.js';

export interface Invite {
  id: string;
  roomId: string;
  userId: string;
  invitedBy: string;
  createdAt: Date;
}

export type InviteCloseReason = 'used' | 'withdrawn' | 'declined';

/**
 * Whether `room` takes an invite for a user whose membership is `inviteeMembership` (the
 * caller's right to invite is checked before: the owner's). A public room needs none (anyone
 * joins), a direct room takes nobody, a member is in already.
 */
export function checkInvitable(room: Room, inviteeMembership: Membership | null): void {
  assertNotDirect(room);
  if (!room.isPrivate)
    throw Errors.validation(
      'ROOM_NOT_PRIVATE',
      'a public room needs no invite: anyone may join it',
    );
  if (inviteeMembership)
    throw Errors.conflict('ALREADY_MEMBER', 'this user is already a member of the room');
}

/** Who may close an open invite, and how: its invitee declines it, the room owner withdraws it. */
export function closeReasonFor(
  invite: Invite,
  room: Pick<Room, 'ownerId'>,
  callerId: string,
): InviteCloseReason | null {
  if (invite.userId === callerId) return 'declined';
  if (room.ownerId === callerId) return 'withdrawn';
  return null;
}
