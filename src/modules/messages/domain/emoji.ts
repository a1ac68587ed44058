// What a reaction may be: one emoji (one grapheme that is a Unicode RGI emoji) or a
// `:short_name:` of a custom emoji. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';

const SHORT_NAME = /^:[a-z0-9_+-]{1,64}:$/;
// The `v` flag's \p{RGI_Emoji} covers sequences (flags, keycaps, skin tones, ZWJ families).
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
// A single pictograph without its variation selector (e.g. "❤" for "❤️") counts too.
const BARE_PICTOGRAPH = /^\p{Extended_Pictographic}\uFE0F?$/u;
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The emoji as stored (NFC); VALIDATION_FAILED naming the parameter when it is not one. */
export function checkEmoji(raw: string): string {
  const emoji = raw.normalize('NFC');
  if (SHORT_NAME.test(emoji)) return emoji;
  const graphemes = [...segmenter.segment(emoji)];
  if (graphemes.length === 1 && (RGI_EMOJI.test(emoji) || BARE_PICTOGRAPH.test(emoji)))
    return emoji;
  throw Errors.validation(
    'VALIDATION_FAILED',
    'emoji must be one emoji or a :short_name: (lowercase letters, digits, _ + -)',
  );
}
