import type { Room } from '../../rooms/domain/room.js';
import type { ReadState } from './read-marker.js';

/** The newest message of a room, as the room list shows it. */
export interface LastMessage {
  id: string;
  seq: number;
  userId: string;
  username: string;
  content: string;
  type: string;
  createdAt: Date;
  deleted: boolean;
}

export interface RoomListItem {
  room: Room;
  lastReadSeq: number;
  mentionCount: number;
  lastMessage: LastMessage | null;
}

/** Persistence port for read markers and the room list. */
export abstract class ReadStateRepository {
  /**
   * Moves the member's marker to min(seq, lastSeq) if that is ahead of it, in one statement
   * (concurrent calls cannot move it back). The new state when it moved; null when it did not
   * (or the user is not a member: callers check membership first).
   */
  abstract advance(roomId: string, userId: string, seq: number): Promise<ReadState | null>;
  /** The members' current states, in one read; pairs that are not memberships are left out. */
  abstract statesOf(
    pairs: { roomId: string; userId: string }[],
  ): Promise<(ReadState & { userId: string })[]>;
  /** The user's rooms, direct ones included, most recent activity first. */
  abstract listRooms(
    userId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<{ items: RoomListItem[]; next: [string, string] | null }>;
}
