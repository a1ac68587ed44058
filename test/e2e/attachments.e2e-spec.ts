import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import {
  AttachmentLinks,
  deriveLinkKey,
} from '../../src/modules/attachments/domain/attachment-links.js';
import { describeAttachmentBehaviour } from '../support/attachment-behaviour.js';

// The local store: files under DATA_DIR, uploads and downloads through the service's own signed
// links. The same behaviour suite runs on S3 in test/s3/attachments.s3-spec.ts.
const dataDir = path.resolve(`.data/test-attachments-${process.pid}`);
const jwtSecret = randomBytes(32).toString('base64url');

describeAttachmentBehaviour({
  name: 'local',
  env: () =>
    Promise.resolve({ ATTACHMENT_STORE: 'local', DATA_DIR: dataDir, JWT_SECRET: jwtSecret }),
  exists: (key) => Promise.resolve(existsSync(path.join(dataDir, 'attachments', 'objects', key))),
  checkUploadTarget(upload, _size, baseUrl) {
    // Straight to the service itself, on a link it signed (no bearer token).
    expect(upload.url).toMatch(
      /^\/api\/attachments\/[0-9a-f-]{36}\/upload\?expires=\d+&signature=/,
    );
    expect(upload.headers).toEqual({ 'Content-Type': 'image/png' });
    expect(baseUrl).toMatch(/^http:/);
  },
  expiredUploadUrl(_t, id) {
    // Signed with the service's own key, an hour ago for a minute: well formed, but over.
    const links = new AttachmentLinks(deriveLinkKey(jwtSecret), '', () => Date.now() - 3_600_000);
    return Promise.resolve(links.sign('upload', id, 60).url);
  },
});
