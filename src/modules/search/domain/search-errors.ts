// The error codes the search context answers with (besides the shared VALIDATION_FAILED for a
// malformed roomId, limit or cursor, and the room codes for a roomId the caller may not read).
// No framework imports.
export const SearchErrorCodes = {
  /** q missing, empty, or over SEARCH_QUERY_MAX characters. */
  queryLength: 'SEARCH_QUERY_LENGTH',
  /** q has no letter or digit: only spaces, operators or punctuation. */
  queryNoTerms: 'SEARCH_QUERY_NO_TERMS',
  /** q has more than SEARCH_TERMS_MAX distinct terms. */
  queryTooManyTerms: 'SEARCH_QUERY_TOO_MANY_TERMS',
} as const;
