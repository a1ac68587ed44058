// Retention rules: how long a room keeps its messages and room events. Where a reader's cursor
// falls off the kept window is the room event log's rule (room-events/domain/room-event-cursor.ts).
// No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import { RetentionErrorCodes } from './retention-errors.js';

/** 100 years: anything longer is "forever" (null), and keeps the interval arithmetic sane. */
export const RETENTION_DAYS_MAX = 36_500;

/**
 * A room's retentionDays as its owner may set it: null (use the server's RETENTION_DAYS) or a
 * whole number of days, 1 to RETENTION_DAYS_MAX. Anything else (0, negative, a fraction, a
 * string) is RETENTION_DAYS_INVALID.
 */
export function checkRetentionDays(value: unknown): number | null {
  if (value === null) return null;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > RETENTION_DAYS_MAX
  )
    throw Errors.validation(
      RetentionErrorCodes.retentionDaysInvalid,
      `retentionDays must be null or a whole number of days from 1 to ${RETENTION_DAYS_MAX}`,
    );
  return value;
}

/** The room's own retention if set, else the server's; null: kept forever. */
export const effectiveRetentionDays = (
  roomDays: number | null,
  serverDays: number | null,
): number | null => roomDays ?? serverDays;
