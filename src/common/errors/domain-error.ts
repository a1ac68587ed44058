// Framework-free error model shared by every bounded context's domain and application layers.
// One HTTP filter and one WebSocket filter map these to answers; the `code` is the stable
// machine-readable part of the public contract.

export type ErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    /** Seconds a client should wait before retrying (rate_limited only). */
    readonly retryAfterSec?: number,
    /** The quota that ran out (rate_limited only): its size, for the RateLimit-Limit header. */
    readonly limit?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const Errors = {
  validation: (code: string, message: string) => new DomainError('validation', code, message),
  unauthorized: (code: string, message: string) => new DomainError('unauthorized', code, message),
  forbidden: (code: string, message: string) => new DomainError('forbidden', code, message),
  notFound: (code: string, message: string) => new DomainError('not_found', code, message),
  conflict: (code: string, message: string) => new DomainError('conflict', code, message),
  rateLimited: (code: string, message: string, retryAfterSec: number, limit?: number) =>
    new DomainError('rate_limited', code, message, retryAfterSec, limit),
};

/** Every error code the service emits, for the OpenAPI document and client authors. */
export const ErrorCodes = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'PAYLOAD_TOO_LARGE',
  'AUTH_REQUIRED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'SESSION_REVOKED',
  'INVALID_CREDENTIALS',
  'USER_DISABLED',
  'REFRESH_TOKEN_INVALID',
  'REFRESH_TOKEN_REUSED',
  'USERNAME_TAKEN',
  'EMAIL_TAKEN',
  'ROOM_NOT_FOUND',
  'ROOM_NAME_TAKEN',
  'ROOM_PASSWORD_REQUIRED',
  'ROOM_PASSWORD_INVALID',
  'ROOM_JOIN_THROTTLED',
  'NOT_ROOM_MEMBER',
  'NOT_ROOM_OWNER',
  'OWNER_LAST_MEMBER',
  'CLIENT_MSG_ID_CONFLICT',
  'NOT_SUBSCRIBED',
  'ORIGIN_NOT_ALLOWED',
  'BAD_UPGRADE',
  'RATE_LIMITED',
  'BAD_FRAME',
  'UNKNOWN_EVENT',
  'NOT_FOUND',
  'EXTENSIONS_INVALID',
  'DIRECT_ROOM',
  'DM_NEEDS_OTHERS',
  'DM_TOO_MANY_USERS',
  'USER_INACTIVE',
  'ROOM_NOT_PRIVATE',
  'ALREADY_MEMBER',
  'INVITE_EXISTS',
  'INVITE_NOT_FOUND',
  'INTERNAL_ERROR',
  // Enterprise modules (only emitted when the module is on).
  'PERMISSION_DENIED',
  'MESSAGE_NOT_FOUND',
  'USER_NOT_FOUND',
  'ORG_NOT_FOUND',
  'NOT_ORG_MEMBER',
  'ORG_NAME_TAKEN',
  'DEPARTMENT_NOT_FOUND',
  'DEPARTMENT_CYCLE',
  'POSITION_NOT_FOUND',
  'ORG_LAST_OWNER',
  'DEPARTMENT_NAME_TAKEN',
  'DEPARTMENT_NOT_EMPTY',
  'POSITION_NAME_TAKEN',
  'ROLE_NOT_FOUND',
  'ROLE_NAME_TAKEN',
  'ROLE_BUILT_IN',
  'ROLE_ASSIGNMENT_NOT_FOUND',
  'MUTED',
  // Advanced admin module.
  'ADMIN_SELF_ACTION',
  'USER_NOT_SANCTIONED',
  'ROOM_OWNER_PROTECTED',
  'MUTE_NOT_FOUND',
  'MEMBER_NOT_FOUND',
  'PROXY_NOT_ALLOWED',
  'PROXY_NOT_FOUND',
  'BOT_NOT_FOUND',
  'BOT_TOKEN_INVALID',
  'WEBHOOK_URL_REFUSED',
  'BOT_NAME_TAKEN',
  // Contract v2: the messages context (messages/domain/message-errors.ts) and the room event
  // log (room-events/domain/room-event-cursor.ts) own these; listed here for the OpenAPI enum.
  'NOT_MESSAGE_AUTHOR',
  'MESSAGE_DELETED',
  'MESSAGE_NOT_EDITABLE',
  'REACTION_LIMIT',
  'THREAD_ROOT_INVALID',
  'RESYNC_REQUIRED',
  // Scheduled messages (scheduled/domain/scheduled-errors.ts).
  'SCHEDULED_MESSAGE_NOT_FOUND',
  'SEND_AT_OUT_OF_RANGE',
  'SCHEDULED_MESSAGE_SENT',
  'SCHEDULED_MESSAGE_FAILED',
  'SCHEDULED_MESSAGE_SENDING',
  // The search context (search/domain/search-errors.ts) owns these.
  'SEARCH_QUERY_LENGTH',
  'SEARCH_QUERY_NO_TERMS',
  'SEARCH_QUERY_TOO_MANY_TERMS',
  // The attachments context (attachments/domain/attachment-errors.ts) owns these.
  'ATTACHMENT_INVALID',
  'ATTACHMENT_SIZE_INVALID',
  'ATTACHMENT_FILENAME_INVALID',
  'ATTACHMENT_CONTENT_TYPE_INVALID',
  'ATTACHMENT_SIZE_MISMATCH',
  'ATTACHMENT_LINK_INVALID',
  'ATTACHMENT_ALREADY_UPLOADED',
  'ATTACHMENT_NOT_FOUND',
  // Retention and export (retention/domain/retention-errors.ts).
  'RETENTION_DAYS_INVALID',
] as const;
