// Direct rooms: who may be in one and what nobody may do to one. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import type { Room } from './room.js';

/** A direct room holds the caller and 1 to this many others. */
export const DIRECT_MAX_OTHERS = 8;

export interface DirectMembers {
  /** Every member, the caller included, sorted. */
  memberIds: string[];
  /** The members' ids sorted and joined: one direct room per set of people. */
  key: string;
}

/**
 * The members of the direct room the caller asks for with `userIds` (the others; the caller's
 * own id may be among them). Lower-cased so one person's id is one key however it is spelled.
 */
export function directMembers(callerId: string, userIds: string[]): DirectMembers {
  const ids = userIds.map((id) => id.toLowerCase());
  const caller = callerId.toLowerCase();
  if (new Set(ids).size !== ids.length)
    throw Errors.validation('VALIDATION_FAILED', 'userIds must not name a user twice');
  const others = ids.filter((id) => id !== caller);
  if (others.length === 0)
    throw Errors.validation('DM_NEEDS_OTHERS', 'a direct room needs at least one other user');
  if (others.length > DIRECT_MAX_OTHERS)
    throw Errors.validation(
      'DM_TOO_MANY_USERS',
      `a direct room holds at most ${DIRECT_MAX_OTHERS} other users`,
    );
  const memberIds = [caller, ...others].sort();
  return { memberIds, key: memberIds.join(',') };
}

/** Nobody joins, leaves, renames, deletes or adds to a direct room. */
export function assertNotDirect(room: Pick<Room, 'kind'>): void {
  if (room.kind === 'direct')
    throw Errors.forbidden(
      'DIRECT_ROOM',
      'a direct room cannot be joined, left, changed or deleted',
    );
}
