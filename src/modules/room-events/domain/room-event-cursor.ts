// Room event log rules: where a reader may start. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';

/** Error codes the room events context answers with. */
export const RoomEventErrorCodes = {
  /** The cursor is past the room's newest event: the client's state is not this log's. */
  resyncRequired: 'RESYNC_REQUIRED',
} as const;

/**
 * A reader's cursor is 0..lastEventSeq. A negative one is a validation error (400); one past
 * the log's end cannot come from this log (a client that kept state across a database restore,
 * or another server's cursor): RESYNC_REQUIRED, so it reloads instead of waiting for events
 * that will never be its own.
 */
export function checkEventCursor(afterEventSeq: number, lastEventSeq: number): void {
  if (!Number.isSafeInteger(afterEventSeq) || afterEventSeq < 0)
    throw Errors.validation('VALIDATION_FAILED', 'afterEventSeq must be an integer of at least 0');
  if (afterEventSeq > lastEventSeq)
    throw Errors.conflict(
      RoomEventErrorCodes.resyncRequired,
      `afterEventSeq ${afterEventSeq} is past the room's last event (${lastEventSeq}); reload the room and resume from its lastEventSeq`,
    );
}

/**
 * A resume after `after` (the last position the client saw; a seq or an eventSeq) is whole only
 * if the next position is still kept. Below the retained window the answer is RESYNC_REQUIRED
 * (reload the room), never a replay with a hole in it.
 */
export function checkRetained(after: number, retainedFrom: number, cursorName: string): void {
  if (after + 1 < retainedFrom)
    throw Errors.conflict(
      RoomEventErrorCodes.resyncRequired,
      `${cursorName} ${after} is before what this room still keeps (from ${retainedFrom}, retention); reload the room and resume from its last position`,
    );
}
