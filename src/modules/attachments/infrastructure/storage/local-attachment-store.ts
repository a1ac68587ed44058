import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { Errors } from '../../../../common/errors/domain-error.js';
import { OBJECT_KEY_PATTERN } from '../../domain/attachment.js';
import { AttachmentErrorCodes as C } from '../../domain/attachment-errors.js';
import type { AttachmentLinks } from '../../domain/attachment-links.js';
import {
  AttachmentStore,
  type Download,
  type StoredObjectInfo,
  type UploadTarget,
} from '../../domain/attachment-store.js';

class TooLarge extends Error {}

/**
 * Files under DATA_DIR/attachments: `objects/<key>` once complete, `incoming/` while being
 * received. Uploads and downloads go through the service on links it signed itself
 * (AttachmentLinks). Memory stays bounded whatever the size: the body is streamed to a temp
 * file, counted on the way, refused as soon as it is longer than declared, and linked into
 * place only when it is exactly the declared size.
 */
export class LocalAttachmentStore extends AttachmentStore {
  readonly name = 'local';
  private readonly objects: string;
  private readonly incoming: string;

  constructor(
    dataDir: string,
    private readonly links: AttachmentLinks,
  ) {
    super();
    const root = path.resolve(dataDir, 'attachments');
    this.objects = path.join(root, 'objects');
    this.incoming = path.join(root, 'incoming');
  }

  async init(): Promise<void> {
    await mkdir(this.objects, { recursive: true, mode: 0o700 });
    await mkdir(this.incoming, { recursive: true, mode: 0o700 });
  }

  private file(key: string): string {
    // Keys are ours (random base64url); anything else never becomes a path.
    if (!OBJECT_KEY_PATTERN.test(key)) throw new Error('not an object key');
    return path.join(this.objects, key);
  }

  uploadTarget(
    attachmentId: string,
    object: StoredObjectInfo,
    ttlSec: number,
  ): Promise<UploadTarget> {
    return Promise.resolve({
      url: this.links.sign('upload', attachmentId, ttlSec).url,
      method: 'PUT',
      headers: { 'Content-Type': object.contentType },
    });
  }

  /**
   * Stores exactly `size` bytes from `body` under `key`. Longer: refused as soon as the excess
   * arrives; shorter: refused at the end; either way nothing is kept. A second complete upload
   * of the same key is refused (ATTACHMENT_ALREADY_UPLOADED).
   */
  async receive(key: string, body: Readable, size: number): Promise<void> {
    const final = this.file(key);
    const temp = path.join(this.incoming, `${key}.${randomBytes(6).toString('hex')}`);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > size) done(new TooLarge());
        else done(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      if (received !== size)
        throw Errors.validation(
          C.sizeMismatch,
          `the upload had ${received} bytes; ${size} were declared`,
        );
      // link, not rename: an existing file is never replaced, the first complete upload wins.
      await link(temp, final).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST')
          throw Errors.conflict(C.alreadyUploaded, 'this attachment was already uploaded');
        throw err;
      });
    } catch (err) {
      if (err instanceof TooLarge)
        throw Errors.validation(
          C.sizeMismatch,
          `the upload is longer than the declared ${size} bytes`,
        );
      throw err;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async sizeOf(key: string): Promise<number | null> {
    try {
      const s = await stat(this.file(key));
      return s.isFile() ? s.size : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async download(object: StoredObjectInfo): Promise<Download | null> {
    const size = await this.sizeOf(object.key);
    if (size === null) return null;
    return { kind: 'stream', body: createReadStream(this.file(object.key)), size };
  }

  async remove(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map((k) =>
        unlink(this.file(k)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        }),
      ),
    );
  }
}
