import { describe, expect, it } from '@jest/globals';
import { KeyedRateLimiter, TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refuses with the time until the next token', () => {
    const b = new TokenBucket(2, 3, 0);
    expect(b.take(0).ok).toBe(true);
    expect(b.take(0).ok).toBe(true);
    expect(b.take(0).ok).toBe(true);
    const r = b.take(0);
    expect(r).toEqual({ ok: false, retryAfterMs: 500, limit: 3, remaining: 0, resetMs: 1500 });
  });

  it('says what is left of the quota and when it is whole again', () => {
    const b = new TokenBucket(2, 3, 0);
    expect(b.take(0)).toEqual({ ok: true, limit: 3, remaining: 2, resetMs: 500 });
    expect(b.take(0)).toEqual({ ok: true, limit: 3, remaining: 1, resetMs: 1000 });
    expect(b.take(250)).toEqual({ ok: true, limit: 3, remaining: 0, resetMs: 1250 });
  });

  it('refills at the rate, capped at the burst', () => {
    const b = new TokenBucket(2, 3, 0);
    for (let i = 0; i < 3; i++) b.take(0);
    expect(b.take(499).ok).toBe(false);
    expect(b.take(1000).ok).toBe(true);
    expect(b.isFull(100_000)).toBe(true);
    for (let i = 0; i < 3; i++) expect(b.take(100_000).ok).toBe(true);
    expect(b.take(100_000).ok).toBe(false);
  });
});

describe('KeyedRateLimiter', () => {
  it('keeps a bucket per key', () => {
    const l = new KeyedRateLimiter(1, 1);
    expect(l.take('a', 0).ok).toBe(true);
    expect(l.take('a', 0).ok).toBe(false);
    expect(l.take('b', 0).ok).toBe(true);
  });
});
