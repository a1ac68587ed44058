// When a failed webhook delivery is tried again. Pure; the random source is injected.

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

/**
 * Exponential back-off with "equal jitter": after attempt n (1-based) the next try waits
 * between half and all of min(max, base * 2^(n-1)), so receivers that failed together are not
 * hit together again. Null once `maxAttempts` attempts were made: the delivery has failed.
 */
export function nextRetryDelayMs(
  attemptsMade: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | null {
  if (attemptsMade >= policy.maxAttempts) return null;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
