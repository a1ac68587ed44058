// Who may change a message, and what a change may be. Framework-free, so the rules can be
// tested in isolation; the repository runs them on the message as it is under the room's lock.
import { Errors } from '../../../common/errors/domain-error.js';
import type { Message } from './message.js';
import { MessageErrorCodes as C } from './message-errors.js';

export const MAX_DISTINCT_REACTIONS = 20;

/** Only a user's own text message, while it still exists, can be edited, and only by them. */
export function assertCanEdit(message: Message, actorId: string): void {
  if (message.type !== 'text')
    throw Errors.forbidden(C.notEditable, `a ${message.type} message cannot be edited`);
  if (message.userId !== actorId)
    throw Errors.forbidden(C.notAuthor, 'only the author may edit a message');
  if (message.deleted) throw Errors.conflict(C.deleted, 'the message was deleted');
}

export interface DeleteRights {
  /** The actor owns the room. */
  isRoomOwner: boolean;
  /** The actor holds message.delete.any here (roles module, ADMIN_USERNAMES). */
  mayDeleteAny: boolean;
}

/**
 * The author may delete their own text message; the room owner any user's or bot's message;
 * a holder of message.delete.any anything. A tombstone may be "deleted" again by the same people
 * (the caller answers 204 and records nothing).
 */
export function assertCanDelete(message: Message, actorId: string, rights: DeleteRights): void {
  if (rights.mayDeleteAny) return;
  if (message.type === 'system')
    throw Errors.forbidden(C.notEditable, 'a system message cannot be deleted');
  if (rights.isRoomOwner) return;
  if (message.type !== 'text')
    throw Errors.forbidden(C.notEditable, `a ${message.type} message cannot be deleted by you`);
  if (message.userId !== actorId)
    throw Errors.forbidden(C.notAuthor, 'only the author or the room owner may delete a message');
}

/** Any member may react to a message that still exists. */
export function assertCanReact(message: Message): void {
  if (message.deleted) throw Errors.conflict(C.deleted, 'the message was deleted');
}

/** A 21st distinct emoji is refused; one already there may always gain another user. */
export function checkReactionLimit(distinctEmojis: number, emojiAlreadyThere: boolean): void {
  if (!emojiAlreadyThere && distinctEmojis >= MAX_DISTINCT_REACTIONS)
    throw Errors.conflict(
      C.reactionLimit,
      `a message has at most ${MAX_DISTINCT_REACTIONS} distinct reactions`,
    );
}

/**
 * A reply attaches to a top-level message of the same room (threads are one level deep).
 * `root` is the message the id names in this room, null when there is none here.
 */
export function assertThreadRoot(root: Message | null): void {
  if (!root)
    throw Errors.validation(C.threadRootInvalid, 'threadRootId must name a message of this room');
  if (root.threadRootId !== null)
    throw Errors.validation(
      C.threadRootInvalid,
      'threadRootId must name a top-level message, not a reply',
    );
}
