// The error codes the messages context answers with (besides the shared VALIDATION_FAILED,
// NOT_ROOM_MEMBER and ROOM_NOT_FOUND). No framework imports.
export const MessageErrorCodes = {
  notFound: 'MESSAGE_NOT_FOUND',
  notAuthor: 'NOT_MESSAGE_AUTHOR',
  deleted: 'MESSAGE_DELETED',
  notEditable: 'MESSAGE_NOT_EDITABLE',
  reactionLimit: 'REACTION_LIMIT',
  threadRootInvalid: 'THREAD_ROOT_INVALID',
  clientMsgIdConflict: 'CLIENT_MSG_ID_CONFLICT',
} as const;

/** For the OpenAPI document: what each status means on the messages routes. */
export const MessageErrorDocs = {
  400: 'Validation failed (VALIDATION_FAILED: the message names the field, e.g. an emoji that is not one emoji or :short_name:; THREAD_ROOT_INVALID: threadRootId is not a top-level message of this room)',
  403: 'Not allowed (NOT_ROOM_MEMBER; NOT_MESSAGE_AUTHOR: only the author may edit, only the author, the room owner or a holder of message.delete.any may delete; MESSAGE_NOT_EDITABLE: system and bot messages)',
  404: 'Unknown room or message, or a message of another room (ROOM_NOT_FOUND, MESSAGE_NOT_FOUND)',
  409: 'Conflict (MESSAGE_DELETED: the message is a tombstone; REACTION_LIMIT: already 20 distinct reactions; CLIENT_MSG_ID_CONFLICT)',
} as const;
