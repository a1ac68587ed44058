import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import { checkEmoji } from './emoji.js';

const codeOf = (raw: string): string | null => {
  try {
    checkEmoji(raw);
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

describe('emoji validity', () => {
  it('one emoji grapheme: sequences, skin tones, flags, keycaps, ZWJ families, bare pictographs', () => {
    for (const ok of ['👍', '👍🏽', '🇫🇷', '👨‍👩‍👧', '❤️', '❤', '1️⃣', '🏳️‍🌈'])
      expect(checkEmoji(ok)).toBe(ok);
  });

  it('a :short_name: of lowercase letters, digits, _ + -, up to 64', () => {
    for (const ok of [':party_parrot:', ':+1:', ':-1:', ':a:', `:${'x'.repeat(64)}:`])
      expect(checkEmoji(ok)).toBe(ok);
    for (const bad of [':Bad:', '::', ':a b:', 'x:y:', `:${'x'.repeat(65)}:`, ':a', 'a:'])
      expect(codeOf(bad)).toBe('validation:VALIDATION_FAILED');
  });

  it('refuses text, two emojis and padding', () => {
    for (const bad of ['', 'a', '1', '#', 'ab', '👍👍', '👍 ', ' 👍', '👍a'])
      expect(codeOf(bad)).toBe('validation:VALIDATION_FAILED');
  });

  it('stores the NFC form', () => {
    expect(checkEmoji(':a:'.normalize('NFD'))).toBe(':a:');
  });
});
