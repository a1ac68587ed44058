import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DomainError } from '../../../../common/errors/domain-error.js';
import { newObjectKey } from '../../domain/attachment.js';
import { AttachmentLinks } from '../../domain/attachment-links.js';
import { LocalAttachmentStore } from './local-attachment-store.js';

/** A body arriving in chunks, as a request does. */
const body = (bytes: Buffer, chunk = 1000) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    })(),
  );

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return null;
  } catch (e) {
    return e instanceof DomainError ? e.code : String(e);
  }
};

describe('LocalAttachmentStore', () => {
  let dir: string;
  let store: LocalAttachmentStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'attachments-'));
    store = new LocalAttachmentStore(dir, new AttachmentLinks(Buffer.alloc(32), ''));
    await store.init();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const incoming = () => readdir(path.join(dir, 'attachments', 'incoming'));

  it('keeps exactly the declared bytes, once', async () => {
    const key = newObjectKey();
    const bytes = Buffer.alloc(10_000, 7);
    await store.receive(key, body(bytes), bytes.length);
    expect(await store.sizeOf(key)).toBe(10_000);
    expect((await readFile(path.join(dir, 'attachments', 'objects', key))).equals(bytes)).toBe(
      true,
    );
    expect(await code(store.receive(key, body(bytes), bytes.length))).toBe(
      'ATTACHMENT_ALREADY_UPLOADED',
    );
    expect(await incoming()).toEqual([]);
  });

  it('refuses a longer or a shorter body and keeps nothing of it', async () => {
    const key = newObjectKey();
    expect(await code(store.receive(key, body(Buffer.alloc(5001)), 5000))).toBe(
      'ATTACHMENT_SIZE_MISMATCH',
    );
    expect(await code(store.receive(key, body(Buffer.alloc(4999)), 5000))).toBe(
      'ATTACHMENT_SIZE_MISMATCH',
    );
    expect(await store.sizeOf(key)).toBeNull();
    expect(await incoming()).toEqual([]);
  });

  it('never turns anything but an object key into a path; removing a missing one is fine', async () => {
    await expect(store.sizeOf('../../etc/passwd')).rejects.toThrow('not an object key');
    await store.remove([newObjectKey()]);
  });
});
