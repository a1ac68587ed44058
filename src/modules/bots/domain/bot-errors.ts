// The error codes the bots context answers with (besides the shared VALIDATION_FAILED,
// PERMISSION_DENIED, ROOM_NOT_FOUND and the messages context's). No framework imports.
export const BotErrorCodes = {
  notFound: 'BOT_NOT_FOUND',
  tokenInvalid: 'BOT_TOKEN_INVALID',
  nameTaken: 'BOT_NAME_TAKEN',
  webhookUrlRefused: 'WEBHOOK_URL_REFUSED',
} as const;
