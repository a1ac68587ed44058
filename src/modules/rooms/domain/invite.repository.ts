import type { Invite, InviteCloseReason } from './invite.js';
import type { Room } from './room.js';
import type { KeysetPage } from './room.repository.js';

/** Persistence port for room invites; one method per use case. */
export abstract class InviteRepository {
  /** A new open invite; INVITE_EXISTS when this user already has an open one to this room. */
  abstract create(roomId: string, userId: string, invitedBy: string): Promise<Invite>;
  /** The open invite `id` of `roomId`, or null (unknown, of another room, or closed). */
  abstract findOpen(id: string, roomId: string): Promise<Invite | null>;
  /** Closes an open invite once; false when it was no longer open. */
  abstract close(id: string, reason: InviteCloseReason): Promise<boolean>;
  /** Uses the user's open invite to the room, atomically; false when there was none. */
  abstract use(roomId: string, userId: string): Promise<boolean>;
  /** The user's open invites with their rooms, newest first. */
  abstract listOpenFor(
    userId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<{ invite: Invite; room: Room }>>;
}
