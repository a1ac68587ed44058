import type { RoomEvent } from '../../../common/events/chat-events.js';
import type { AttachmentView } from '../../../common/events/chat-events.js';
import type { HistoryQuery, Message, MessageType } from './message.js';

type AttachmentSummary = Omit<AttachmentView, 'url'>;

export interface NewMessage {
  roomId: string;
  userId: string;
  content: string;
  type: MessageType;
  clientMsgId: string | null;
  /** The user who sent it on the author's behalf, or null. */
  sentBy?: string | null;
  /** The top-level message of the same room it replies to (checked by the caller). */
  threadRootId?: string | null;
  /** Lower-cased @names in the content; the members among them become `mentions`. */
  mentionNames?: string[];
  /** What the message carries (checked and claimed by the caller). */
  attachments?: AttachmentSummary[] | null;
  /**
   * The claim under which the caller holds those uploads: the append binds them to the message
   * in the same statement, and stores nothing when the claim no longer holds all of them.
   * Null with attachments: a re-send whose uploads are already on its first message.
   */
  attachmentClaim?: string | null;
}

export interface Appended {
  message: Message;
  /** The message.new room event, or null when a repeated clientMsgId stored nothing. */
  event: RoomEvent | null;
  created: boolean;
}

/** What a change does to a message, decided by the domain rules on its current state. */
export type MessageChange =
  { kind: 'none' } | { kind: 'edit'; content: string; mentionNames: string[] } | { kind: 'delete' };

export interface Changed {
  message: Message;
  event: RoomEvent | null;
}

/**
 * A page of history as the database renders it: the messages' JSON, ready to serve, so the
 * history route neither decodes nor re-encodes them (a page of 50 is most of its CPU and
 * garbage otherwise).
 */
export interface RenderedPage {
  /** `[...]`: the page's messages in seq order, each a Message (attachments without url). */
  itemsJson: string;
  /** Lowest and highest seq on the page (null: an empty page). */
  firstSeq: number | null;
  lastSeq: number | null;
  /** Another message lies past the page in the direction read. */
  more: boolean;
  /** Some message carries attachments (their URLs are signed per request). */
  withAttachments: boolean;
}

export interface ReadOptions {
  /** Whose `me` the reactions show; none: false everywhere. */
  readerId?: string;
}

/**
 * Persistence port for messages. `appendToRoom` is where a message gets its seq, and its
 * message.new event its eventSeq; every other change records its room event in its own
 * transaction, under the room's lock.
 */
export abstract class MessageRepository {
  /**
   * Stores the message with its room's next seq (gapless: a failed insert leaves no hole).
   * With a clientMsgId the sender already used, nothing is stored and the first message is
   * returned with `created: false`. Returns null when the room does not exist, or when
   * `attachmentClaim` no longer holds every upload (nothing is stored then either).
   */
  abstract appendToRoom(msg: NewMessage): Promise<Appended | null>;
  /** Up to `limit` messages with seq > afterSeq, ascending. */
  abstract findAfterSeq(
    roomId: string,
    afterSeq: number,
    limit: number,
    opts?: ReadOptions,
  ): Promise<Message[]>;
  /**
   * A history page, rendered: after the cursor (ascending), before it or the latest (the ones
   * right before it, or the newest), `limit` at most, of the room or of one thread; `me` in
   * reactions for `readerId`.
   */
  abstract readPage(roomId: string, query: HistoryQuery, readerId: string): Promise<RenderedPage>;
  abstract findById(roomId: string, id: string, readerId?: string): Promise<Message | null>;
  /**
   * Under the room's lock: reads the message, asks `decide` (the domain rules; it may throw)
   * what to do, applies it and records its room event. Null when there is no such message in
   * the room.
   */
  abstract change(
    roomId: string,
    id: string,
    decide: (current: Message) => MessageChange,
  ): Promise<Changed | null>;
  /**
   * Adds or removes one user's reaction, as if under the room's lock: `check` (the domain rules)
   * sees the message, its number of distinct emojis and whether this emoji is among them, and
   * nothing changes them between the check and the write. A repeated
   * add or remove changes nothing and records no event. Null when there is no such message.
   */
  abstract react(
    roomId: string,
    id: string,
    userId: string,
    emoji: string,
    add: boolean,
    check: (current: Message, distinctEmojis: number, emojiThere: boolean) => void,
  ): Promise<Changed | null>;
}
