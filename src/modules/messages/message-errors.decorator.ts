import { ApiErrorCodes } from '../../common/http/api-errors.js';
import { AttachmentErrorCodes } from '../attachments/domain/attachment-errors.js';
import { MessageErrorCodes as C } from './domain/message-errors.js';

// The codes each messages route answers with, per status, for the OpenAPI document. 401 and 429
// are the same on every route (ApiErrors). Optional modules add their own refusals to a send
// (MUTED, PROXY_NOT_ALLOWED, ...), documented by those modules.
const invalid = { VALIDATION_FAILED: 'a malformed id or field; the message names it' };
const badBody = { ...invalid, MALFORMED_JSON: 'the body is not JSON' };
const tooLarge = { 413: { PAYLOAD_TOO_LARGE: 'the body is over 64 KiB' } };
const notMember = { NOT_ROOM_MEMBER: 'the caller is not a member of this room' };
const noRoom = { ROOM_NOT_FOUND: 'no such room, or a private room the caller is not in' };
const noMessage = { ...noRoom, [C.notFound]: 'no such message in this room' };
const changeRights = {
  ...notMember,
  [C.notAuthor]:
    'only the author may edit; the author, the room owner or message.delete.any may delete',
  [C.notEditable]: 'a system or bot message (bot messages: the room owner may delete them)',
};
const tombstone = { [C.deleted]: 'the message was deleted' };

export const MessageRouteErrors = {
  history: ApiErrorCodes({
    400: {
      VALIDATION_FAILED: 'afterSeq with beforeSeq, or a malformed field; the message names it',
    },
    403: notMember,
    404: noRoom,
    409: {
      RESYNC_REQUIRED:
        'the messages right after afterSeq are no longer kept (retention): reload the room',
    },
  }),
  send: ApiErrorCodes({
    400: {
      ...badBody,
      [C.threadRootInvalid]: 'threadRootId is not a top-level message of this room',
      [AttachmentErrorCodes.invalid]:
        'attachmentIds: more than 10, unknown, not the sender’s, another room’s, not fully uploaded (or not the declared size), or already on a message',
    },
    403: notMember,
    404: noRoom,
    409: { [C.clientMsgIdConflict]: 'this clientMsgId was used for a message in another room' },
    ...tooLarge,
  }),
  edit: ApiErrorCodes({
    400: badBody,
    403: changeRights,
    404: noMessage,
    409: tombstone,
    ...tooLarge,
  }),
  delete: ApiErrorCodes({ 400: invalid, 403: changeRights, 404: noMessage }),
  react: ApiErrorCodes({
    400: { VALIDATION_FAILED: 'emoji is not one emoji or a :short_name:, or a malformed id' },
    403: notMember,
    404: noMessage,
    409: {
      ...tombstone,
      [C.reactionLimit]: 'the message already has 20 distinct reactions',
    },
  }),
  unreact: ApiErrorCodes({
    400: { VALIDATION_FAILED: 'emoji is not one emoji or a :short_name:, or a malformed id' },
    403: notMember,
    404: noMessage,
  }),
};
