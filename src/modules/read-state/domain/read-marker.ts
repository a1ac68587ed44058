// Read markers: the rules. No framework imports. Seqs are gapless per room, so what a member has
// not read is a count, not a set of rows.
import { Errors } from '../../../common/errors/domain-error.js';

export interface ReadState {
  roomId: string;
  lastReadSeq: number;
  /** lastSeq - lastReadSeq */
  unreadCount: number;
  /** Messages after lastReadSeq that mention the member. */
  mentionCount: number;
}

/** A marker position: an integer from 0 up. */
export function checkReadSeq(seq: unknown): asserts seq is number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
    throw Errors.validation('VALIDATION_FAILED', 'seq must be an integer of at least 0');
}

/** Where a marker goes when asked for `requested`: never back, never past the room's last seq. */
export function nextMarker(current: number, requested: number, lastSeq: number): number {
  return Math.max(current, Math.min(requested, lastSeq));
}

export function unreadCount(lastSeq: number, lastReadSeq: number): number {
  return Math.max(0, lastSeq - lastReadSeq);
}
