import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import { mergeExtensions, type Extensions } from './user-extensions.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

describe('profile extensions', () => {
  it('merges keys and removes a key set to null', () => {
    const current: Extensions = { team: 'core', pronouns: 'she/her' };
    expect(mergeExtensions(current, { pronouns: null, floor: 3, remote: true })).toEqual({
      team: 'core',
      floor: 3,
      remote: true,
    });
    expect(current).toEqual({ team: 'core', pronouns: 'she/her' }); // not mutated
    expect(mergeExtensions({}, { gone: null })).toEqual({});
  });

  it.each([
    ['a key with an upper-case letter', { Team: 'x' }],
    ['a key starting with a digit', { '1st': 'x' }],
    ['a key of 33 characters', { ['k'.repeat(33)]: 'x' }],
    ['an empty key', { '': 'x' }],
    ['a nested object', { address: { city: 'Oslo' } }],
    ['an array value', { tags: ['a'] }],
    ['a 257-character string', { bio: 'x'.repeat(257) }],
    ['a non-finite number', { n: Number.POSITIVE_INFINITY }],
    ['not an object', ['a']],
    ['null', null],
  ])('refuses %s with EXTENSIONS_INVALID', (_label, patch) => {
    expect(codeOf(() => mergeExtensions({}, patch))).toBe('validation:EXTENSIONS_INVALID');
  });

  it('accepts the limits exactly: 32 keys, 256-character strings', () => {
    const patch = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(mergeExtensions({}, patch))).toHaveLength(32);
    expect(mergeExtensions({}, { bio: 'x'.repeat(256) }).bio).toHaveLength(256);
  });

  it('counts the stored keys too: a 33rd key is refused, replacing one is not', () => {
    const full: Extensions = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i]));
    expect(codeOf(() => mergeExtensions(full, { extra: 1 }))).toBe('validation:EXTENSIONS_INVALID');
    expect(codeOf(() => mergeExtensions(full, { k0: 'new', extra: 1, k1: null }))).toBeNull();
  });

  it('refuses a result over 4 KB in all', () => {
    const big = Object.fromEntries(
      Array.from({ length: 17 }, (_, i) => [`field_${i}`, 'x'.repeat(250)]),
    );
    expect(codeOf(() => mergeExtensions({}, big))).toBe('validation:EXTENSIONS_INVALID');
    // Multi-byte characters count in bytes.
    const wide = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`w${i}`, '\u00e9'.repeat(256)]),
    );
    expect(codeOf(() => mergeExtensions({}, wide))).toBeNull();
    const wider = Object.fromEntries(
      Array.from({ length: 9 }, (_, i) => [`w${i}`, '\u00e9'.repeat(256)]),
    );
    expect(codeOf(() => mergeExtensions({}, wider))).toBe('validation:EXTENSIONS_INVALID');
  });
});
