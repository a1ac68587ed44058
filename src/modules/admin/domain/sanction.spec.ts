import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  checkReason,
  checkUntil,
  isMuteActive,
  MUTE_MAX_MS,
  REASON_MAX,
  refuseSelf,
  SANCTION_MAX_MS,
} from './sanction.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

describe('checkReason', () => {
  it('trims, and answers null for a blank optional reason', () => {
    expect(checkReason('  spam  ', true)).toBe('spam');
    expect(checkReason(undefined, false)).toBeNull();
    expect(checkReason('   ', false)).toBeNull();
  });

  it('refuses a blank required reason and one longer than 500 characters', () => {
    expect(codeOf(() => checkReason(undefined, true))).toBe('validation:VALIDATION_FAILED');
    expect(codeOf(() => checkReason(' \t ', true))).toBe('validation:VALIDATION_FAILED');
    expect(checkReason('x'.repeat(REASON_MAX), true)).toHaveLength(REASON_MAX);
    expect(codeOf(() => checkReason('x'.repeat(REASON_MAX + 1), false))).toBe(
      'validation:VALIDATION_FAILED',
    );
  });

  it('counts characters, not UTF-16 units', () => {
    expect(checkReason('😀'.repeat(REASON_MAX), true)).toBe('😀'.repeat(REASON_MAX));
  });
});

describe('checkUntil', () => {
  const now = new Date('2030-01-01T00:00:00.000Z');

  it('accepts a future instant within the limit', () => {
    expect(checkUntil('2030-01-01T00:00:01Z', now, MUTE_MAX_MS).toISOString()).toBe(
      '2030-01-01T00:00:01.000Z',
    );
    expect(checkUntil('2039-12-31T00:00:00Z', now, SANCTION_MAX_MS)).toBeInstanceOf(Date);
  });

  it('refuses now, the past, garbage and anything past the limit', () => {
    for (const bad of [
      '2030-01-01T00:00:00Z',
      '2029-12-31T23:59:59Z',
      'soon',
      '2031-01-03T00:00:00Z',
    ])
      expect(codeOf(() => checkUntil(bad, now, MUTE_MAX_MS))).toBe('validation:VALIDATION_FAILED');
  });
});

describe('refuseSelf and isMuteActive', () => {
  it('refuses acting on oneself with a conflict', () => {
    expect(codeOf(() => refuseSelf('a', 'a', 'ban'))).toBe('conflict:ADMIN_SELF_ACTION');
    expect(codeOf(() => refuseSelf('a', 'b', 'ban'))).toBeNull();
  });

  it('a mute is in force strictly before its end', () => {
    expect(isMuteActive(1000, 999)).toBe(true);
    expect(isMuteActive(1000, 1000)).toBe(false);
    expect(isMuteActive(new Date(1000), 1001)).toBe(false);
  });
});
