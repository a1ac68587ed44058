import type { Message, MessageType } from './message.js';

export interface NewMessage {
  roomId: string;
  userId: string;
  content: string;
  type: MessageType;
  clientMsgId: string | null;
  /** The user who sent it on the author's behalf, or null. */
  sentBy?: string | null;
}

/** Persistence port for messages. `appendToRoom` is where a message gets its seq. */
export abstract class MessageRepository {
  /**
   * Stores the message with its room's next seq (gapless: a failed insert leaves no hole).
   * With a clientMsgId the sender already used, nothing is stored and the first message is
   * returned with `created: false`. Returns null when the room does not exist.
   */
  abstract appendToRoom(msg: NewMessage): Promise<{ message: Message; created: boolean } | null>;
  /** Up to `limit` messages with seq > afterSeq, ascending. */
  abstract findAfterSeq(roomId: string, afterSeq: number, limit: number): Promise<Message[]>;
  /** Up to `limit` messages with seq < beforeSeq, ascending (the ones right before). */
  abstract findBeforeSeq(roomId: string, beforeSeq: number, limit: number): Promise<Message[]>;
  abstract findLatest(roomId: string, limit: number): Promise<Message[]>;
  abstract findById(roomId: string, id: string): Promise<Message | null>;
  /**
   * Empties the message's content and stamps deleted_at; `changed` is false when it already was
   * a tombstone. Null when there is no such message in the room.
   */
  abstract tombstone(
    roomId: string,
    id: string,
  ): Promise<{ message: Message; changed: boolean } | null>;
}
