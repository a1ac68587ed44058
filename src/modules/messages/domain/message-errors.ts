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
