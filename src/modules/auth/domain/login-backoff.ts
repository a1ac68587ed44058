// Per-account login back-off (issue 11): how long a login key must wait after k failed
// attempts. Pure: the clock is passed in, storage is the LoginAttemptRepository's business.
//
// The rule (OWASP Authentication Cheat Sheet, "account lockout" with exponential back-off
// instead of a hard lock): the first `freeFailures - 1` failures cost nothing; the k-th
// failure (k >= freeFailures) blocks the key for baseDelay * 2^(k - freeFailures), capped at
// maxDelay. A lock is therefore never permanent: whoever guesses waits at most maxDelay per
// guess. A key left alone for `forgetAfter` (after its block ended) starts over, and a
// successful login clears it.
//
// An attempt is counted when it is let through, before the password is checked (a "claim"):
// attempts racing on several instances are serialised by the stored record, so a block cannot
// be outrun by sending many guesses at once. A success then clears the record.

export interface BackoffPolicy {
  /** Failures before the first delay (the k-th failure with k = freeFailures is delayed). */
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A record this long past its last attempt, and no longer blocking, is forgotten. */
  forgetAfterMs: number;
}

/** What is stored per login key. Times are epoch milliseconds. */
export interface AttemptRecord {
  /** Attempts counted (let through and not yet cleared by a success). */
  failures: number;
  lastAttemptAt: number;
  /** No attempt is let through before this. */
  blockedUntil: number;
}

export type ClaimDecision =
  { allowed: true; next: AttemptRecord } | { allowed: false; retryAfterMs: number };

/** The delay after the k-th failure (k >= 1). */
export function delayAfter(failures: number, p: BackoffPolicy): number {
  if (failures < p.freeFailures) return 0;
  // 2^31 ms is ~25 days: any real maxDelay is reached long before the exponent overflows.
  const exponent = Math.min(failures - p.freeFailures, 31);
  return Math.min(p.baseDelayMs * 2 ** exponent, p.maxDelayMs);
}

/** A record that no longer says anything (null included): the key starts over. */
export function isForgotten(r: AttemptRecord | null, now: number, p: BackoffPolicy): boolean {
  return r === null || (now >= r.blockedUntil && now - r.lastAttemptAt >= p.forgetAfterMs);
}

/**
 * An attempt under the stored record: refused while the key is blocked (nothing changes), or
 * let through and counted as a failure in advance (the record to store), so the next attempt
 * waits as if this one failed unless a success clears the record first.
 */
export function claimAttempt(
  current: AttemptRecord | null,
  now: number,
  p: BackoffPolicy,
): ClaimDecision {
  const live = isForgotten(current, now, p) ? null : current;
  if (live && now < live.blockedUntil)
    return { allowed: false, retryAfterMs: live.blockedUntil - now };
  const failures = (live?.failures ?? 0) + 1;
  return {
    allowed: true,
    next: { failures, lastAttemptAt: now, blockedUntil: now + delayAfter(failures, p) },
  };
}
