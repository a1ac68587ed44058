// Custom profile fields (user_extensions): the rules of a patch. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import { forbiddenCharacter } from '../../../common/text/unicode-hygiene.js';

export type ExtensionValue = string | number | boolean;
export type Extensions = Record<string, ExtensionValue>;
/** A patch: each key set to a value, or to null to remove it. */
export type ExtensionsPatch = Record<string, ExtensionValue | null>;

export const EXTENSION_KEY_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
export const EXTENSIONS_MAX_KEYS = 32;
export const EXTENSION_STRING_MAX = 256;
/** The whole object, serialised as JSON, in UTF-8 bytes. */
export const EXTENSIONS_MAX_BYTES = 4096;

const invalid = (message: string) => Errors.validation('EXTENSIONS_INVALID', message);

/** Checks the shape of a patch on its own (keys and values), before it meets stored fields. */
export function checkExtensionsPatch(patch: unknown): asserts patch is ExtensionsPatch {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw invalid('extensions must be an object');
  for (const [key, value] of Object.entries(patch)) {
    if (!EXTENSION_KEY_PATTERN.test(key))
      throw invalid(
        `extensions key "${key.slice(0, 40)}" must match ${EXTENSION_KEY_PATTERN.source}`,
      );
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid(`extensions.${key} must be a finite number`);
      continue;
    }
    if (typeof value === 'string') {
      if (value.length > EXTENSION_STRING_MAX)
        throw invalid(`extensions.${key} must be at most ${EXTENSION_STRING_MAX} characters`);
      // Shown on the profile to other people: the hygiene of any text shown to others.
      const found = forbiddenCharacter(value, true);
      if (found !== null)
        throw invalid(
          `extensions.${key} must not contain control, bidi-override or zero-width characters (found ${found})`,
        );
      continue;
    }
    throw invalid(`extensions.${key} must be a string, a number, a boolean or null`);
  }
}

/**
 * The stored fields after a patch: keys merge, a key set to null is removed. Throws
 * EXTENSIONS_INVALID (and the caller changes nothing) when the result breaks a limit.
 */
export function mergeExtensions(current: Extensions, patch: unknown): Extensions {
  checkExtensionsPatch(patch);
  const next: Extensions = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (Object.keys(next).length > EXTENSIONS_MAX_KEYS)
    throw invalid(`extensions may hold at most ${EXTENSIONS_MAX_KEYS} keys`);
  if (Buffer.byteLength(JSON.stringify(next), 'utf8') > EXTENSIONS_MAX_BYTES)
    throw invalid(`extensions may hold at most ${EXTENSIONS_MAX_BYTES} bytes in all`);
  return next;
}
