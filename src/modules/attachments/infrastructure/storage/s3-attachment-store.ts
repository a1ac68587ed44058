import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from '../../attachments.config.js';
import { contentDisposition } from '../../domain/content-disposition.js';
import {
  AttachmentStore,
  type Download,
  type StoredObjectInfo,
  type UploadTarget,
} from '../../domain/attachment-store.js';

/**
 * An S3-compatible object store (AWS S3, MinIO, S3Proxy...). The client uploads straight to
 * it with a presigned PUT whose signature covers the key, the Content-Type and the
 * Content-Length (a body of another length is refused by the store); readers get presigned
 * GETs. The service itself only signs, HEADs and deletes.
 */
export class S3AttachmentStore extends AttachmentStore {
  readonly name = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(s3: S3Settings) {
    super();
    this.bucket = s3.bucket;
    this.client = new S3Client({
      region: s3.region,
      endpoint: s3.endpoint ?? undefined,
      forcePathStyle: s3.forcePathStyle,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      // Checksums only where S3 requires them: a presigned PUT must not carry the checksum of
      // an empty body (the SDK's default since 3.729 would sign one in).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async uploadTarget(
    _attachmentId: string,
    object: StoredObjectInfo,
    ttlSec: number,
  ): Promise<UploadTarget> {
    const put = new PutObjectCommand({
      Bucket: this.bucket,
      Key: object.key,
      ContentType: object.contentType,
      ContentLength: object.size,
    });
    const url = await getSignedUrl(this.client, put, {
      expiresIn: ttlSec,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return {
      url,
      method: 'PUT',
      headers: { 'Content-Type': object.contentType, 'Content-Length': String(object.size) },
    };
  }

  async sizeOf(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? null;
    } catch (err) {
      if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return null;
      throw err;
    }
  }

  async download(object: StoredObjectInfo, ttlSec: number): Promise<Download> {
    const get = new GetObjectCommand({
      Bucket: this.bucket,
      Key: object.key,
      ResponseContentType: object.contentType,
      ResponseContentDisposition: contentDisposition(object.filename, object.contentType),
    });
    return { kind: 'redirect', url: await getSignedUrl(this.client, get, { expiresIn: ttlSec }) };
  }

  async remove(keys: readonly string[]): Promise<void> {
    // One DELETE each: DeleteObjects needs Content-MD5 or a checksum, which not every
    // S3-compatible store accepts; a sweep round removes at most a few hundred.
    await Promise.all(
      keys.map((Key) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }))),
    );
  }

  /** Nest calls this at shutdown: the client's sockets close. */
  onModuleDestroy(): void {
    this.client.destroy();
  }
}
