import type { Attachment } from './attachment.js';

export interface NewAttachment {
  roomId: string;
  uploaderId: string;
  objectKey: string;
  filename: string;
  contentType: string;
  size: number;
}

/** What a send asks for: these uploads, by this sender, in this room. */
export interface ClaimRequest {
  ids: readonly string[];
  roomId: string;
  senderId: string;
  /** Marks the claim; bind and release name it. */
  token: string;
}

/**
 * Persistence port for attachments. A send claims its uploads (so two sends cannot take the
 * same one); the statement that stores the message binds the claim to it (MessageRepository's
 * append), or the claim is released when the send stored nothing. One method per use case.
 */
export abstract class AttachmentRepository {
  abstract create(a: NewAttachment): Promise<Attachment>;
  abstract findById(id: string): Promise<Attachment | null>;
  /** Records that the bytes arrived; false when they had already (an upload link works once). */
  abstract markUploaded(id: string): Promise<boolean>;
  /**
   * Claims every id of the request that is the sender's, in that room, on no message and not
   * claimed by a send in flight. Answers the claimed ones (all or some: the caller releases
   * them when some are missing).
   */
  abstract claim(req: ClaimRequest): Promise<Attachment[]>;
  /**
   * The ids that are already on the sender's message sent with this clientMsgId (a repeated
   * send answers that message again), in their order.
   */
  abstract boundToSend(
    ids: readonly string[],
    senderId: string,
    clientMsgId: string,
  ): Promise<Attachment[]>;
  /** How many uploads the claim still holds (binding them is the message append's job). */
  abstract claimed(token: string): Promise<number>;
  abstract release(token: string): Promise<void>;
  /**
   * A deleted message's attachments: `removeObjects` deletes their bytes, then the rows go (a
   * failure keeps the rows, for the sweeper to try again).
   */
  abstract sweepMessage(
    roomId: string,
    seq: number,
    removeObjects: (keys: string[]) => Promise<void>,
  ): Promise<void>;
  /**
   * One sweep round, on one instance at a time across all of them (another instance's round in
   * progress: this one skips and answers -1): up to `limit` uploads no message took before
   * `unboundBefore`, and attachments whose message is deleted or gone. `removeObjects` deletes
   * their bytes first; the rows go once it succeeded. Answers how many went.
   */
  abstract sweep(
    unboundBefore: Date,
    limit: number,
    removeObjects: (keys: string[]) => Promise<void>,
  ): Promise<number>;
}
