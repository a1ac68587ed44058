// Where attachments' bytes live: the port, with a local-disk and an S3 driver
// (infrastructure/storage). No framework or SDK imports.
import type { Readable } from 'node:stream';

/** Where and how the client sends the bytes. */
export interface UploadTarget {
  url: string;
  method: 'PUT';
  /** Headers the client must send with the PUT (a presigned S3 PUT is signed over them). */
  headers: Record<string, string>;
}

export interface StoredObjectInfo {
  key: string;
  size: number;
  contentType: string;
  filename: string;
}

/** How a download is answered: a redirect to the store, or the bytes from here. */
export type Download =
  { kind: 'redirect'; url: string } | { kind: 'stream'; body: Readable; size: number };

export abstract class AttachmentStore {
  /** 'local' or 's3', for logs and health. */
  abstract readonly name: string;
  /** Where to PUT exactly `object.size` bytes, until `ttlSec` from now. */
  abstract uploadTarget(
    attachmentId: string,
    object: StoredObjectInfo,
    ttlSec: number,
  ): Promise<UploadTarget>;
  /** The stored object's size in bytes, as the store measures it; null when it is not there. */
  abstract sizeOf(key: string): Promise<number | null>;
  /** The object's bytes for a reader allowed to have them (the caller checked). */
  abstract download(object: StoredObjectInfo, ttlSec: number): Promise<Download | null>;
  /** Deletes objects; keys that are not there are no error. */
  abstract remove(keys: readonly string[]): Promise<void>;
}
