import { describe, expect, it } from '@jest/globals';
import { DomainError, Errors } from '../../../common/errors/domain-error.js';
import { CLIENT_MSG_ID_PATTERN, SERVICE_MSG_ID_PATTERN } from '../../messages/domain/message.js';
import {
  assertAuthorMaySend,
  assertChangeable,
  checkSendAt,
  classifySendError,
  MAX_AHEAD_MS,
  retryDelayMs,
  scheduledClientMsgId,
  type ScheduledMessage,
} from './scheduled-message.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof DomainError ? `${err.kind}:${err.code}` : String(err);
  }
};

const row = (over: Partial<ScheduledMessage> = {}): ScheduledMessage => ({
  id: '00000000-0000-4000-8000-000000000001',
  roomId: '00000000-0000-4000-8000-000000000002',
  userId: '00000000-0000-4000-8000-000000000003',
  content: 'hi',
  threadRootId: null,
  sendAt: NOW,
  status: 'pending',
  attempts: 0,
  messageId: null,
  messageSeq: null,
  failureCode: null,
  failureReason: null,
  finishedAt: null,
  createdAt: NOW,
  updatedAt: NOW,
  ...over,
});

describe('checkSendAt: 10 s to a year ahead', () => {
  it.each([
    ['exactly 10 s ahead', at(10_000)],
    ['an hour ahead', at(3600_000)],
    ['exactly a year ahead', at(MAX_AHEAD_MS)],
    ['with an offset', '2030-01-01T05:00:00+02:00'],
  ])('accepts %s', (_what, raw) => {
    expect(checkSendAt(raw, NOW).getTime()).toBe(new Date(raw).getTime());
  });

  it.each([
    ['in the past', at(-1000), 'validation:SEND_AT_OUT_OF_RANGE'],
    ['now', at(0), 'validation:SEND_AT_OUT_OF_RANGE'],
    ['9.999 s ahead', at(9_999), 'validation:SEND_AT_OUT_OF_RANGE'],
    ['a year and a millisecond ahead', at(MAX_AHEAD_MS + 1), 'validation:SEND_AT_OUT_OF_RANGE'],
    ['not a date', 'tomorrow', 'validation:VALIDATION_FAILED'],
  ])('refuses %s', (_what, raw, code) => {
    expect(codeOf(() => checkSendAt(raw, NOW))).toBe(code);
  });

  it('names the field', () => {
    for (const raw of [at(1), 'nope']) expect(() => checkSendAt(raw, NOW)).toThrow(/sendAt/);
  });
});

describe('assertChangeable: pending and never claimed', () => {
  it('lets a pending, unclaimed row change', () => {
    expect(codeOf(() => assertChangeable(row()))).toBeNull();
  });
  it.each([
    [
      'sent',
      row({ status: 'sent', attempts: 1, messageId: 'm', messageSeq: 3 }),
      'conflict:SCHEDULED_MESSAGE_SENT',
    ],
    [
      'failed',
      row({ status: 'failed', attempts: 1, failureCode: 'NOT_ROOM_MEMBER' }),
      'conflict:SCHEDULED_MESSAGE_FAILED',
    ],
    ['claimed by a sender', row({ attempts: 1 }), 'conflict:SCHEDULED_MESSAGE_SENDING'],
  ])('refuses a %s row with 409', (_what, r, code) => {
    expect(codeOf(() => assertChangeable(r))).toBe(code);
  });
});

describe('assertAuthorMaySend', () => {
  it('lets an active account send, and refuses a disabled or banned one as USER_DISABLED', () => {
    expect(codeOf(() => assertAuthorMaySend('active'))).toBeNull();
    expect(codeOf(() => assertAuthorMaySend('disabled'))).toBe('forbidden:USER_DISABLED');
    expect(codeOf(() => assertAuthorMaySend('banned'))).toBe('forbidden:USER_DISABLED');
  });
});

describe('classifySendError', () => {
  it.each([
    Errors.forbidden('NOT_ROOM_MEMBER', 'not a member'),
    Errors.notFound('ROOM_NOT_FOUND', 'room not found'),
    Errors.validation('THREAD_ROOT_INVALID', 'not a root'),
    Errors.forbidden('MUTED', 'muted'),
  ])('a refusal of the send fails the row with its code (%p)', (err) => {
    expect(classifySendError(err)).toEqual({ kind: 'fail', code: err.code, reason: err.message });
  });
  it.each([new Error('connection terminated'), Errors.rateLimited('RATE_LIMITED', 'slow', 1), 'x'])(
    'anything else is retried (%p)',
    (err) => {
      expect(classifySendError(err)).toEqual({ kind: 'retry' });
    },
  );
});

describe('delivery helpers', () => {
  it('derives one clientMsgId per row, one that no client may send', () => {
    const id = scheduledClientMsgId('00000000-0000-4000-8000-000000000001');
    expect(id).toBe('scheduled/00000000-0000-4000-8000-000000000001');
    expect(id).not.toMatch(CLIENT_MSG_ID_PATTERN);
    expect(id).toMatch(SERVICE_MSG_ID_PATTERN);
  });
  it('backs off from half a second, doubling, capped at 30 s', () => {
    expect([1, 2, 3, 4, 10, 20].map(retryDelayMs)).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
  });
});
