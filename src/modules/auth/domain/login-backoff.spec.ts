import { describe, expect, it } from '@jest/globals';
import {
  claimAttempt,
  delayAfter,
  isForgotten,
  type AttemptRecord,
  type BackoffPolicy,
} from './login-backoff.js';

const policy: BackoffPolicy = {
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  forgetAfterMs: 60_000,
};

/** Runs `n` attempts, each at the first moment it is let through; returns the last record. */
function failInARow(n: number, start = 0): { record: AttemptRecord; at: number } {
  let record: AttemptRecord | null = null;
  let at = start;
  for (let i = 0; i < n; i++) {
    at = Math.max(at, record?.blockedUntil ?? at);
    const d = claimAttempt(record, at, policy);
    if (!d.allowed) throw new Error('refused at its own unblock time');
    record = d.next;
  }
  return { record: record!, at };
}

describe('login back-off rule', () => {
  it('costs nothing for the first failures, then doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 40, 5000].map((k) => delayAfter(k, policy))).toEqual([
      0, 0, 1000, 2000, 4000, 8000, 8000, 8000, 8000,
    ]);
  });

  it('counts an attempt when it is let through, so a racing one waits as if it failed', () => {
    const { record, at } = failInARow(3);
    expect(record).toEqual({ failures: 3, lastAttemptAt: at, blockedUntil: at + 1000 });
    expect(claimAttempt(record, at, policy)).toEqual({ allowed: false, retryAfterMs: 1000 });
    expect(claimAttempt(record, at + 999, policy)).toEqual({ allowed: false, retryAfterMs: 1 });
    const next = claimAttempt(record, at + 1000, policy);
    expect(next).toEqual({
      allowed: true,
      next: { failures: 4, lastAttemptAt: at + 1000, blockedUntil: at + 3000 },
    });
  });

  it('a refused attempt changes nothing: hammering a blocked key does not extend the block', () => {
    const { record, at } = failInARow(5); // blocked 4 s
    for (let t = at; t < at + 4000; t += 100) {
      const d = claimAttempt(record, t, policy);
      expect(d.allowed).toBe(false);
    }
    expect(claimAttempt(record, at + 4000, policy).allowed).toBe(true);
  });

  it('never locks for good: each attempt waits at most the cap', () => {
    const { record, at } = failInARow(50);
    expect(record.blockedUntil - at).toBe(8000);
  });

  it('forgets a key left alone long enough after its block ended', () => {
    const { record, at } = failInARow(6); // blocked 8 s
    expect(isForgotten(record, at + 59_999, policy)).toBe(false);
    expect(isForgotten(record, at + 60_000, policy)).toBe(true);
    const d = claimAttempt(record, at + 60_000, policy);
    expect(d).toEqual({
      allowed: true,
      next: { failures: 1, lastAttemptAt: at + 60_000, blockedUntil: at + 60_000 },
    });
    // A block longer than the memory is still waited out in full.
    const long = { ...policy, maxDelayMs: 120_000 };
    const blocked: AttemptRecord = { failures: 20, lastAttemptAt: 0, blockedUntil: 120_000 };
    expect(isForgotten(blocked, 90_000, long)).toBe(false);
    expect(claimAttempt(blocked, 90_000, long)).toEqual({ allowed: false, retryAfterMs: 30_000 });
  });
});
