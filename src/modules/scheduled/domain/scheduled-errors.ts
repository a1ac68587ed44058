// The error codes the scheduled messages context answers with (besides the shared
// VALIDATION_FAILED, NOT_ROOM_MEMBER, ROOM_NOT_FOUND and the messages context's
// THREAD_ROOT_INVALID). No framework imports.
export const ScheduledErrorCodes = {
  notFound: 'SCHEDULED_MESSAGE_NOT_FOUND',
  sendAtOutOfRange: 'SEND_AT_OUT_OF_RANGE',
  alreadySent: 'SCHEDULED_MESSAGE_SENT',
  alreadyFailed: 'SCHEDULED_MESSAGE_FAILED',
  sending: 'SCHEDULED_MESSAGE_SENDING',
} as const;
