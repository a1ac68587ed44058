import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  assertCanAccess,
  assertOwner,
  assertVisible,
  checkPrivacySettings,
  type Membership,
  type Room,
} from './room.js';

const codeOf = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

const room = (isPrivate: boolean): Room => ({
  id: 'r',
  kind: 'room',
  name: 'n',
  description: '',
  ownerId: 'owner',
  isPrivate,
  passwordHash: isPrivate ? 'h' : null,
  orgId: null,
  memberCount: 1,
  lastSeq: 0,
  lastEventSeq: 0,
  retentionDays: null,
  createdAt: new Date(),
  updatedAt: new Date(),
});
const member = { roomId: 'r', userId: 'u', role: 'member' } as Membership;

describe('room rules', () => {
  it('a private room needs a password; a public one takes none', () => {
    expect(codeOf(() => checkPrivacySettings(true, false, false))).toBe(
      'validation:ROOM_PASSWORD_REQUIRED',
    );
    expect(codeOf(() => checkPrivacySettings(true, false, true))).toBeNull();
    expect(codeOf(() => checkPrivacySettings(true, true, false))).toBeNull();
    expect(codeOf(() => checkPrivacySettings(false, false, true))).toBe(
      'validation:VALIDATION_FAILED',
    );
    expect(codeOf(() => checkPrivacySettings(false, false, false))).toBeNull();
  });

  it('a private room is invisible to non-members; a public one is readable by members only', () => {
    expect(codeOf(() => assertVisible(room(true), null))).toBe('not_found:ROOM_NOT_FOUND');
    expect(codeOf(() => assertVisible(room(false), null))).toBeNull();
    expect(codeOf(() => assertVisible(null, null))).toBe('not_found:ROOM_NOT_FOUND');
    expect(codeOf(() => assertCanAccess(room(true), null))).toBe('not_found:ROOM_NOT_FOUND');
    expect(codeOf(() => assertCanAccess(room(false), null))).toBe('forbidden:NOT_ROOM_MEMBER');
    expect(codeOf(() => assertCanAccess(room(true), member))).toBeNull();
  });

  it('only the owner may manage the room', () => {
    expect(codeOf(() => assertOwner(room(false), 'owner'))).toBeNull();
    expect(codeOf(() => assertOwner(room(false), 'someone'))).toBe('forbidden:NOT_ROOM_OWNER');
  });
});
