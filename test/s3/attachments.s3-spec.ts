import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, expect } from '@jest/globals';
import { describeAttachmentBehaviour } from '../support/attachment-behaviour.js';

// The S3 store against a real S3-compatible server: S3Proxy (filesystem backend) on loopback,
// started by the global setup (scripts/s3proxy.mjs). Uploads go straight to it on presigned PUTs.
const endpoint = process.env.S3_TEST_ENDPOINT;
if (!endpoint) throw new Error(process.env.S3_SETUP_ERROR ?? 'S3Proxy was not started');
const credentials = {
  accessKeyId: process.env.S3_TEST_ACCESS_KEY_ID!,
  secretAccessKey: process.env.S3_TEST_SECRET_ACCESS_KEY!,
};
const bucket = `chat-att-${randomBytes(6).toString('hex')}`;
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
afterAll(() => client.destroy());

describeAttachmentBehaviour({
  name: 's3',
  async env() {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return {
      ATTACHMENT_STORE: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    };
  },
  async exists(key) {
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return false;
      throw err;
    }
  },
  checkUploadTarget(upload, size) {
    // Straight to the object store, on a presigned PUT that covers the length and the type.
    const url = new URL(upload.url);
    expect(url.origin).toBe(endpoint);
    expect(url.pathname).toMatch(new RegExp(`^/${bucket}/[A-Za-z0-9_-]{43}$`));
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'content-type', 'host']),
    );
    expect(upload.headers).toEqual({ 'Content-Type': 'image/png', 'Content-Length': String(size) });
  },
  async expiredUploadUrl(_t, _id, upload) {
    // The same object, presigned two hours ago for a minute.
    const key = new URL(upload.url).pathname.split('/').pop()!;
    return getSignedUrl(
      client,
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        ContentType: upload.headers['Content-Type'],
      }),
      { expiresIn: 60, signingDate: new Date(Date.now() - 2 * 3_600_000) },
    );
  },
});
