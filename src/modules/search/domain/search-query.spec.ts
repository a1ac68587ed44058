import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import { decodeSearchCursor, encodeSearchCursor } from './search-cursor.js';
import { findHits, highlight, parseSearchQuery, SNIPPET_MAX, termKind } from './search-query.js';

const codeOf = (f: () => unknown): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : String(e);
  }
};

describe('search queries', () => {
  it('splits on anything but letters and digits, lower-cases, keeps each term once', () => {
    expect(parseSearchQuery('Deploy, deploy & "Release-2"!')).toEqual([
      { text: 'deploy', kind: 'substring' },
      { text: 'release', kind: 'substring' },
      { text: '2', kind: 'word' },
    ]);
  });

  it('finds text without spaces by substring, short runs included', () => {
    expect(parseSearchQuery('今天 东京都')).toEqual([
      { text: '今天', kind: 'short-substring' },
      { text: '东京都', kind: 'substring' },
    ]);
    expect(termKind('は')).toBe('short-substring');
    expect(termKind('학교')).toBe('short-substring');
    expect(termKind('go')).toBe('word');
    expect(termKind('42')).toBe('word');
    expect(termKind('café')).toBe('substring');
  });

  it('normalises to NFC, so a decomposed é is the same term', () => {
    expect(parseSearchQuery('cafe\u0301')).toEqual([{ text: 'café', kind: 'substring' }]);
  });

  it.each([
    [undefined, 'SEARCH_QUERY_LENGTH'],
    ['', 'SEARCH_QUERY_LENGTH'],
    ['a'.repeat(201), 'SEARCH_QUERY_LENGTH'],
    ['&|!()*:', 'SEARCH_QUERY_NO_TERMS'],
    ['"&|!()*:"', 'SEARCH_QUERY_NO_TERMS'],
    ['   ', 'SEARCH_QUERY_NO_TERMS'],
    ['\u0301\u0301', 'SEARCH_QUERY_NO_TERMS'],
    ['a b c d e f g h i j k', 'SEARCH_QUERY_TOO_MANY_TERMS'],
  ])('refuses %p with %s', (q, code) => {
    expect(codeOf(() => parseSearchQuery(q))).toBe(`validation:${code}`);
  });

  it('counts characters, not UTF-16 units: 200 emoji-free CJK characters or 200 astral ones pass', () => {
    expect(codeOf(() => parseSearchQuery('字'.repeat(200)))).toBeNull();
    expect(codeOf(() => parseSearchQuery('𠀀'.repeat(200)))).toBeNull();
    expect(codeOf(() => parseSearchQuery('𠀀'.repeat(201)))).toBe('validation:SEARCH_QUERY_LENGTH');
  });
});

describe('highlights', () => {
  it('marks every hit, case-insensitively, merging overlaps', () => {
    const terms = parseSearchQuery('deploy ploy');
    expect(findHits('Deploy now, redeploy later', terms)).toEqual([
      { start: 0, end: 6 },
      { start: 14, end: 20 },
    ]);
  });

  it('marks a short word only as a whole word', () => {
    const terms = parseSearchQuery('go');
    expect(findHits('go, going, ago, GO', terms)).toEqual([
      { start: 0, end: 2 },
      { start: 16, end: 18 },
    ]);
  });

  it('marks a substring of text without spaces', () => {
    expect(highlight('我们今天去吃饭', parseSearchQuery('今天'))).toEqual({
      text: '我们今天去吃饭',
      ranges: [{ start: 2, end: 4 }],
    });
  });

  it('cuts a long text around the first hit, offsets into the excerpt', () => {
    const content = 'x'.repeat(1000) + ' needle ' + 'y'.repeat(1000);
    const h = highlight(content, parseSearchQuery('needle'));
    expect(h.text.length).toBeLessThanOrEqual(SNIPPET_MAX + 2);
    expect(h.text.startsWith('…')).toBe(true);
    expect(h.text.endsWith('…')).toBe(true);
    expect(h.ranges).toHaveLength(1);
    expect(h.text.slice(h.ranges[0].start, h.ranges[0].end)).toBe('needle');
  });

  it('never cuts a surrogate pair', () => {
    const content = '😀'.repeat(300) + 'needle';
    const h = highlight(content, parseSearchQuery('needle'));
    expect(h.text.slice(h.ranges[0].start, h.ranges[0].end)).toBe('needle');
    expect(h.text).not.toMatch(/^…[\uDC00-\uDFFF]/);
    expect(h.text).not.toMatch(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
    );
  });
});

describe('search cursors', () => {
  const pos = {
    createdAt: '2026-12-06T01:02:03.123456Z',
    roomId: '00000000-0000-4000-8000-000000000001',
    seq: 7,
  };

  it('round-trip', () => {
    expect(decodeSearchCursor(encodeSearchCursor(pos))).toEqual(pos);
  });

  it.each([
    ['garbage'],
    [Buffer.from('[1,2,3]').toString('base64url')],
    [encodeSearchCursor({ ...pos, createdAt: '2026-02-31T01:02:03.123456Z' })],
    [encodeSearchCursor({ ...pos, createdAt: '2026-12-06T01:02:03Z' })],
    [encodeSearchCursor({ ...pos, roomId: 'x' })],
    [encodeSearchCursor({ ...pos, seq: 0 })],
    [encodeSearchCursor({ ...pos, seq: 1.5 })],
  ])('refuses a forged cursor %p', (c) => {
    expect(codeOf(() => decodeSearchCursor(c))).toBe('validation:VALIDATION_FAILED');
  });
});
