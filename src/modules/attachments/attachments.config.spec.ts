import { describe, expect, it } from '@jest/globals';
import { attachmentsConfig } from './attachments.config.js';

describe('attachmentsConfig', () => {
  it('defaults to the local store, 25 MiB, 24 h for unsent uploads', () => {
    expect(attachmentsConfig({})).toMatchObject({
      store: 'local',
      maxBytes: 26_214_400,
      unboundTtlSec: 86_400,
      urlTtlSec: 3600,
      linkBaseUrl: '',
      s3: null,
    });
  });

  it('refuses an unknown store, and s3 without its settings, naming each variable', () => {
    expect(() => attachmentsConfig({ ATTACHMENT_STORE: 'ftp' })).toThrow(/ATTACHMENT_STORE/);
    let message = '';
    try {
      attachmentsConfig({ ATTACHMENT_STORE: 's3', S3_SECRET_ACCESS_KEY: 'hunter2' });
    } catch (e) {
      message = String(e);
    }
    for (const name of ['S3_BUCKET', 'S3_REGION', 'S3_ACCESS_KEY_ID'])
      expect(message).toContain(`${name} is required when ATTACHMENT_STORE=s3`);
    expect(message).not.toContain('hunter2');
  });

  it('reads the S3 settings when s3 is chosen', () => {
    expect(
      attachmentsConfig({
        ATTACHMENT_STORE: 's3',
        S3_BUCKET: 'chat-files',
        S3_REGION: 'eu-west-1',
        S3_ACCESS_KEY_ID: 'AKIA',
        S3_SECRET_ACCESS_KEY: 'secret',
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_FORCE_PATH_STYLE: 'true',
        ATTACHMENT_LINK_BASE_URL: 'https://chat.example.com/',
      }),
    ).toMatchObject({
      store: 's3',
      linkBaseUrl: 'https://chat.example.com',
      s3: {
        bucket: 'chat-files',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9000',
        forcePathStyle: true,
      },
    });
    expect(() => attachmentsConfig({ ATTACHMENT_MAX_BYTES: '0' })).toThrow(/ATTACHMENT_MAX_BYTES/);
    expect(() => attachmentsConfig({ ATTACHMENT_URL_TTL_SEC: '60' })).toThrow(
      /ATTACHMENT_URL_TTL_SEC/,
    );
  });
});
