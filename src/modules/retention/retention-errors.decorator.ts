import { ApiErrorCodes } from '../../common/http/api-errors.js';

// The codes each route of the retention and export context answers with, per status, for the
// OpenAPI document. 401 and 429 are the same on every route (ApiErrors). Setting a room's
// retentionDays goes through PATCH /api/rooms/:id (rooms context), which lists
// RETENTION_DAYS_INVALID among its own.
export const RetentionRouteErrors = {
  export: ApiErrorCodes({
    400: { VALIDATION_FAILED: 'the room id is not a UUID' },
    403: {
      NOT_ROOM_OWNER: 'the caller is a member but not the owner',
      NOT_ROOM_MEMBER: 'a public room the caller is not a member of',
    },
    404: { ROOM_NOT_FOUND: 'no such room, or a private room the caller is not in' },
  }),
};
