import type { RoomEvent } from '../../../common/events/chat-events.js';
import type { Membership, Room } from '../../rooms/domain/room.js';

/** Reading a room's event log. Writers append inside their own transactions (RoomEventTx). */
export abstract class RoomEventRepository {
  /** Up to `limit` events with eventSeq > afterEventSeq, ascending. */
  abstract findAfter(roomId: string, afterEventSeq: number, limit: number): Promise<RoomEvent[]>;

  /**
   * In one read, one snapshot: the room and the caller's membership in it (as the rooms module
   * reads them for its access check) and, only when the caller is a member, up to `limit` events
   * with eventSeq > afterEventSeq, ascending (else none). Null: no room.
   */
  abstract findAfterAsMember(
    roomId: string,
    userId: string,
    afterEventSeq: number,
    limit: number,
  ): Promise<{ room: Room; membership: Membership | null; events: RoomEvent[] } | null>;

  /** The eventSeq of the message.new event of each message with fromSeq <= seq <= toSeq, by seq. */
  abstract messageEventSeqs(
    roomId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<Map<number, number>>;

  /**
   * The lowest seq a room still keeps (retention deletes prefixes of its messages only, so all
   * from there to lastSeq is there; no message: lastSeq + 1). Null: no room. (Where the room
   * event log starts, a resume by eventSeq learns from its first replay page.)
   */
  abstract retainedFromSeq(roomId: string): Promise<number | null>;
}
