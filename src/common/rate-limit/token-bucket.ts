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

  /** Takes one token if there is one; otherwise says how long until there will be. */
  take(now: number = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000) };
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

  take(key: string, now: number = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
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
