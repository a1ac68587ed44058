import { beforeEach, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { DomainError, Errors } from '../../common/errors/domain-error.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import { AttachmentUploadsService } from './attachment-uploads.service.js';
import type { AttachmentsConfig } from './attachments.config.js';
import type { Attachment } from './domain/attachment.js';
import { AttachmentLinks } from './domain/attachment-links.js';
import {
  AttachmentRepository,
  type ClaimRequest,
  type NewAttachment,
} from './domain/attachment.repository.js';
import {
  AttachmentStore,
  type Download,
  type StoredObjectInfo,
  type UploadTarget,
} from './domain/attachment-store.js';
import { MessageAttachments, type AttachmentClaim } from './message-attachments.service.js';

const ROOM = '00000000-0000-4000-8000-000000000001';
const ROOM2 = '00000000-0000-4000-8000-000000000002';
const ME = '00000000-0000-4000-8000-00000000000a';
const YOU = '00000000-0000-4000-8000-00000000000b';
const OUTSIDER = '00000000-0000-4000-8000-00000000000c';

interface Row extends Attachment {
  claim: string | null;
  seq: number | null;
}

/** The port's meaning, in memory. */
class InMemoryAttachments extends AttachmentRepository {
  rows = new Map<string, Row>();
  /** sender:clientMsgId → message id, for re-sends. */
  sends = new Map<string, string>();
  private n = 0;

  create(a: NewAttachment): Promise<Attachment> {
    const id = `00000000-0000-4000-9000-${String(++this.n).padStart(12, '0')}`;
    const row: Row = {
      id,
      ...a,
      createdAt: new Date(),
      uploadedAt: null,
      messageId: null,
      claim: null,
      seq: null,
    };
    this.rows.set(id, row);
    return Promise.resolve(row);
  }
  findById(id: string) {
    return Promise.resolve(this.rows.get(id) ?? null);
  }
  markUploaded(id: string) {
    const r = this.rows.get(id);
    if (!r || r.uploadedAt) return Promise.resolve(false);
    r.uploadedAt = new Date();
    return Promise.resolve(true);
  }
  claim(req: ClaimRequest) {
    const got = req.ids
      .map((id) => this.rows.get(id))
      .filter(
        (r): r is Row =>
          !!r &&
          r.roomId === req.roomId &&
          r.uploaderId === req.senderId &&
          !r.messageId &&
          !r.claim,
      );
    for (const r of got) r.claim = req.token;
    return Promise.resolve(got);
  }
  boundToSend(ids: readonly string[], senderId: string, clientMsgId: string) {
    const messageId = this.sends.get(`${senderId}:${clientMsgId}`);
    return Promise.resolve(
      ids
        .map((id) => this.rows.get(id))
        .filter((r): r is Row => !!r && !!messageId && r.messageId === messageId),
    );
  }
  claimed(token: string) {
    return Promise.resolve([...this.rows.values()].filter((r) => r.claim === token).length);
  }
  /** What the message append does with a send's claim (MessageRepository, in its statement). */
  storeMessage(claim: AttachmentClaim, m: { id: string; roomId: string; seq: number }) {
    for (const r of this.rows.values())
      if (r.claim === claim.token) Object.assign(r, { claim: null, messageId: m.id, seq: m.seq });
  }
  release(token: string) {
    for (const r of this.rows.values()) if (r.claim === token) r.claim = null;
    return Promise.resolve();
  }
  async sweepMessage(roomId: string, seq: number, remove: (keys: string[]) => Promise<void>) {
    const rows = [...this.rows.values()].filter((r) => r.roomId === roomId && r.seq === seq);
    await remove(rows.map((r) => r.objectKey));
    for (const r of rows) this.rows.delete(r.id);
  }
  sweep(): Promise<number> {
    return Promise.resolve(0);
  }
}

class InMemoryStore extends AttachmentStore {
  readonly name = 'memory';
  objects = new Map<string, number>();
  uploadTarget(_id: string, o: StoredObjectInfo): Promise<UploadTarget> {
    return Promise.resolve({ url: `mem://${o.key}`, method: 'PUT', headers: {} });
  }
  sizeOf(key: string) {
    return Promise.resolve(this.objects.get(key) ?? null);
  }
  download(o: StoredObjectInfo): Promise<Download | null> {
    const size = this.objects.get(o.key);
    return Promise.resolve(
      size === undefined ? null : { kind: 'stream', body: Readable.from([]), size },
    );
  }
  remove(keys: readonly string[]) {
    for (const k of keys) this.objects.delete(k);
    return Promise.resolve();
  }
}

const cfg = {
  maxBytes: 1000,
  uploadTtlSec: 900,
  urlTtlSec: 3600,
} as AttachmentsConfig;

function setup() {
  const repo = new InMemoryAttachments();
  const store = new InMemoryStore();
  const members = new Map([
    [ROOM, new Set([ME, YOU])],
    [ROOM2, new Set([ME])],
  ]);
  const rooms = {
    assertMember: (userId: string, roomId: string) =>
      members.get(roomId)?.has(userId)
        ? Promise.resolve()
        : Promise.reject(Errors.forbidden('NOT_ROOM_MEMBER', 'not a member')),
  } as unknown as RoomsService;
  const links = new AttachmentLinks(Buffer.alloc(32, 7), '');
  const uploads = new AttachmentUploadsService(repo, store, links, rooms, cfg);
  const messages = new MessageAttachments(repo, store);
  /** Declared and (unless told otherwise) uploaded with `stored` bytes. */
  const upload = async (
    userId: string,
    roomId: string,
    size = 10,
    stored: number | null = size,
  ) => {
    const { id } = await uploads.createUpload(userId, roomId, {
      filename: 'f.txt',
      contentType: 'text/plain',
      size,
    });
    if (stored !== null) store.objects.set(repo.rows.get(id)!.objectKey, stored);
    return id;
  };
  return { repo, store, uploads, messages, upload };
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return null;
  } catch (e) {
    return e instanceof DomainError ? e.code : String(e);
  }
};

describe('MessageAttachments', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    s = setup();
  });

  it('claims the sender’s complete uploads in their order, then binds them to the message', async () => {
    const a = await s.upload(ME, ROOM, 10);
    const b = await s.upload(ME, ROOM, 20);
    const claim = await s.messages.claim({
      senderId: ME,
      roomId: ROOM,
      ids: [b, a],
      clientMsgId: null,
    });
    expect(claim.summaries).toEqual([
      { id: b, filename: 'f.txt', contentType: 'text/plain', size: 20 },
      { id: a, filename: 'f.txt', contentType: 'text/plain', size: 10 },
    ]);
    // Claimed: another send cannot take them meanwhile.
    expect(
      await code(s.messages.claim({ senderId: ME, roomId: ROOM, ids: [a], clientMsgId: null })),
    ).toBe('ATTACHMENT_INVALID');
    s.repo.storeMessage(claim, { id: 'm1', roomId: ROOM, seq: 1 });
    expect(s.repo.rows.get(a)).toMatchObject({ messageId: 'm1', claim: null });
    expect(
      await code(s.messages.claim({ senderId: ME, roomId: ROOM, ids: [a], clientMsgId: null })),
    ).toBe('ATTACHMENT_INVALID');
  });

  it.each([
    ['someone else’s', async (t: ReturnType<typeof setup>) => t.upload(YOU, ROOM)],
    ['another room’s', async (t: ReturnType<typeof setup>) => t.upload(ME, ROOM2)],
    ['never uploaded', async (t: ReturnType<typeof setup>) => t.upload(ME, ROOM, 10, null)],
    ['shorter than declared', async (t: ReturnType<typeof setup>) => t.upload(ME, ROOM, 10, 9)],
    ['unknown', () => Promise.resolve('00000000-0000-4000-9000-00000000ffff')],
  ])('refuses an upload that is %s, and leaves the good ones free', async (_what, make) => {
    const good = await s.upload(ME, ROOM);
    const bad = await make(s);
    expect(
      await code(
        s.messages.claim({ senderId: ME, roomId: ROOM, ids: [good, bad], clientMsgId: null }),
      ),
    ).toBe('ATTACHMENT_INVALID');
    expect(s.repo.rows.get(good)!.claim).toBeNull();
    expect(
      (await s.messages.claim({ senderId: ME, roomId: ROOM, ids: [good], clientMsgId: null }))
        .token,
    ).not.toBeNull();
  });

  it('a claim that lost an upload to another send (gone stale) is refused, an intact one not', async () => {
    const a = await s.upload(ME, ROOM);
    const b = await s.upload(ME, ROOM);
    const claim = await s.messages.claim({
      senderId: ME,
      roomId: ROOM,
      ids: [a, b],
      clientMsgId: null,
    });
    await expect(s.messages.assertHeld(claim)).resolves.toBeUndefined();
    s.repo.rows.get(b)!.claim = 'another-send';
    expect(await code(s.messages.assertHeld(claim))).toBe('ATTACHMENT_INVALID');
  });

  it('released after a failed send, the uploads can be sent again', async () => {
    const a = await s.upload(ME, ROOM);
    const claim = await s.messages.claim({
      senderId: ME,
      roomId: ROOM,
      ids: [a],
      clientMsgId: 'c1',
    });
    await s.messages.release(claim);
    expect(
      (await s.messages.claim({ senderId: ME, roomId: ROOM, ids: [a], clientMsgId: 'c1' })).token,
    ).not.toBeNull();
  });

  it('a re-send with the same clientMsgId names the uploads its first send took', async () => {
    const a = await s.upload(ME, ROOM);
    const first = await s.messages.claim({
      senderId: ME,
      roomId: ROOM,
      ids: [a],
      clientMsgId: 'c1',
    });
    s.repo.storeMessage(first, { id: 'm1', roomId: ROOM, seq: 1 });
    s.repo.sends.set(`${ME}:c1`, 'm1');
    const again = await s.messages.claim({
      senderId: ME,
      roomId: ROOM,
      ids: [a],
      clientMsgId: 'c1',
    });
    expect(again).toEqual({ summaries: first.summaries, token: null });
    expect(
      await code(s.messages.claim({ senderId: ME, roomId: ROOM, ids: [a], clientMsgId: 'c2' })),
    ).toBe('ATTACHMENT_INVALID');
  });

  it('discarding a deleted message’s attachments deletes their files', async () => {
    const a = await s.upload(ME, ROOM);
    const key = s.repo.rows.get(a)!.objectKey;
    s.repo.storeMessage(
      await s.messages.claim({ senderId: ME, roomId: ROOM, ids: [a], clientMsgId: null }),
      {
        id: 'm1',
        roomId: ROOM,
        seq: 7,
      },
    );
    await s.messages.discard(ROOM, 7);
    expect(s.store.objects.has(key)).toBe(false);
    expect(s.repo.rows.has(a)).toBe(false);
  });
});

describe('AttachmentUploadsService', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    s = setup();
  });

  it('refuses a bad declaration or a non-member before storing anything', async () => {
    for (const [userId, decl, want] of [
      [ME, { filename: 'a', contentType: 'text/plain', size: 1001 }, 'ATTACHMENT_SIZE_INVALID'],
      [ME, { filename: 'a/b', contentType: 'text/plain', size: 1 }, 'ATTACHMENT_FILENAME_INVALID'],
      [OUTSIDER, { filename: 'a', contentType: 'text/plain', size: 1 }, 'NOT_ROOM_MEMBER'],
    ] as const)
      expect(await code(s.uploads.createUpload(userId, ROOM, decl))).toBe(want);
    expect(s.repo.rows.size).toBe(0);
  });

  it('a fresh URL: the uploader before the send, every member after it, nobody else', async () => {
    const a = await s.upload(ME, ROOM);
    expect(await s.uploads.freshUrlFor(ME, a)).toMatch(
      new RegExp(`^/api/attachments/${a}/content\\?`),
    );
    expect(await code(s.uploads.freshUrlFor(YOU, a))).toBe('ATTACHMENT_NOT_FOUND');
    s.repo.storeMessage(
      await s.messages.claim({ senderId: ME, roomId: ROOM, ids: [a], clientMsgId: null }),
      {
        id: 'm1',
        roomId: ROOM,
        seq: 1,
      },
    );
    expect(await s.uploads.freshUrlFor(YOU, a)).toContain(a);
    expect(await code(s.uploads.freshUrlFor(OUTSIDER, a))).toBe('ATTACHMENT_NOT_FOUND');
  });

  it('an upload link works for its attachment only, once', async () => {
    const { id, upload } = await s.uploads.createUpload(ME, ROOM, {
      filename: 'a',
      contentType: 'text/plain',
      size: 3,
    });
    const links = new AttachmentLinks(Buffer.alloc(32, 7), '');
    const good = new URL(links.sign('upload', id, 60).url, 'http://x').searchParams;
    const link = { expires: good.get('expires'), signature: good.get('signature') };
    const received: string[] = [];
    const receiver = {
      receive: (key: string) => {
        received.push(key);
        return Promise.resolve();
      },
    };
    expect(upload.url).toContain('mem://');
    expect(
      await code(
        s.uploads.receiveUpload(receiver, id, { ...link, signature: 'x' }, Readable.from([]), '3'),
      ),
    ).toBe('ATTACHMENT_LINK_INVALID');
    expect(await code(s.uploads.receiveUpload(receiver, id, link, Readable.from([]), '4'))).toBe(
      'ATTACHMENT_SIZE_MISMATCH',
    );
    await s.uploads.receiveUpload(receiver, id, link, Readable.from([]), '3');
    expect(await code(s.uploads.receiveUpload(receiver, id, link, Readable.from([]), '3'))).toBe(
      'ATTACHMENT_ALREADY_UPLOADED',
    );
    expect(received).toHaveLength(1);
  });
});
