// A search page's keyset position. No framework imports.
import { decodeCursor, encodeCursor } from '../../../common/cursor.js';
import { Errors } from '../../../common/errors/domain-error.js';

/**
 * The last hit of a page, in result order: newest first by (createdAt, roomId, seq), all
 * descending. createdAt keeps PostgreSQL's microseconds, so no two positions collide.
 */
export interface SearchPosition {
  createdAt: string;
  roomId: string;
  seq: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_US_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeSearchCursor(p: SearchPosition): string {
  return encodeCursor([p.createdAt, p.roomId, p.seq]);
}

/** A forged or foreign cursor is a 400 (VALIDATION_FAILED naming cursor), never a SQL error. */
export function decodeSearchCursor(cursor: string): SearchPosition {
  const [createdAt, roomId, seq] = decodeCursor(cursor, ['string', 'string', 'number']) as [
    string,
    string,
    number,
  ];
  const ms = Date.parse(createdAt);
  const real = ms >= 0 && new Date(ms).toISOString().slice(0, 19) === createdAt.slice(0, 19);
  if (!ISO_US_RE.test(createdAt) || !real || !UUID_RE.test(roomId))
    throw Errors.validation('VALIDATION_FAILED', 'cursor is not a valid cursor');
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw Errors.validation('VALIDATION_FAILED', 'cursor is not a valid cursor');
  return { createdAt, roomId, seq };
}
