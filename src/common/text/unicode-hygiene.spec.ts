import { describe, expect, it } from '@jest/globals';
import { forbiddenCharacter, hasLoneSurrogate } from './unicode-hygiene.js';

describe('forbiddenCharacter', () => {
  it.each([
    ['plain', 'general'],
    ['accents and other scripts', 'Café Ελληνικά Кириллица 日本語 عربي हिन्दी'],
    ['emoji, a ZWJ sequence, skin tones and a flag', '👩‍💻 devs 👍🏽 🏳️‍🌈 🇫🇷'],
    ['a subdivision flag (tag characters)', '🏴󠁧󠁢󠁳󠁣󠁴󠁿 fans'],
    ['Persian with ZWNJ between letters', 'می‌خواهم'],
    ['an astral character (a surrogate pair)', '𝄞 music'],
  ])('accepts %s', (_what, text) => {
    expect(forbiddenCharacter(text)).toBeNull();
  });

  it.each([
    ['RIGHT-TO-LEFT OVERRIDE', 'evil\u202Etxt.exe', 'U+202E'],
    ['LEFT-TO-RIGHT ISOLATE', 'a\u2066b', 'U+2066'],
    ['RIGHT-TO-LEFT MARK', 'a\u200Fb', 'U+200F'],
    ['ZERO WIDTH SPACE', 'adm\u200Bin', 'U+200B'],
    ['ZWJ between Latin letters', 'adm\u200Din', 'U+200D'],
    ['ZWNJ between Latin letters', 'adm\u200Cin', 'U+200C'],
    ['a trailing ZWJ after an emoji', '👍\u200D', 'U+200D'],
    ['WORD JOINER', 'a\u2060b', 'U+2060'],
    ['COMBINING GRAPHEME JOINER', 'a\u034Fb', 'U+034F'],
    ['BOM', '\uFEFFname', 'U+FEFF'],
    ['HANGUL FILLER', '\u3164', 'U+3164'],
    ['a lone tag character', 'a\u{E0041}', 'U+E0041'],
    ['BEL', 'a\u0007b', 'U+0007'],
    ['a line break', 'two\nlines', 'U+000A'],
    ['DEL', 'a\u007Fb', 'U+007F'],
    ['a C1 control', 'a\u0085b', 'U+0085'],
    ['LINE SEPARATOR', 'a\u2028b', 'U+2028'],
    ['a lone high surrogate', 'a\uD800b', 'U+D800'],
    ['a lone low surrogate', 'a\uDC00', 'U+DC00'],
  ])('refuses %s', (_what, text, label) => {
    expect(forbiddenCharacter(text)).toBe(label);
  });

  it('multi-line text may hold tab and line breaks, nothing else invisible', () => {
    expect(forbiddenCharacter('line one\r\n\tline two', true)).toBeNull();
    expect(forbiddenCharacter('line one\n\u202Eenil', true)).toBe('U+202E');
    expect(forbiddenCharacter('a\u0000', true)).toBe('U+0000');
  });
});

describe('hasLoneSurrogate', () => {
  it('tells a lone surrogate from a pair', () => {
    expect(hasLoneSurrogate('𝄞')).toBe(false);
    expect(hasLoneSurrogate('\uD834')).toBe(true);
    expect(hasLoneSurrogate('\uDD1Ex')).toBe(true);
  });
});
