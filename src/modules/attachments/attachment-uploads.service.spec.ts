import { describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Errors } from '../../common/errors/domain-error.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import { attachmentsConfig } from './attachments.config.js';
import { AttachmentUploadsService, UploadReceiver } from './attachment-uploads.service.js';
import type { Attachment } from './domain/attachment.js';
import { AttachmentLinks } from './domain/attachment-links.js';
import { AttachmentRepository, type NewAttachment } from './domain/attachment.repository.js';
import {
  AttachmentStore,
  type Download,
  type StoredObjectInfo,
  type UploadTarget,
} from './domain/attachment-store.js';
import { codeOf, settled } from '../../common/testing/unit-kit.fake.js';

const ROOM: string = randomUUID();
const OTHER_ROOM: string = randomUUID();
const ALICE: string = randomUUID();
const BOB: string = randomUUID();
const MALLORY = randomUUID(); // in no room

/** What AttachmentUploadsService uses of the repository, in memory. */
class InMemoryAttachments extends AttachmentRepository {
  readonly rows = new Map<string, Attachment>();
  create(a: NewAttachment): Promise<Attachment> {
    const row: Attachment = {
      ...a,
      id: randomUUID(),
      createdAt: new Date(),
      uploadedAt: null,
      messageId: null,
    };
    this.rows.set(row.id, row);
    return Promise.resolve(row);
  }
  findById(id: string) {
    return Promise.resolve(this.rows.get(id) ?? null);
  }
  markUploaded(id: string) {
    const row = this.rows.get(id);
    if (row) row.uploadedAt = new Date();
    return Promise.resolve(!!row);
  }
  claim(): never {
    throw new Error('not used here');
  }
  boundToSend(): never {
    throw new Error('not used here');
  }
  claimed(): never {
    throw new Error('not used here');
  }
  release(): never {
    throw new Error('not used here');
  }
  sweepMessage(): never {
    throw new Error('not used here');
  }
  sweep(): never {
    throw new Error('not used here');
  }
}

/** A store holding objects by key; 'local' serves bytes, 's3' redirects. */
class MemoryStore extends AttachmentStore {
  readonly objects = new Map<string, Buffer>();
  constructor(readonly name: 'local' | 's3') {
    super();
  }
  uploadTarget(id: string, o: StoredObjectInfo): Promise<UploadTarget> {
    const url = `/put/${id}?size=${o.size}`;
    return Promise.resolve({ url, method: 'PUT', headers: {} });
  }
  sizeOf(key: string) {
    return Promise.resolve(this.objects.get(key)?.length ?? null);
  }
  download(o: StoredObjectInfo): Promise<Download | null> {
    const bytes = this.objects.get(o.key);
    if (!bytes) return Promise.resolve(null);
    return Promise.resolve(
      this.name === 's3'
        ? { kind: 'redirect', url: `https://s3.test/${o.key}` }
        : { kind: 'stream', body: Readable.from([bytes]), size: bytes.length },
    );
  }
  remove(keys: readonly string[]) {
    for (const k of keys) this.objects.delete(k);
    return Promise.resolve();
  }
}

/** Takes exactly `size` bytes, as the local store's receiver does. */
class MemoryReceiver extends UploadReceiver {
  constructor(private readonly store: MemoryStore) {
    super();
  }
  async receive(key: string, body: Readable, size: number): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== size) throw Errors.validation('ATTACHMENT_SIZE_MISMATCH', 'size');
    this.store.objects.set(key, bytes);
  }
}

function setup(storeName: 'local' | 's3' = 'local') {
  const repo = new InMemoryAttachments();
  const store = new MemoryStore(storeName);
  let now = Date.now();
  const links = new AttachmentLinks(randomBytes(32), '', () => now);
  const members = new Map([
    [ROOM, new Set([ALICE, BOB])],
    [OTHER_ROOM, new Set([BOB])],
  ]);
  const rooms = {
    assertMember: async (userId: string, roomId: string) => {
      if (!members.get(roomId)?.has(userId))
        throw Errors.forbidden('NOT_ROOM_MEMBER', 'not a member');
    },
  } as unknown as RoomsService;
  const cfg = attachmentsConfig({ ATTACHMENT_MAX_BYTES: '1000', DATA_DIR: '/tmp/unused' });
  const svc = new AttachmentUploadsService(repo, store, links, rooms, cfg);
  const linkOf = (url: string) => {
    const q = new URL(url, 'http://x').searchParams;
    return { expires: q.get('expires') ?? undefined, signature: q.get('signature') ?? undefined };
  };
  return {
    svc,
    repo,
    store,
    links,
    linkOf,
    receiver: new MemoryReceiver(store),
    later: (ms: number) => (now += ms),
    cfg,
  };
}

const file = (size = 5) => ({ filename: 'notes.txt', contentType: 'text/plain', size });

describe('AttachmentUploadsService: declaring and uploading', () => {
  it('a member declares a file and PUTs exactly its bytes once, through a signed link', async () => {
    const { svc, repo, links, linkOf, receiver, store } = setup();
    const up = await svc.createUpload(ALICE, ROOM, file());
    expect(up.expiresIn).toBeGreaterThan(0);
    const row = repo.rows.get(up.id)!;
    expect(row.objectKey).not.toContain(up.id); // the key is random, not derived
    const link = linkOf(links.sign('upload', up.id, 60).url);
    await svc.receiveUpload(receiver, up.id, link, Readable.from([Buffer.from('hello')]), '5');
    expect(store.objects.get(row.objectKey)!.toString()).toBe('hello');
    expect(repo.rows.get(up.id)!.uploadedAt).not.toBeNull();
    const again = svc.receiveUpload(receiver, up.id, link, Readable.from(['hello']), '5');
    expect(await codeOf(again)).toBe('ATTACHMENT_ALREADY_UPLOADED');
  });

  it('refuses bad declarations and non-members before anything is stored', async () => {
    const { svc, repo } = setup();
    const cases = settled([
      ['ATTACHMENT_SIZE_INVALID', svc.createUpload(ALICE, ROOM, file(0))],
      ['ATTACHMENT_SIZE_INVALID', svc.createUpload(ALICE, ROOM, file(1001))],
      ['ATTACHMENT_SIZE_INVALID', svc.createUpload(ALICE, ROOM, file(2.5))],
      [
        'ATTACHMENT_FILENAME_INVALID',
        svc.createUpload(ALICE, ROOM, { ...file(), filename: '../x' }),
      ],
      [
        'ATTACHMENT_FILENAME_INVALID',
        svc.createUpload(ALICE, ROOM, { ...file(), filename: 'a\\b' }),
      ],
      [
        'ATTACHMENT_FILENAME_INVALID',
        svc.createUpload(ALICE, ROOM, { ...file(), filename: 'a\u0007' }),
      ],
      [
        'ATTACHMENT_CONTENT_TYPE_INVALID',
        svc.createUpload(ALICE, ROOM, { ...file(), contentType: 'text' }),
      ],
      ['NOT_ROOM_MEMBER', svc.createUpload(MALLORY, ROOM, file())],
      ['NOT_ROOM_MEMBER', svc.createUpload(ALICE, OTHER_ROOM, file())],
    ]);
    for (const [code, p] of cases) expect(await p).toBe(code);
    expect(repo.rows.size).toBe(0);
  });

  it('a wrong length, a forged, expired or other file’s link stores nothing', async () => {
    const { svc, repo, links, linkOf, receiver, store, later } = setup();
    const up = await svc.createUpload(ALICE, ROOM, file());
    const other = await svc.createUpload(ALICE, ROOM, file());
    const good = linkOf(links.sign('upload', up.id, 60).url);
    const body = () => Readable.from([Buffer.from('hello')]);
    const cases = settled([
      ['ATTACHMENT_SIZE_MISMATCH', svc.receiveUpload(receiver, up.id, good, body(), '6')],
      [
        'ATTACHMENT_SIZE_MISMATCH',
        svc.receiveUpload(receiver, up.id, good, Readable.from([Buffer.from('hi')]), undefined),
      ],
      [
        'ATTACHMENT_LINK_INVALID',
        svc.receiveUpload(receiver, up.id, { ...good, signature: 'x'.repeat(43) }, body(), '5'),
      ],
      [
        'ATTACHMENT_LINK_INVALID',
        svc.receiveUpload(
          receiver,
          up.id,
          linkOf(links.sign('upload', other.id, 60).url),
          body(),
          '5',
        ),
      ],
      [
        'ATTACHMENT_LINK_INVALID',
        svc.receiveUpload(
          receiver,
          up.id,
          linkOf(links.sign('download', up.id, 60).url),
          body(),
          '5',
        ),
      ],
      [
        'ATTACHMENT_LINK_INVALID',
        svc.receiveUpload(
          receiver,
          up.id,
          { expires: undefined, signature: undefined },
          body(),
          '5',
        ),
      ],
    ]);
    for (const [code, p] of cases) expect(await p).toBe(code);
    later(10 * 60_000);
    const expired = svc.receiveUpload(receiver, up.id, good, body(), '5');
    expect(await codeOf(expired)).toMatch('ATTACHMENT_LINK_INVALID');
    expect(store.objects.size).toBe(0);
    expect(repo.rows.get(up.id)!.uploadedAt).toBeNull();
  });
});

describe('AttachmentUploadsService: downloading', () => {
  async function uploaded(storeName: 'local' | 's3' = 'local') {
    const s = setup(storeName);
    const up = await s.svc.createUpload(ALICE, ROOM, file());
    s.store.objects.set(s.repo.rows.get(up.id)!.objectKey, Buffer.from('hello'));
    return { ...s, id: up.id };
  }

  it('before a message takes it, only its uploader gets a URL; then every member of its room', async () => {
    const { svc, repo, id, linkOf } = await uploaded();
    expect(await codeOf(svc.freshUrlFor(BOB, id))).toBe('ATTACHMENT_NOT_FOUND');
    const url = await svc.freshUrlFor(ALICE, id);
    const { attachment, download } = await svc.downloadByLink(id, linkOf(url));
    expect(attachment.id).toBe(id);
    expect(download.kind).toBe('stream');
    repo.rows.get(id)!.messageId = randomUUID(); // a message carries it now
    expect(await svc.freshUrlFor(BOB, id)).toMatch(`/api/attachments/${id}/`);
    // Someone outside the room, or an unknown id: the same 404.
    expect(await codeOf(svc.freshUrlFor(MALLORY, id))).toBe('ATTACHMENT_NOT_FOUND');
    expect(await codeOf(svc.freshUrlFor(ALICE, randomUUID()))).toBe('ATTACHMENT_NOT_FOUND');
  });

  it('a download link opens its own file only, and not once expired; a file gone from the store is 404', async () => {
    const { svc, store, repo, id, linkOf, later } = await uploaded();
    const second = await svc.createUpload(ALICE, ROOM, file());
    const link = linkOf(await svc.freshUrlFor(ALICE, id));
    expect(await codeOf(svc.downloadByLink(second.id, link))).toBe('ATTACHMENT_LINK_INVALID');
    store.objects.clear();
    expect(await codeOf(svc.downloadByLink(id, link))).toBe('ATTACHMENT_NOT_FOUND');
    expect(await codeOf(svc.freshUrlFor(ALICE, id))).toBe('ATTACHMENT_NOT_FOUND');
    store.objects.set(repo.rows.get(id)!.objectKey, Buffer.from('hello'));
    later(3600_000 * 24);
    expect(await codeOf(svc.downloadByLink(id, link))).toBe('ATTACHMENT_LINK_INVALID');
  });

  it('on S3 the fresh URL is the store’s own redirect', async () => {
    const { svc, id } = await uploaded('s3');
    expect(await svc.freshUrlFor(ALICE, id)).toMatch(/^https:\/\/s3\.test\//);
  });
});
