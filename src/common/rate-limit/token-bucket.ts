/** What a caller has left of a quota (the IETF RateLimit header fields). */
export interface Quota {
  limit: number;
  remaining: number;
  /** Until the quota is whole again. */
  resetMs: number;
}

export type TakeResult = ({ ok: true } | { ok: false; retryAfterMs: number }) & Quota;

/** A token bucket: `ratePerSec` tokens refill per second up to `burst`. Pure, clock injected. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /**
   * Takes one token if there is one; otherwise says how long until there will be. Either way
   * it says what is left: whole tokens `remaining` of `limit` (the burst), and `resetMs` until
   * the bucket is full again (the IETF RateLimit header fields).
   */
  take(now: number = Date.now()): TakeResult {
    this.refill(now);
    const ok = this.tokens >= 1;
    if (ok) this.tokens -= 1;
    const quota = {
      limit: this.burst,
      remaining: Math.floor(this.tokens),
      resetMs: Math.ceil(((this.burst - this.tokens) / this.ratePerSec) * 1000),
    };
    if (ok) return { ok: true, ...quota };
    return {
      ok: false,
      retryAfterMs: Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000),
      ...quota,
    };
  }

  /** Full again (nothing taken since long enough ago): such buckets can be forgotten. */
  isFull(now: number = Date.now()): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSec);
    this.last = now;
  }
}

/** Buckets by key (user or IP), with idle full buckets swept so memory stays bounded. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep = Date.now();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
  ) {}

  take(key: string, now: number = Date.now()): TakeResult {
    if (now - this.lastSweep > 60_000) this.sweep(now);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.ratePerSec, this.burst, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
  }
}
