import { ApiErrorCodes } from '../../common/http/api-errors.js';
import { MessageErrorCodes } from '../messages/domain/message-errors.js';
import { ScheduledErrorCodes as C } from './domain/scheduled-errors.js';

// The codes each scheduled-messages route answers with, per status, for the OpenAPI document.
// 401 and 429 are the same on every route (ApiErrors).
const invalid = { VALIDATION_FAILED: 'a malformed id or field; the message names it' };
const badBody = {
  ...invalid,
  MALFORMED_JSON: 'the body is not JSON',
  [C.sendAtOutOfRange]: 'sendAt is less than 10 s or more than a year ahead',
  [MessageErrorCodes.threadRootInvalid]: 'threadRootId is not a top-level message of this room',
};
const tooLarge = { 413: { PAYLOAD_TOO_LARGE: 'the body is over 64 KiB' } };
const noScheduled = { [C.notFound]: 'no such scheduled message of the caller' };
const finished = {
  [C.alreadySent]: 'it was sent already',
  [C.alreadyFailed]: 'it failed and will not be sent',
  [C.sending]: 'it is due and being sent',
};

export const ScheduledRouteErrors = {
  create: ApiErrorCodes({
    400: badBody,
    403: { NOT_ROOM_MEMBER: 'the caller is not a member of this room' },
    404: { ROOM_NOT_FOUND: 'no such room, or a private room the caller is not in' },
    ...tooLarge,
  }),
  list: ApiErrorCodes({ 400: invalid }),
  update: ApiErrorCodes({ 400: badBody, 404: noScheduled, 409: finished, ...tooLarge }),
  delete: ApiErrorCodes({ 400: invalid, 404: noScheduled, 409: finished }),
};
