// What text shown to other people may hold. No framework imports: domain rules use it too.
//
// Refused everywhere: characters that change how the text around them is shown without being
// seen themselves (bidi overrides and isolates, zero-width spaces and joiners, fillers, tags)
// and control characters. They let one name impersonate another ("admin" and "adm\u200Bin"),
// reverse what follows it on screen (U+202E) or smuggle invisible text. Allowed where writing
// needs them: ZWJ inside emoji sequences, ZWNJ between letters of scripts that use it
// (Persian, Indic), tag characters inside a subdivision flag. Multi-line text (descriptions,
// reasons) may hold tab and line breaks.

/** Bidi formatting (ALM, LRM, RLM, embeddings, overrides, isolates). */
const BIDI = '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';
/** Invisible: soft hyphen, CGJ, Hangul fillers, Mongolian vowel separator, ZWSP, ZWNJ, word joiner and invisible operators, BOM, tags. */
const INVISIBLE =
  '\\u00AD\\u115F\\u1160\\u180E\\u200B\\u200C\\u2060-\\u2064\\u3164\\uFEFF\\uFFA0\\u{E0000}-\\u{E007F}';
/** ZWJ and the combining grapheme joiner, outside the class: in one, they read as joining their neighbours. */
const JOINERS = '\\u200D|\\u034F';
/** A lone UTF-16 surrogate (with the u flag, a well-formed pair is one code point, not Cs). */
const LONE_SURROGATE = '\\p{Cs}';

const FORBIDDEN_SINGLE_LINE = new RegExp(
  `[\\p{Cc}\\u2028\\u2029${BIDI}${INVISIBLE}${LONE_SURROGATE}]|${JOINERS}`,
  'u',
);
const FORBIDDEN_MULTI_LINE = new RegExp(
  `[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F${BIDI}${INVISIBLE}${LONE_SURROGATE}]|${JOINERS}`,
  'u',
);

// Uses of otherwise invisible characters that writing needs; removed before the check.
const EMOJI_ZWJ =
  /(?<=\p{Extended_Pictographic}(?:\u{FE0F}|\p{Emoji_Modifier})?)\u200D(?=\p{Extended_Pictographic})/gu;
const SCRIPT_ZWNJ =
  /(?<=[\p{L}\p{M}])(?<![\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}])\u200C(?=[\p{L}\p{M}])/gu;
const FLAG_TAGS = /(?<=\u{1F3F4})[\u{E0020}-\u{E007E}]+\u{E007F}/gu;

/** U+XXXX of a code point, or of a lone surrogate. */
export function codePointLabel(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The first character `text` may not hold, as U+XXXX, or null when it is clean. `multiline`
 * allows tab, CR and LF.
 */
export function forbiddenCharacter(text: string, multiline = false): string | null {
  const pattern = multiline ? FORBIDDEN_MULTI_LINE : FORBIDDEN_SINGLE_LINE;
  if (!pattern.test(text)) return null; // the common case: one scan, no copies
  const stripped = text.replace(EMOJI_ZWJ, '').replace(SCRIPT_ZWNJ, '').replace(FLAG_TAGS, '');
  const hit = pattern.exec(stripped);
  return hit ? codePointLabel(hit[0]) : null;
}

/** Whether `text` holds a lone UTF-16 surrogate (not representable in UTF-8 or PostgreSQL). */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}
