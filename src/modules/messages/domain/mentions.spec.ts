import { describe, expect, it } from '@jest/globals';
import { parseMentionNames } from './mentions.js';

describe('mention parsing', () => {
  it('finds @names, lower-cased and without repeats', () => {
    expect(parseMentionNames('hi @Alice and @bob_2!')).toEqual(['alice', 'bob_2']);
    expect(parseMentionNames('@dup @DUP')).toEqual(['dup']);
    expect(parseMentionNames('(@alice), @bob: @carol;')).toEqual(['alice', 'bob', 'carol']);
  });

  it('not inside an e-mail address or a word, nor after another @', () => {
    expect(parseMentionNames('mail me at a@example.com')).toEqual([]);
    expect(parseMentionNames('x@alice @@bob')).toEqual([]);
  });

  it('a username is 3 to 32 characters', () => {
    expect(parseMentionNames('@ab is too short, @abc is not')).toEqual(['abc']);
    expect(parseMentionNames(`@${'a'.repeat(32)}`)).toEqual(['a'.repeat(32)]);
  });

  it('trailing dots and dashes may be punctuation: the name without them is a candidate too', () => {
    expect(parseMentionNames('thanks @carol.')).toEqual(['carol.', 'carol']);
    expect(parseMentionNames('@dave-- ok')).toEqual(['dave--', 'dave']);
    expect(parseMentionNames('@ab.')).toEqual(['ab.']);
  });

  it('at most 50 candidates, however the names fall', () => {
    const many = (n: number, suffix: string) =>
      Array.from({ length: n }, (_, i) => `@user${i}${suffix}`).join(' ');
    expect(parseMentionNames(many(60, ''))).toHaveLength(50);
    expect(parseMentionNames(many(60, '.'))).toHaveLength(50);
    // One plain name first, then pairs: the pair that crosses 50 must not overshoot.
    expect(parseMentionNames(`@first ${many(60, '.')}`)).toHaveLength(50);
  });
});
