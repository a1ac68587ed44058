// Attachments domain: what an upload is and which declarations are acceptable. No framework
// imports.
import { randomBytes } from 'node:crypto';
import { Errors } from '../../../common/errors/domain-error.js';
import { AttachmentErrorCodes as C } from './attachment-errors.js';

/** At most this many attachments on one message. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
export const FILENAME_MAX = 255;
export const CONTENT_TYPE_MAX = 255;

/** An upload as the service keeps it. */
export interface Attachment {
  id: string;
  roomId: string;
  uploaderId: string;
  /** Where the bytes are in the store: random, never derived from the id or the filename. */
  objectKey: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: Date;
  /** When the bytes were received (local store); null until then, and always for S3 (the store says). */
  uploadedAt: Date | null;
  /** The message it is on, or null while unbound. */
  messageId: string | null;
}

/** What a message carries about each of its attachments (as stored; `url` is added when served). */
export interface AttachmentSummary {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface UploadDeclaration {
  filename: string;
  contentType: string;
  size: number;
}

// C0 and C1 control characters, DEL, and the line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// type/subtype with RFC 6838 name characters, optionally followed by parameters.
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[^\s;=]+=[^;]*)*$/;

/** Refuses a declaration no upload may have (nothing is stored for it). */
export function checkDeclaration(d: UploadDeclaration, maxBytes: number): UploadDeclaration {
  if (!Number.isSafeInteger(d.size) || d.size < 1 || d.size > maxBytes)
    throw Errors.validation(C.sizeInvalid, `size must be a whole number from 1 to ${maxBytes}`);
  const filename = d.filename;
  if (typeof filename !== 'string' || filename.length === 0 || [...filename].length > FILENAME_MAX)
    throw Errors.validation(C.filenameInvalid, `filename must be 1 to ${FILENAME_MAX} characters`);
  if (/[/\\]/.test(filename) || CONTROL.test(filename) || filename === '.' || filename === '..')
    throw Errors.validation(
      C.filenameInvalid,
      'filename must be a plain name: no path separators (/ \\) and no control characters',
    );
  if (
    typeof d.contentType !== 'string' ||
    d.contentType.length > CONTENT_TYPE_MAX ||
    CONTROL.test(d.contentType) ||
    !MEDIA_TYPE.test(d.contentType)
  )
    throw Errors.validation(
      C.contentTypeInvalid,
      'contentType must be a media type such as image/png',
    );
  return { filename, contentType: d.contentType, size: d.size };
}

/** Refuses a send's list of ids before anything is read: too many, or the same one twice. */
export function checkAttachmentIds(ids: readonly string[]): void {
  if (ids.length > MAX_ATTACHMENTS_PER_MESSAGE)
    throw Errors.validation(
      C.invalid,
      `a message carries at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments`,
    );
  if (new Set(ids).size !== ids.length)
    throw Errors.validation(C.invalid, 'attachmentIds names an attachment twice');
}

/** 256 random bits, URL- and path-safe: a key cannot be guessed from anything else. */
export function newObjectKey(): string {
  return randomBytes(32).toString('base64url');
}

export const OBJECT_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function summaryOf(a: Attachment): AttachmentSummary {
  return { id: a.id, filename: a.filename, contentType: a.contentType, size: a.size };
}

export const invalidAttachments = (why: string) => Errors.validation(C.invalid, why);
