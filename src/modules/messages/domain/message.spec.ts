import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  checkClientMsgId,
  checkContent,
  checkSameSend,
  CONTENT_MAX,
  type Message,
} from './message.js';

const codeOf = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

describe('message rules', () => {
  it('accepts 1 to 4,000 characters, counting code points', () => {
    expect(codeOf(() => checkContent('a'))).toBeNull();
    expect(codeOf(() => checkContent('x'.repeat(CONTENT_MAX)))).toBeNull();
    expect(codeOf(() => checkContent('😀'.repeat(CONTENT_MAX)))).toBeNull();
    expect(codeOf(() => checkContent('x'.repeat(CONTENT_MAX + 1)))).toBe(
      'validation:VALIDATION_FAILED',
    );
    expect(codeOf(() => checkContent('😀'.repeat(CONTENT_MAX + 1)))).toBe(
      'validation:VALIDATION_FAILED',
    );
  });

  it('refuses empty and white-space-only content', () => {
    expect(codeOf(() => checkContent(''))).toBe('validation:VALIDATION_FAILED');
    expect(codeOf(() => checkContent(' \n\t '))).toBe('validation:VALIDATION_FAILED');
  });

  it('checks clientMsgId shape', () => {
    expect(codeOf(() => checkClientMsgId(undefined))).toBeNull();
    expect(codeOf(() => checkClientMsgId('abc-123:x.y_z'))).toBeNull();
    expect(codeOf(() => checkClientMsgId(''))).toBe('validation:VALIDATION_FAILED');
    expect(codeOf(() => checkClientMsgId('a'.repeat(65)))).toBe('validation:VALIDATION_FAILED');
    expect(codeOf(() => checkClientMsgId('has space'))).toBe('validation:VALIDATION_FAILED');
    // A service sender's id (in-process only; the DTOs refuse the `/` from clients).
    expect(codeOf(() => checkClientMsgId('scheduled/0b6f-11'))).toBeNull();
    expect(codeOf(() => checkClientMsgId('scheduled/'))).toBe('validation:VALIDATION_FAILED');
    expect(codeOf(() => checkClientMsgId('a/b/c'))).toBe('validation:VALIDATION_FAILED');
  });

  it('an idempotent re-send must target the same room', () => {
    const m = { roomId: 'r1' } as Message;
    expect(codeOf(() => checkSameSend(m, 'r1'))).toBeNull();
    expect(codeOf(() => checkSameSend(m, 'r2'))).toBe('conflict:CLIENT_MSG_ID_CONFLICT');
  });
});
