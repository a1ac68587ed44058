// Rules for account sanctions and room mutes. Framework-free.
import { Errors } from '../../../common/errors/domain-error.js';
import type { UserStatus } from '../../users/domain/user.js';

export type SanctionKind = 'banned' | 'disabled';

/** Why a user is banned or disabled, by whom, and until when (null: until lifted by hand). */
export interface Sanction {
  kind: SanctionKind;
  reason: string;
  until: Date | null;
  by: string | null;
  at: Date;
}

/** A user as administrators see them: the core profile plus the sanction in force. */
export interface AdminUser {
  id: string;
  username: string;
  email: string;
  avatarUrl: string | null;
  status: UserStatus;
  createdAt: Date;
  updatedAt: Date;
  sanction: Sanction | null;
}

export interface Mute {
  roomId: string;
  userId: string;
  until: Date;
  reason: string | null;
  by: string | null;
  createdAt: Date;
}

export const REASON_MAX = 500;
const DAY_MS = 86_400_000;
/** A timed ban or disable lasts at most ten years (leave `until` out for an open-ended one). */
export const SANCTION_MAX_MS = 3653 * DAY_MS;
/** A mute lasts at most a year. */
export const MUTE_MAX_MS = 366 * DAY_MS;

/**
 * A reason as stored: trimmed; null when optional and left out or blank. A required one must
 * have a visible character; at most 500 characters (code points).
 */
export function checkReason(reason: string | undefined, required: boolean): string | null {
  const r = reason?.trim() ?? '';
  if (r.length === 0) {
    if (required) throw Errors.validation('VALIDATION_FAILED', 'reason must not be empty');
    return null;
  }
  if ([...r].length > REASON_MAX)
    throw Errors.validation('VALIDATION_FAILED', `reason must be at most ${REASON_MAX} characters`);
  return r;
}

/** An end time: a real instant, in the future, no further than `maxMs` from now. */
export function checkUntil(until: string, now: Date, maxMs: number, field = 'until'): Date {
  const ms = Date.parse(until);
  if (Number.isNaN(ms))
    throw Errors.validation('VALIDATION_FAILED', `${field} must be an ISO-8601 date-time`);
  if (ms <= now.getTime())
    throw Errors.validation('VALIDATION_FAILED', `${field} must be in the future`);
  if (ms - now.getTime() > maxMs)
    throw Errors.validation(
      'VALIDATION_FAILED',
      `${field} must be at most ${Math.round(maxMs / DAY_MS)} days ahead`,
    );
  return new Date(ms);
}

/** Administrators do not sanction, mute or kick themselves (a lock-out nobody could undo). */
export function refuseSelf(actorId: string, targetId: string, what: string): void {
  if (actorId === targetId)
    throw Errors.conflict('ADMIN_SELF_ACTION', `you cannot ${what} yourself`);
}

/** Whether a mute is in force at `now`. */
export function isMuteActive(until: Date | number, now: number): boolean {
  return (typeof until === 'number' ? until : until.getTime()) > now;
}
