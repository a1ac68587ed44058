import { Errors } from './errors/domain-error.js';

/** Opaque keyset cursors: base64url(JSON). Tampered or foreign cursors are a 400, never a 500. */
export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: ('string' | 'number')[]): (string | number)[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parts = null;
  }
  if (
    !Array.isArray(parts) ||
    parts.length !== shape.length ||
    parts.some((p, i) => typeof p !== shape[i])
  ) {
    throw Errors.validation('VALIDATION_FAILED', 'cursor is not a valid cursor');
  }
  return parts as (string | number)[];
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** A (timestamp, uuid) keyset position, checked so a forged cursor is a 400, not a SQL error. */
export function decodeTimeIdCursor(cursor: string): [string, string] {
  const [ts, id] = decodeCursor(cursor, ['string', 'string']) as [string, string];
  const ms = Date.parse(ts);
  // Date.parse rolls 2024-02-31 over to March where PostgreSQL refuses it: demand a round trip.
  const real = ms >= 0 && new Date(ms).toISOString().slice(0, 19) === ts.slice(0, 19);
  if (!ISO_RE.test(ts) || !real || !UUID_RE.test(id))
    throw Errors.validation('VALIDATION_FAILED', 'cursor is not a valid cursor');
  return [ts, id];
}
