import { expect, it } from '@jest/globals';
import { backoffDelay } from '../../packages/sdk/src/backoff.js';

it('full jitter: between 0 and min(max, initial * 2^attempt)', () => {
  const opts = { initialMs: 100, maxMs: 1_000 };
  expect(backoffDelay(0, opts, () => 0.999)).toBe(100);
  expect(backoffDelay(3, opts, () => 0.999)).toBe(799);
  expect(backoffDelay(10, opts, () => 1)).toBe(1_000);
  expect(backoffDelay(50, opts, () => 0)).toBe(0);
  expect(backoffDelay(2, opts, () => 0.5)).toBe(200);
});
