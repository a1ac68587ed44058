// Message search: what a query means and how a hit is shown. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import { SearchErrorCodes as C } from './search-errors.js';

export const SEARCH_QUERY_MAX = 200;
export const SEARCH_TERMS_MAX = 10;
/** Terms this long or longer are substrings found through trigrams (a trigram needs 3). */
export const SUBSTRING_MIN = 3;

/**
 * How one term is matched, case-insensitively:
 * - `substring`: anywhere in the text (3 characters or more; the trigram index finds it).
 * - `word`: a whole word (1 or 2 characters of a script written with spaces between words,
 *   such as "go" or "42"; the full-text index finds it, a substring that short would be noise).
 * - `short-substring`: anywhere in the text, 1 or 2 characters of a script written without
 *   spaces (今天, 東京): no index can find it, the caller's rooms are read newest first.
 */
export type TermKind = 'substring' | 'word' | 'short-substring';

export interface SearchTerm {
  text: string;
  kind: TermKind;
}

/** Letters (with their combining marks) and digits: everything else separates terms. */
const TERM_RE = /[\p{L}\p{N}\p{M}]+/gu;
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** Scripts written without spaces between words (or, Hangul, with particles glued on). */
const NO_SPACE_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}]/u;

const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

export function termKind(term: string): TermKind {
  if (codePoints(term) >= SUBSTRING_MIN) return 'substring';
  return NO_SPACE_SCRIPT.test(term) ? 'short-substring' : 'word';
}

/**
 * The terms of `q`: runs of letters and digits, NFC, lower-cased, each once, in the order given.
 * A message matches when it has every term. Operators and punctuation (`&|!()*:"`) are not
 * syntax, they only separate terms. Refused (400): a q that is missing, empty, over 200
 * characters, without any letter or digit, or with more than 10 distinct terms.
 */
export function parseSearchQuery(q: unknown): SearchTerm[] {
  if (typeof q !== 'string' || q.length === 0)
    throw Errors.validation(C.queryLength, `q must be 1 to ${SEARCH_QUERY_MAX} characters`);
  if (codePoints(q) > SEARCH_QUERY_MAX)
    throw Errors.validation(C.queryLength, `q must be 1 to ${SEARCH_QUERY_MAX} characters`);
  const seen = new Set<string>();
  for (const run of q.normalize('NFC').matchAll(TERM_RE)) {
    const t = run[0].toLowerCase();
    if (HAS_LETTER_OR_DIGIT.test(t)) seen.add(t);
  }
  if (seen.size === 0)
    throw Errors.validation(
      C.queryNoTerms,
      'q must contain a letter or digit (operators and punctuation only separate terms)',
    );
  if (seen.size > SEARCH_TERMS_MAX)
    throw Errors.validation(C.queryTooManyTerms, `q may have at most ${SEARCH_TERMS_MAX} terms`);
  return [...seen].map((text) => ({ text, kind: termKind(text) }));
}

/** Where a hit is: a stretch of Highlight.text, in UTF-16 code units (JavaScript indices). */
export interface HighlightRange {
  start: number;
  end: number;
}

/** What a result shows: an excerpt of the content around the first hit, hits marked. */
export interface Highlight {
  text: string;
  ranges: HighlightRange[];
}

export const SNIPPET_MAX = 200;
/** How much of the text before the first hit an excerpt keeps. */
const SNIPPET_LEAD = 40;
const ELLIPSIS = '…';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function termPattern(t: SearchTerm): string {
  const body = escapeRe(t.text);
  return t.kind === 'word' ? `(?<![\\p{L}\\p{N}\\p{M}])${body}(?![\\p{L}\\p{N}\\p{M}])` : body;
}

/** The hits of the terms in `content`, sorted and merged where they overlap or touch. */
export function findHits(content: string, terms: SearchTerm[]): HighlightRange[] {
  const hits: HighlightRange[] = [];
  for (const t of terms) {
    const re = new RegExp(termPattern(t), 'giu');
    for (const m of content.matchAll(re))
      if (m[0].length > 0) hits.push({ start: m.index, end: m.index + m[0].length });
  }
  hits.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: HighlightRange[] = [];
  for (const h of hits) {
    const last = merged[merged.length - 1];
    if (last && h.start <= last.end) last.end = Math.max(last.end, h.end);
    else merged.push({ ...h });
  }
  return merged;
}

/** Not inside a surrogate pair. */
const boundary = (s: string, i: number): number =>
  i > 0 && i < s.length && /[\uDC00-\uDFFF]/.test(s[i]) ? i - 1 : i;

/**
 * The content itself when it is short; else an excerpt of SNIPPET_MAX code units starting a
 * little before the first hit, with … where it was cut. Ranges are offsets into `text`.
 */
export function highlight(content: string, terms: SearchTerm[]): Highlight {
  const hits = findHits(content, terms);
  if (content.length <= SNIPPET_MAX) return { text: content, ranges: hits };
  const first = hits[0]?.start ?? 0;
  const start = boundary(
    content,
    Math.max(0, Math.min(first - SNIPPET_LEAD, content.length - SNIPPET_MAX)),
  );
  const end = boundary(content, Math.min(content.length, start + SNIPPET_MAX));
  const lead = start > 0 ? ELLIPSIS : '';
  const text = lead + content.slice(start, end) + (end < content.length ? ELLIPSIS : '');
  const ranges = hits
    .filter((h) => h.end > start && h.start < end)
    .map((h) => ({
      start: Math.max(h.start, start) - start + lead.length,
      end: Math.min(h.end, end) - start + lead.length,
    }));
  return { text, ranges };
}
