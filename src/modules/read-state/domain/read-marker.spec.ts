import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import { checkReadSeq, nextMarker, unreadCount } from './read-marker.js';

describe('read markers', () => {
  it('never move back and never pass the last seq', () => {
    expect(nextMarker(5, 8, 10)).toBe(8);
    expect(nextMarker(5, 3, 10)).toBe(5);
    expect(nextMarker(5, 99, 10)).toBe(10);
    expect(nextMarker(0, 0, 0)).toBe(0);
    expect(nextMarker(10, 99, 10)).toBe(10);
  });

  it('unread is the distance to the last seq', () => {
    expect(unreadCount(10, 4)).toBe(6);
    expect(unreadCount(10, 10)).toBe(0);
    expect(unreadCount(3, 5)).toBe(0);
  });

  it.each([[-1], [1.5], ['3'], [null], [Number.NaN], [2 ** 60]])('refuses seq %p', (seq) => {
    let err: unknown = null;
    try {
      checkReadSeq(seq);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('VALIDATION_FAILED');
  });

  it('accepts 0 and positive integers', () => {
    expect(() => checkReadSeq(0)).not.toThrow();
    expect(() => checkReadSeq(42)).not.toThrow();
  });
});
