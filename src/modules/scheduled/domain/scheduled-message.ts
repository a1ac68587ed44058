// Scheduled messages: when one may be sent, when it may still be changed, and what a failed send
// comes to. Framework-free, so the rules are tested on their own.
import { DomainError, Errors } from '../../../common/errors/domain-error.js';
import { ScheduledErrorCodes as C } from './scheduled-errors.js';

export type ScheduledStatus = 'pending' | 'sent' | 'failed';

export interface ScheduledMessage {
  id: string;
  roomId: string;
  userId: string;
  content: string;
  threadRootId: string | null;
  sendAt: Date;
  status: ScheduledStatus;
  /** How many times a sender claimed it; a claimed row is no longer the author's to change. */
  attempts: number;
  messageId: string | null;
  messageSeq: number | null;
  failureCode: string | null;
  failureReason: string | null;
  /** When it was sent or given up on. */
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A row a sender claimed, with what it needs to know of its author at that moment. */
export interface ClaimedScheduledMessage extends ScheduledMessage {
  /** users.status: `active`, `disabled` or `banned`. */
  authorStatus: string;
}

/**
 * Only an active account's scheduled messages go out: a REST send of a disabled or banned user
 * is refused at the door (their tokens stop working), and a scheduled one must not slip past.
 */
export function assertAuthorMaySend(authorStatus: string): void {
  if (authorStatus !== 'active')
    throw Errors.forbidden('USER_DISABLED', `the author's account is ${authorStatus}`);
}

/** sendAt is at least this far ahead when it is set... */
export const MIN_AHEAD_MS = 10_000;
/** ...and at most this far (a year). */
export const MAX_AHEAD_MS = 365 * 24 * 3600_000;

/** The send time a client asked for, checked against `now`: 10 s to a year ahead. */
export function checkSendAt(raw: string, now: Date): Date {
  const sendAt = new Date(raw);
  const ms = sendAt.getTime();
  if (typeof raw !== 'string' || Number.isNaN(ms))
    throw Errors.validation('VALIDATION_FAILED', 'sendAt must be an ISO-8601 date-time');
  if (ms < now.getTime() + MIN_AHEAD_MS)
    throw Errors.validation(
      C.sendAtOutOfRange,
      `sendAt must be at least ${MIN_AHEAD_MS / 1000} seconds in the future`,
    );
  if (ms > now.getTime() + MAX_AHEAD_MS)
    throw Errors.validation(C.sendAtOutOfRange, 'sendAt must be at most one year in the future');
  return sendAt;
}

/**
 * The author changes or deletes it only while nothing can be sending it: pending and never
 * claimed. Once a sender claimed it (it was due), it is on its way (or its sender died and another
 * one will finish it): changing it then could describe a message other than the one sent.
 */
export function assertChangeable(s: ScheduledMessage): void {
  if (s.status === 'sent')
    throw Errors.conflict(C.alreadySent, 'the scheduled message was already sent');
  if (s.status === 'failed')
    throw Errors.conflict(C.alreadyFailed, 'the scheduled message failed and will not be sent');
  if (s.attempts > 0) throw Errors.conflict(C.sending, 'the scheduled message is being sent');
}

/**
 * The clientMsgId its send carries: a retry of the same row is answered by the send dedupe. The
 * `/` is outside the characters a client may use in a clientMsgId, so no send of the author's own
 * can take this id first and make the scheduled message count as sent with other content.
 */
export function scheduledClientMsgId(id: string): string {
  return `scheduled/${id}`;
}

export type SendFailure = { kind: 'retry' } | { kind: 'fail'; code: string; reason: string };

/**
 * What a failed send comes to. The send path's refusals (the author is no longer a member, the
 * room is gone, the thread root is no longer one, a module's policy such as a mute) will not
 * change by trying again: the scheduled message fails with that code. Anything else (the
 * database, the bus) is tried again later; the clientMsgId keeps that from storing it twice.
 */
export function classifySendError(err: unknown): SendFailure {
  if (
    err instanceof DomainError &&
    ['validation', 'forbidden', 'not_found', 'conflict', 'unauthorized'].includes(err.kind)
  )
    return { kind: 'fail', code: err.code, reason: err.message };
  return { kind: 'retry' };
}

/** A send that keeps failing for other reasons is given up after this many claims. */
export const MAX_ATTEMPTS = 20;

/** How long a row whose send failed for a passing reason waits before its next claim. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, attempts - 1));
}
