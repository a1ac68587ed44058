import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  checkRetentionDays,
  effectiveRetentionDays,
  RETENTION_DAYS_MAX,
} from './retention-policy.js';

describe('retention policy', () => {
  it('takes null and whole days from 1 to the maximum', () => {
    expect(checkRetentionDays(null)).toBeNull();
    expect(checkRetentionDays(1)).toBe(1);
    expect(checkRetentionDays(RETENTION_DAYS_MAX)).toBe(RETENTION_DAYS_MAX);
  });

  it.each([0, -1, 1.5, RETENTION_DAYS_MAX + 1, '7', true, NaN, Infinity, {}])(
    'refuses %p with RETENTION_DAYS_INVALID',
    (v) => {
      try {
        checkRetentionDays(v);
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe('RETENTION_DAYS_INVALID');
      }
    },
  );

  it("a room's own retention wins over the server's; neither: forever", () => {
    expect(effectiveRetentionDays(3, 30)).toBe(3);
    expect(effectiveRetentionDays(null, 30)).toBe(30);
    expect(effectiveRetentionDays(null, null)).toBeNull();
  });
});
