export interface BackoffOptions {
  /** First delay ceiling, ms (default 500). */
  initialMs?: number;
  /** Largest delay ceiling, ms (default 30 000). */
  maxMs?: number;
}

/**
 * "Full jitter" exponential back-off: a random delay between 0 and min(max, initial * 2^attempt),
 * so clients that lost the same server do not all come back at the same instant.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random = Math.random) {
  const initial = opts.initialMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(random() * ceiling);
}
