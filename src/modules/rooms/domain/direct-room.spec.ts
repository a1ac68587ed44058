import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import { assertNotDirect, directMembers } from './direct-room.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

describe('direct room members', () => {
  it('one key per set of people, whatever the order, spelling or who asks', () => {
    const a = directMembers(id(1), [id(3), id(2)]);
    const b = directMembers(id(2), [id(1), id(3).toUpperCase()]);
    const c = directMembers(id(3), [id(3), id(2), id(1)]); // naming oneself too is fine
    expect(a.key).toBe(b.key);
    expect(c.key).toBe(a.key);
    expect(a.memberIds).toEqual([id(1), id(2), id(3)]);
  });

  it('refuses oneself only, duplicates and more than 8 others', () => {
    expect(codeOf(() => directMembers(id(1), [id(1)]))).toBe('validation:DM_NEEDS_OTHERS');
    expect(codeOf(() => directMembers(id(1), []))).toBe('validation:DM_NEEDS_OTHERS');
    expect(codeOf(() => directMembers(id(1), [id(2), id(2)]))).toBe('validation:VALIDATION_FAILED');
    const eight = Array.from({ length: 8 }, (_, i) => id(i + 2));
    expect(codeOf(() => directMembers(id(1), eight))).toBeNull();
    expect(codeOf(() => directMembers(id(1), [...eight, id(1)]))).toBeNull();
    expect(codeOf(() => directMembers(id(1), [...eight, id(99)]))).toBe(
      'validation:DM_TOO_MANY_USERS',
    );
  });

  it('a direct room refuses room management; a room does not', () => {
    expect(codeOf(() => assertNotDirect({ kind: 'direct' }))).toBe('forbidden:DIRECT_ROOM');
    expect(codeOf(() => assertNotDirect({ kind: 'room' }))).toBeNull();
  });
});
