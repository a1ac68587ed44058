import { ApiErrorCodes } from '../../common/http/api-errors.js';
import { SearchErrorCodes as C } from './domain/search-errors.js';

// The codes each search route answers with, per status, for the OpenAPI document. 401 and 429
// are the same on every route (ApiErrors).
export const SearchRouteErrors = {
  messages: ApiErrorCodes({
    400: {
      [C.queryLength]: 'q is missing, empty, or over 200 characters',
      [C.queryNoTerms]: 'q has no letter or digit (only spaces, operators or punctuation)',
      [C.queryTooManyTerms]: 'q has more than 10 distinct terms',
      VALIDATION_FAILED: 'a malformed roomId, limit or cursor; the message names it',
    },
    403: { NOT_ROOM_MEMBER: 'roomId is a public room the caller is not a member of' },
    404: { ROOM_NOT_FOUND: 'roomId is no room, or a private room the caller is not in' },
  }),
};
