import { ApiErrorCodes } from '../../common/http/api-errors.js';
import { AttachmentErrorCodes as C } from './domain/attachment-errors.js';

// The codes each attachments route answers with, per status, for the OpenAPI document. 401 and
// 429 are the same on every bearer route (ApiErrors).
const link = {
  [C.linkInvalid]: 'the link’s signature is wrong, or its time is over (ask for a fresh one)',
};
const gone = { [C.notFound]: 'no such attachment (or its message was deleted)' };

export const AttachmentRouteErrors = {
  create: ApiErrorCodes({
    400: {
      [C.sizeInvalid]: 'size is not a whole number from 1 to ATTACHMENT_MAX_BYTES',
      [C.filenameInvalid]:
        'filename is empty, over 255 characters, or has a path separator or a control character',
      [C.contentTypeInvalid]: 'contentType is not a media type such as image/png',
      VALIDATION_FAILED: 'a malformed room id or field; the message names it',
      MALFORMED_JSON: 'the body is not JSON',
    },
    403: { NOT_ROOM_MEMBER: 'the caller is not a member of this room' },
    404: { ROOM_NOT_FOUND: 'no such room, or a private room the caller is not in' },
  }),
  get: ApiErrorCodes({
    400: { VALIDATION_FAILED: 'id is not a UUID' },
    404: {
      [C.notFound]:
        'no such attachment, or the caller is not a member of its room (an unsent upload: not its uploader)',
    },
  }),
  upload: ApiErrorCodes({
    400: {
      [C.sizeMismatch]: 'the body (or its Content-Length) is not exactly the declared size',
      VALIDATION_FAILED: 'id is not a UUID',
    },
    403: link,
    404: { ...gone, NOT_FOUND: 'the attachment store is not local (uploads go to S3)' },
    409: { [C.alreadyUploaded]: 'the bytes were already uploaded' },
  }),
  content: ApiErrorCodes({
    400: { VALIDATION_FAILED: 'id is not a UUID' },
    403: link,
    404: gone,
  }),
};
