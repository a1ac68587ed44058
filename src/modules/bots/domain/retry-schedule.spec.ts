import { describe, expect, it } from '@jest/globals';
import { nextRetryDelayMs } from './retry-schedule.js';

describe('nextRetryDelayMs', () => {
  const policy = { baseMs: 1000, maxMs: 10_000, maxAttempts: 5 };

  it('doubles per attempt, between half and all of the step (jitter)', () => {
    expect(nextRetryDelayMs(1, policy, () => 0)).toBe(500);
    expect(nextRetryDelayMs(1, policy, () => 1)).toBe(1000);
    expect(nextRetryDelayMs(2, policy, () => 1)).toBe(2000);
    expect(nextRetryDelayMs(3, policy, () => 0.5)).toBe(3000);
  });

  it('is capped at maxMs', () => {
    expect(nextRetryDelayMs(4, { ...policy, maxMs: 5000 }, () => 1)).toBe(5000);
  });

  it('gives up after maxAttempts', () => {
    expect(nextRetryDelayMs(5, policy)).toBeNull();
    expect(nextRetryDelayMs(4, policy)).not.toBeNull();
  });
});
