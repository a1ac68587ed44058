import type { RoomEvent } from '../../../common/events/chat-events.js';
import type { RetainedWindow } from './room-event-cursor.js';

/** Reading a room's event log. Writers append inside their own transactions (RoomEventTx). */
export abstract class RoomEventRepository {
  /** Up to `limit` events with eventSeq > afterEventSeq, ascending. */
  abstract findAfter(roomId: string, afterEventSeq: number, limit: number): Promise<RoomEvent[]>;

  /** The eventSeq of the message.new event of each message with fromSeq <= seq <= toSeq, by seq. */
  abstract messageEventSeqs(
    roomId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<Map<number, number>>;

  /** Where the room's logs start now (retention deletes their oldest rows); null: no room. */
  abstract retainedWindow(roomId: string): Promise<RetainedWindow | null>;
}
