import type { Response } from 'express';
import type { Quota } from '../rate-limit/token-bucket.js';

/** The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), for CORS to expose too. */
export const RATE_LIMIT_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];

/**
 * What the caller has left on a rate-limited route, on every answer of it (a 429 too, beside
 * Retry-After): `RateLimit-Reset` is in whole seconds until the quota is whole again.
 */
export function setRateLimitHeaders(res: Response, quota: Quota): void {
  res.setHeader('RateLimit-Limit', String(quota.limit));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, quota.remaining)));
  res.setHeader('RateLimit-Reset', String(Math.max(0, Math.ceil(quota.resetMs / 1000))));
}
