// The error codes the attachments context answers with (besides the shared VALIDATION_FAILED,
// NOT_ROOM_MEMBER and ROOM_NOT_FOUND). No framework imports.
export const AttachmentErrorCodes = {
  /** A send's attachmentIds: unknown, someone else's, another room's, not (fully) uploaded, already on a message, more than 10. */
  invalid: 'ATTACHMENT_INVALID',
  /** size is not a whole number from 1 to ATTACHMENT_MAX_BYTES. */
  sizeInvalid: 'ATTACHMENT_SIZE_INVALID',
  /** filename empty, over 255 characters, or holding a path separator or a control character. */
  filenameInvalid: 'ATTACHMENT_FILENAME_INVALID',
  /** contentType is not a type/subtype media type. */
  contentTypeInvalid: 'ATTACHMENT_CONTENT_TYPE_INVALID',
  /** The uploaded body is not exactly the declared size. */
  sizeMismatch: 'ATTACHMENT_SIZE_MISMATCH',
  /** An upload or download link whose signature is wrong or whose time is over. */
  linkInvalid: 'ATTACHMENT_LINK_INVALID',
  /** The upload was already made (an upload URL works once). */
  alreadyUploaded: 'ATTACHMENT_ALREADY_UPLOADED',
  /** No such attachment, or none the caller may see. */
  notFound: 'ATTACHMENT_NOT_FOUND',
} as const;
