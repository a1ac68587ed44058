import type { RoomEvent } from '../../../common/events/chat-events.js';
import type { Membership, Room } from './room.js';

export interface NewRoom {
  name: string;
  description: string;
  isPrivate: boolean;
  passwordHash: string | null;
  ownerId: string;
  orgId?: string | null;
}

export interface RoomPatch {
  name?: string;
  description?: string;
  isPrivate?: boolean;
  passwordHash?: string | null;
  /** null clears it (the server's default applies). */
  retentionDays?: number | null;
}

export interface KeysetPage<T> {
  items: T[];
  /** Keyset position after the last item, or null when this was the last page. */
  next: (string | number)[] | null;
}

/** Persistence port for rooms and memberships; one method per use case. */
export abstract class RoomRepository {
  /** Creates the room and its owner's membership together; ROOM_NAME_TAKEN on a duplicate name. */
  abstract create(room: NewRoom): Promise<Room>;
  /**
   * The direct room of exactly these members (`key`, see directMembers), created with their
   * memberships when there is none; `created` tells which. Two concurrent calls, on any
   * instances, get the same room (one INSERT wins the unique key, the other reads it).
   */
  abstract findOrCreateDirect(input: {
    key: string;
    memberIds: string[];
    creatorId: string;
    name: string;
  }): Promise<{ room: Room; created: boolean }>;
  abstract findById(id: string): Promise<Room | null>;
  /** The room and the user's membership in it, in one read (the per-send check). */
  abstract findWithMembership(
    roomId: string,
    userId: string,
  ): Promise<{ room: Room; membership: Membership | null } | null>;
  /** Public rooms plus the caller's own, newest first. */
  abstract listVisible(
    userId: string,
    q: string | undefined,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<Room>>;
  /** Applies the patch and records room.updated in the room's log, in one transaction. */
  abstract update(id: string, patch: RoomPatch): Promise<{ room: Room; event: RoomEvent }>;
  abstract delete(id: string): Promise<void>;
  /**
   * Adds a member (idempotent) and records member.joined; `created` is false (and no event)
   * when they already were one.
   */
  abstract addMember(
    roomId: string,
    userId: string,
  ): Promise<{ membership: Membership; created: boolean; event: RoomEvent | null }>;
  /**
   * Removes a member. An owner hands the room to the longest-standing other member; with none
   * left, OWNER_LAST_MEMBER is thrown and nothing changes. Records member.left (and room.updated
   * when the room changed hands) in the room's log. Null when they were not a member.
   */
  abstract removeMember(
    roomId: string,
    userId: string,
    reason: 'left' | 'kicked',
  ): Promise<{ newOwnerId: string | null; events: RoomEvent[] } | null>;
  abstract listMembers(
    roomId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<Membership>>;
  /** Failed password attempts by this user on this room within the window. */
  abstract countJoinFailures(
    roomId: string,
    userId: string,
    windowSec: number,
  ): Promise<{ count: number; retryAfterSec: number }>;
  abstract recordJoinFailure(roomId: string, userId: string): Promise<void>;
  abstract clearJoinFailures(roomId: string, userId: string): Promise<void>;
}
