/**
 * Whether an error means the database cannot be reached or is going away (not that a statement
 * failed): a refused or dropped connection, a server shutting down or starting, out of
 * connection slots. The HTTP answer for those is 503 UNAVAILABLE with Retry-After, not a 500:
 * the request was fine and may be retried. Looks through TypeORM's wrapper (`driverError`) and
 * `cause`.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08')))
      return true;
    if (typeof message === 'string' && LOST_CONNECTION.test(message)) return true;
    const next = e as { driverError?: unknown; cause?: unknown };
    e = next.driverError ?? next.cause;
  }
  return false;
}

/** Node's socket errors and PostgreSQL's SQLSTATEs for a server going or not there (08xxx too). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/** pg's own messages for a connection lost or never made (they carry no code). */
const LOST_CONNECTION =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i;
