import type { ClaimedScheduledMessage, ScheduledMessage } from './scheduled-message.js';

export interface NewScheduledMessage {
  roomId: string;
  userId: string;
  content: string;
  threadRootId: string | null;
  sendAt: Date;
}

export interface ScheduledPatch {
  content?: string;
  sendAt?: Date;
  threadRootId?: string | null;
}

/** What a change does, decided by the domain rules on the row as it is under its lock. */
export type ScheduledChange = { kind: 'update'; patch: ScheduledPatch } | { kind: 'delete' };

/** Persistence port for scheduled messages. */
export abstract class ScheduledMessageRepository {
  abstract create(input: NewScheduledMessage): Promise<ScheduledMessage>;
  /** The author's own scheduled message; null when there is none (or it is someone else's). */
  abstract findOwn(id: string, userId: string): Promise<ScheduledMessage | null>;
  /** The author's scheduled messages by (sendAt, id), after the keyset position. */
  abstract listOwn(
    userId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<{ items: ScheduledMessage[]; next: [string, string] | null }>;
  /**
   * Under the row's lock (so no sender claims it meanwhile): reads the author's row, asks
   * `decide` (the domain rules; it may throw) and applies its answer. The row after the change
   * (a deleted row as it was); null when there is no such row of this author.
   */
  abstract change(
    id: string,
    userId: string,
    decide: (current: ScheduledMessage) => ScheduledChange,
  ): Promise<ScheduledMessage | null>;
  /**
   * Claims up to `limit` due pending rows whose lease is free (FOR UPDATE SKIP LOCKED: no two
   * instances claim one row), leasing them to `holder` for `leaseMs` and counting the attempt.
   * In sendAt order (ties: the order they were scheduled in), with each author's account status.
   */
  abstract claimDue(
    limit: number,
    leaseMs: number,
    holder: string,
  ): Promise<ClaimedScheduledMessage[]>;
  /** Records the message it became. A row already finished stays as it is. */
  abstract markSent(id: string, messageId: string, messageSeq: number): Promise<void>;
  /**
   * Gives up on the row, unless its message is stored after all (a sender that died after the
   * append, then a refusal on the retry): a message of its author with `clientMsgId` in its
   * room makes it `sent` instead. The status it ended with.
   */
  abstract markFailed(
    id: string,
    clientMsgId: string,
    code: string,
    reason: string,
  ): Promise<'sent' | 'failed' | null>;
  /** Frees the lease so the row is claimed again in `delayMs` (a send that failed for now). */
  abstract release(id: string, delayMs: number): Promise<void>;
}
