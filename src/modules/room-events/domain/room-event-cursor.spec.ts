import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import { checkEventCursor, checkRetained } from './room-event-cursor.js';

const codeOf = (fn: () => void): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof DomainError ? `${err.kind}:${err.code}` : 'other';
  }
};

describe('room event cursor', () => {
  it('accepts 0 through lastEventSeq', () => {
    expect(codeOf(() => checkEventCursor(0, 0))).toBeNull();
    expect(codeOf(() => checkEventCursor(0, 5))).toBeNull();
    expect(codeOf(() => checkEventCursor(5, 5))).toBeNull();
  });
  it('refuses a negative or fractional cursor as a validation error', () => {
    expect(codeOf(() => checkEventCursor(-1, 5))).toBe('validation:VALIDATION_FAILED');
    expect(codeOf(() => checkEventCursor(1.5, 5))).toBe('validation:VALIDATION_FAILED');
  });
  it('refuses a cursor past the log with RESYNC_REQUIRED', () => {
    expect(codeOf(() => checkEventCursor(6, 5))).toBe('conflict:RESYNC_REQUIRED');
  });
  it('below the retained window (retention) answers RESYNC_REQUIRED, at its edge resumes', () => {
    expect(codeOf(() => checkRetained(0, 1, 'afterEventSeq'))).toBeNull();
    expect(codeOf(() => checkRetained(4, 5, 'afterEventSeq'))).toBeNull();
    expect(codeOf(() => checkRetained(9, 5, 'afterSeq'))).toBeNull();
    expect(codeOf(() => checkRetained(3, 5, 'afterEventSeq'))).toBe('conflict:RESYNC_REQUIRED');
    expect(codeOf(() => checkRetained(0, 2, 'afterSeq'))).toBe('conflict:RESYNC_REQUIRED');
  });
});
