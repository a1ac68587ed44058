import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  checkAttachmentIds,
  invalidAttachments,
  summaryOf,
  type AttachmentSummary,
} from './domain/attachment.js';
import { AttachmentRepository } from './domain/attachment.repository.js';
import { AttachmentStore } from './domain/attachment-store.js';

/**
 * A send's hold on its uploads, from before the message is stored until it is (or is not). The
 * message append binds them in the statement that stores the message (NewMessage's
 * attachmentClaim); a send that stored nothing releases them.
 */
export interface AttachmentClaim {
  /** What the message carries, in the sender's order. */
  summaries: AttachmentSummary[];
  /** null: the uploads are already on the sender's message with this clientMsgId (a re-send). */
  token: string | null;
}

/**
 * What a message carries: a send's attachmentIds must be the sender's own uploads for that
 * room, complete (the store measures them: exactly the declared size) and on no other message;
 * else ATTACHMENT_INVALID and nothing is stored. Deleting a message deletes its files.
 */
@Injectable()
export class MessageAttachments {
  private readonly log = new Logger('MessageAttachments');

  constructor(
    private readonly repo: AttachmentRepository,
    private readonly store: AttachmentStore,
  ) {}

  async claim(req: {
    senderId: string;
    roomId: string;
    ids: readonly string[];
    clientMsgId: string | null;
  }): Promise<AttachmentClaim> {
    checkAttachmentIds(req.ids);
    const token = randomUUID();
    const claimed = await this.repo.claim({ ...req, token });
    try {
      if (claimed.length !== req.ids.length) {
        // A repeated send (same clientMsgId) names the uploads its first send took.
        if (req.clientMsgId !== null) {
          const bound = await this.repo.boundToSend(req.ids, req.senderId, req.clientMsgId);
          if (bound.length === req.ids.length) {
            await this.repo.release(token);
            return { summaries: bound.map(summaryOf), token: null };
          }
        }
        throw invalidAttachments(
          'attachmentIds must name your own uploads to this room that are on no message yet',
        );
      }
      // The store's word on the size, not the client's: absent (not uploaded, or not fully) or
      // of another length than declared, the upload cannot go on a message.
      const sizes = await Promise.all(claimed.map((a) => this.store.sizeOf(a.objectKey)));
      const bad = claimed.find((a, i) => sizes[i] !== a.size);
      if (bad)
        throw invalidAttachments(
          sizes[claimed.indexOf(bad)] === null
            ? `attachment ${bad.id} has not been uploaded`
            : `attachment ${bad.id} is not the size that was declared`,
        );
      return { summaries: claimed.map(summaryOf), token };
    } catch (err) {
      await this.repo.release(token);
      throw err;
    }
  }

  /**
   * A send the append left out although its room exists: its claim must still hold every
   * upload, else (a claim gone stale, taken by another send) ATTACHMENT_INVALID.
   */
  async assertHeld(claim: AttachmentClaim): Promise<void> {
    if (claim.token && (await this.repo.claimed(claim.token)) < claim.summaries.length)
      throw invalidAttachments('an upload of this send was taken by another send; send again');
  }

  /** The send failed or stored nothing new: the uploads are free again. */
  async release(claim: AttachmentClaim): Promise<void> {
    if (claim.token) await this.repo.release(claim.token);
  }

  /**
   * A deleted message's files go at once; if the store fails now, the sweeper deletes them
   * later (it looks for attachments of deleted messages).
   */
  async discard(roomId: string, seq: number): Promise<void> {
    try {
      await this.repo.sweepMessage(roomId, seq, (keys) => this.store.remove(keys));
    } catch (err) {
      this.log.warn(
        { err: String(err), roomId, seq },
        'deleting a message’s files failed; the sweeper retries',
      );
    }
  }
}
