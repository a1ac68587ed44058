import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { AuthorizationService } from '../../common/authz/authorization.service.js';
import { Errors } from '../../common/errors/domain-error.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import type { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import type { AttachmentUrls } from '../attachments/attachment-urls.js';
import type {
  AttachmentClaim,
  MessageAttachments,
} from '../attachments/message-attachments.service.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { Message } from './domain/message.js';
import { MAX_DISTINCT_REACTIONS } from './domain/message-rules.js';
import { MessagesService } from './messages.service.js';
import { InMemoryMessages } from './testing/in-memory-messages.fake.js';
import { codeOf, recordingBus, settled } from '../../common/testing/unit-kit.fake.js';

const ROOM = '00000000-0000-4000-8000-000000000001';
const OTHER_ROOM = '00000000-0000-4000-8000-000000000002';
const ALICE = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const OUTSIDER = '00000000-0000-4000-8000-00000000000c';
const ADMIN = '00000000-0000-4000-8000-00000000000d';
const F = '00000000-0000-4000-8000-0000000000f0';

interface Options {
  /** Holders of message.delete.any (roles module or ADMIN_USERNAMES). */
  deleteAny?: string[];
  /** Whether a claimed upload is taken by another send by the time the append runs. */
  claimTaken?: boolean;
}

function setup(opts: Options = {}) {
  const repo = new InMemoryMessages();
  const members = new Map([
    [ROOM, new Set([ALICE, BOB])],
    [OTHER_ROOM, new Set([ALICE])],
  ]);
  const owners = new Map([
    [ROOM, BOB],
    [OTHER_ROOM, ALICE],
  ]);
  const rooms = {
    assertMember: async (userId: string, roomId: string) => {
      if (!members.has(roomId)) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
      if (!members.get(roomId)!.has(userId))
        throw Errors.forbidden('NOT_ROOM_MEMBER', 'not a member of this room');
    },
    findRoom: async (roomId: string) =>
      members.has(roomId) ? { id: roomId, ownerId: owners.get(roomId)! } : null,
  } as unknown as RoomsService;
  const { bus, published } = recordingBus();
  let sent = 0;
  const metrics = { messagesSent: { inc: () => sent++ } } as unknown as ChatMetrics;
  const ext = new ChatExtensions();
  const deleteAny = new Set(opts.deleteAny ?? []);
  const authz = {
    can: async (userId: string, permission: string) =>
      permission === 'message.delete.any' && deleteAny.has(userId),
  } as unknown as AuthorizationService;
  const files = { claimed: [] as string[][], released: 0, discarded: [] as number[] };
  const attachments = {
    claim: async (req: { ids: readonly string[] }): Promise<AttachmentClaim> => {
      files.claimed.push([...req.ids]);
      const summaries = req.ids.map((id) => ({
        id,
        filename: `${id}.txt`,
        contentType: 'text/plain',
        size: 1,
      }));
      return { summaries, token: `claim-${files.claimed.length}` };
    },
    assertHeld: async () => {
      if (opts.claimTaken) throw Errors.validation('ATTACHMENT_INVALID', 'taken by another send');
    },
    release: async () => void files.released++,
    discard: async (_roomId: string, seq: number) => void files.discarded.push(seq),
  } as unknown as MessageAttachments;
  const urls = {
    present: (m: Message) => ({
      ...m,
      attachments: m.attachments.map((a) => ({ ...a, url: `/signed/${a.id}` })),
    }),
  } as unknown as AttachmentUrls;
  const svc = new MessagesService(repo, rooms, bus, metrics, ext, authz, attachments, urls);
  const events = (roomId = ROOM) =>
    published.flatMap((e) =>
      e.type === 'room.event' && e.roomId === roomId ? [[e.event.event, e.event.eventSeq]] : [],
    );
  return { svc, repo, ext, files, events, published, sentCount: () => sent };
}

const caller = (userId: string) => ({ userId });

describe('MessagesService: send', () => {
  it('gives each message the next seq of its room and publishes its message.new once', async () => {
    const { svc, events, sentCount } = setup();
    const a = await svc.send(caller(ALICE), ROOM, { content: 'one' });
    const b = await svc.send(caller(BOB), ROOM, { content: 'two' });
    const c = await svc.send(caller(ALICE), OTHER_ROOM, { content: 'elsewhere' });
    expect([a.message.seq, b.message.seq, c.message.seq]).toEqual([1, 2, 1]);
    expect([a.created, b.created, c.created]).toEqual([true, true, true]);
    expect(events()).toEqual([
      ['message.new', 1],
      ['message.new', 2],
    ]);
    expect(events(OTHER_ROOM)).toEqual([['message.new', 1]]);
    expect(sentCount()).toBe(3);
  });

  it('a repeated clientMsgId answers the first message, stores and publishes nothing', async () => {
    const { svc, repo, events, sentCount } = setup();
    const first = await svc.send(caller(ALICE), ROOM, { content: 'hi', clientMsgId: 'c-1' });
    const again = await svc.send(caller(ALICE), ROOM, { content: 'hi', clientMsgId: 'c-1' });
    expect(again).toEqual({ message: first.message, created: false });
    expect(repo.byRoom.get(ROOM)).toHaveLength(1);
    expect(events()).toEqual([['message.new', 1]]);
    expect(sentCount()).toBe(1);
  });

  it('a clientMsgId already used in another room is a conflict, and its uploads are freed', async () => {
    const { svc, events, files } = setup();
    await svc.send(caller(ALICE), OTHER_ROOM, { content: 'x', clientMsgId: 'c-2' });
    const res = svc.send(caller(ALICE), ROOM, {
      content: 'x',
      clientMsgId: 'c-2',
      attachmentIds: ['00000000-0000-4000-8000-0000000000f1'],
    });
    expect(await codeOf(res)).toBe('CLIENT_MSG_ID_CONFLICT');
    expect(files.released).toBe(1);
    expect(events()).toEqual([]);
  });

  it('refuses bad input and non-members before anything is stored', async () => {
    const { svc, repo, events } = setup();
    const cases = settled([
      ['VALIDATION_FAILED', svc.send(caller(ALICE), ROOM, { content: '   ' })],
      ['VALIDATION_FAILED', svc.send(caller(ALICE), ROOM, { content: 'x'.repeat(4001) })],
      ['VALIDATION_FAILED', svc.send(caller(ALICE), ROOM, { content: 'x', clientMsgId: 'a b' })],
      [
        'ATTACHMENT_INVALID',
        svc.send(caller(ALICE), ROOM, { content: 'x', attachmentIds: [F, F] }),
      ],
      [
        'ATTACHMENT_INVALID',
        svc.send(caller(ALICE), ROOM, {
          content: 'x',
          attachmentIds: Array.from({ length: 11 }, (_, i) => `${F.slice(0, -2)}${10 + i}`),
        }),
      ],
      ['NOT_ROOM_MEMBER', svc.send(caller(OUTSIDER), ROOM, { content: 'x' })],
      ['ROOM_NOT_FOUND', svc.send(caller(ALICE), 'no-such-room', { content: 'x' })],
      // Acting for someone needs the proxy module's policy.
      ['VALIDATION_FAILED', svc.send(caller(ALICE), ROOM, { content: 'x', onBehalfOf: BOB })],
    ]);
    for (const [code, res] of cases) expect(await res).toBe(code);
    expect(repo.appends).toBe(0);
    expect(events()).toEqual([]);
  });

  it('content of exactly 4,000 characters (code points) is taken', async () => {
    const { svc } = setup();
    const { message } = await svc.send(caller(ALICE), ROOM, { content: '😀'.repeat(4000) });
    expect(message.seq).toBe(1);
  });

  it('runs the modules’ send policies first: one may refuse, one may change the author', async () => {
    const { svc, ext, repo } = setup();
    ext.addSendPolicy({
      name: 'mute',
      check: (a) => {
        if (a.actorId === BOB) throw Errors.forbidden('MUTED', 'muted');
      },
    });
    ext.addSendPolicy({
      name: 'proxy',
      handlesOnBehalfOf: true,
      check: (a, author) => (a.onBehalfOf ? { userId: a.onBehalfOf, sentBy: a.actorId } : author),
    });
    expect(await codeOf(svc.send(caller(BOB), ROOM, { content: 'x' }))).toBe('MUTED');
    const { message } = await svc.send(caller(ALICE), ROOM, { content: 'x', onBehalfOf: BOB });
    expect({ userId: message.userId, sentBy: message.sentBy }).toEqual({
      userId: BOB,
      sentBy: ALICE,
    });
    // The author the policies settle on must be a member: OUTSIDER is not.
    expect(
      await codeOf(svc.send(caller(ALICE), ROOM, { content: 'x', onBehalfOf: OUTSIDER })),
    ).toBe('NOT_ROOM_MEMBER');
    expect(repo.byRoom.get(ROOM)).toHaveLength(1);
  });

  it('a reply attaches to a top-level message of the same room only', async () => {
    const { svc, repo } = setup();
    const root = (await svc.send(caller(ALICE), ROOM, { content: 'root' })).message;
    const reply = (await svc.send(caller(BOB), ROOM, { content: 're', threadRootId: root.id }))
      .message;
    expect(reply.threadRootId).toBe(root.id);
    const elsewhere = (await svc.send(caller(ALICE), OTHER_ROOM, { content: 'o' })).message;
    for (const threadRootId of [reply.id, elsewhere.id, 'm404'])
      expect(await codeOf(svc.send(caller(BOB), ROOM, { content: 'x', threadRootId }))).toBe(
        'THREAD_ROOT_INVALID',
      );
    expect(repo.byRoom.get(ROOM)).toHaveLength(2);
  });

  it('attachments: claimed before the append, carried with signed URLs, freed when the room is gone', async () => {
    const { svc, repo, files, events } = setup();
    const id = '00000000-0000-4000-8000-0000000000f2';
    const { message } = await svc.send(caller(ALICE), ROOM, { content: 'f', attachmentIds: [id] });
    expect(files.claimed).toEqual([[id]]);
    expect(message.attachments).toEqual([expect.objectContaining({ id, url: `/signed/${id}` })]);
    expect(files.released).toBe(0);

    repo.gone.add(ROOM); // deleted between the membership check and the append
    const res = svc.send(caller(ALICE), ROOM, { content: 'g', attachmentIds: [id] });
    expect(await codeOf(res)).toBe('ROOM_NOT_FOUND');
    expect(files.released).toBe(1);
    expect(events()).toEqual([['message.new', 1]]);
  });

  it('an append refused because another send took an upload says so, and frees the claim', async () => {
    const { svc, repo, files } = setup({ claimTaken: true });
    repo.gone.add(ROOM); // the append stores nothing (here: as when the claim no longer holds)
    const res = svc.send(caller(ALICE), ROOM, {
      content: 'f',
      attachmentIds: ['00000000-0000-4000-8000-0000000000f3'],
    });
    expect(await codeOf(res)).toBe('ATTACHMENT_INVALID');
    expect(files.released).toBe(1);
  });

  it('tells the message observers once a new message is stored, and survives one that fails', async () => {
    const { svc, ext } = setup();
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const seen: string[] = [];
    ext.addMessageObserver({
      name: 'broken',
      stored: () => {
        throw new Error('webhook down');
      },
    });
    ext.addMessageObserver({
      name: 'audit',
      stored: (m, a) => void seen.push(`${m.seq}:${a.via}`),
    });
    await svc.send(caller(ALICE), ROOM, { content: 'x', clientMsgId: 'o-1', via: 'ws' });
    await svc.send(caller(ALICE), ROOM, { content: 'x', clientMsgId: 'o-1', via: 'ws' });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['1:ws']); // the repeat stored nothing: no second notice
    expect(logged.mock.calls).toEqual([
      [{ err: 'Error: webhook down', observer: 'broken' }, 'message observer failed'],
    ]);
    logged.mockRestore();
  });
});

describe('MessagesService: edit, delete, react', () => {
  async function withMessage(opts?: Options) {
    const s = setup(opts);
    const { message } = await s.svc.send(caller(ALICE), ROOM, { content: 'draft' });
    return { ...s, message };
  }

  it('the author edits their message: message.edited; anyone else changes nothing', async () => {
    const { svc, message, events, repo } = await withMessage();
    expect(await codeOf(svc.edit(caller(BOB), ROOM, message.id, 'mine now'))).toBe(
      'NOT_MESSAGE_AUTHOR',
    );
    expect(await codeOf(svc.edit(caller(ALICE), ROOM, message.id, ''))).toBe('VALIDATION_FAILED');
    expect(await codeOf(svc.edit(caller(ALICE), OTHER_ROOM, message.id, 'x'))).toBe(
      'MESSAGE_NOT_FOUND',
    );
    const edited = await svc.edit(caller(ALICE), ROOM, message.id, 'final');
    expect(edited).toMatchObject({ content: 'final', seq: 1 });
    expect(edited.editedAt).not.toBeNull();
    expect(events()).toEqual([
      ['message.new', 1],
      ['message.edited', 2],
    ]);
    expect(repo.byRoom.get(ROOM)![0].content).toBe('final');
  });

  it('delete: a tombstone and message.deleted once; its files go; deleting again adds nothing', async () => {
    const { svc, events, files } = setup();
    const id = '00000000-0000-4000-8000-0000000000f4';
    const { message } = await svc.send(caller(ALICE), ROOM, { content: 'f', attachmentIds: [id] });
    await svc.delete(caller(ALICE), ROOM, message.id);
    await svc.delete(caller(ALICE), ROOM, message.id);
    expect(events()).toEqual([
      ['message.new', 1],
      ['message.deleted', 2],
    ]);
    expect(files.discarded).toEqual([1]);
    expect(await codeOf(svc.edit(caller(ALICE), ROOM, message.id, 'back'))).toBe('MESSAGE_DELETED');
  });

  it('who may delete: the author, the room owner, a holder of message.delete.any even outside', async () => {
    const { svc, events } = setup({ deleteAny: [ADMIN] });
    const mk = async (content: string) =>
      (await svc.send(caller(ALICE), ROOM, { content })).message.id;
    const [a, b, c] = [await mk('a'), await mk('b'), await mk('c')];
    // BOB owns the room; OUTSIDER neither belongs nor holds the permission.
    expect(await codeOf(svc.delete(caller(OUTSIDER), ROOM, a))).toBe('NOT_ROOM_MEMBER');
    await svc.delete(caller(BOB), ROOM, a);
    await svc.delete(caller(ADMIN), ROOM, b);
    await svc.delete(caller(ALICE), ROOM, c);
    expect(events().map(([e]) => e)).toEqual([
      'message.new',
      'message.new',
      'message.new',
      'message.deleted',
      'message.deleted',
      'message.deleted',
    ]);
    expect(await codeOf(svc.delete(caller(ADMIN), 'no-such-room', a))).toBe('ROOM_NOT_FOUND');
  });

  it('a member of the room who is not the author may not delete', async () => {
    const s = setup();
    const { message } = await s.svc.send(caller(BOB), ROOM, { content: 'bob’s' });
    // ALICE is a member but neither the author nor the owner (BOB owns ROOM).
    expect(await codeOf(s.svc.delete(caller(ALICE), ROOM, message.id))).toBe('NOT_MESSAGE_AUTHOR');
    expect(s.events()).toEqual([['message.new', 1]]);
  });

  it('reactions: a repeat changes nothing, a removal is an event, emoji checked, a tombstone refused', async () => {
    const { svc, message, events } = await withMessage();
    await svc.react(caller(BOB), ROOM, message.id, '👍', true);
    await svc.react(caller(BOB), ROOM, message.id, '👍', true);
    await svc.react(caller(ALICE), ROOM, message.id, ':thumbsup:', true);
    await svc.react(caller(BOB), ROOM, message.id, '👍', false);
    await svc.react(caller(BOB), ROOM, message.id, '👍', false);
    expect(events().map(([e]) => e)).toEqual([
      'message.new',
      'reaction.added',
      'reaction.added',
      'reaction.removed',
    ]);
    expect(await codeOf(svc.react(caller(BOB), ROOM, message.id, 'not an emoji', true))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await codeOf(svc.react(caller(OUTSIDER), ROOM, message.id, '👍', true))).toBe(
      'NOT_ROOM_MEMBER',
    );
    await svc.delete(caller(ALICE), ROOM, message.id);
    expect(await codeOf(svc.react(caller(BOB), ROOM, message.id, '🎉', true))).toBe(
      'MESSAGE_DELETED',
    );
  });

  it('the 21st distinct emoji is refused; one already there still gains a user', async () => {
    const { svc, message, events } = await withMessage();
    const emojis = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗'];
    expect(emojis).toHaveLength(MAX_DISTINCT_REACTIONS);
    for (const e of emojis) await svc.react(caller(ALICE), ROOM, message.id, e, true);
    expect(await codeOf(svc.react(caller(ALICE), ROOM, message.id, '🤩', true))).toBe(
      'REACTION_LIMIT',
    );
    await svc.react(caller(BOB), ROOM, message.id, emojis[0], true);
    expect(events()).toHaveLength(1 + MAX_DISTINCT_REACTIONS + 1);
  });
});

describe('MessagesService: history', () => {
  it('pages after a cursor with the next cursor, and answers RESYNC_REQUIRED below what is kept', async () => {
    const { svc, repo } = setup();
    for (let i = 1; i <= 5; i++) await svc.send(caller(ALICE), ROOM, { content: `m${i}` });
    const page = await svc.history(
      caller(BOB),
      ROOM,
      MessagesService.historyQuery({ afterSeq: 1, limit: 2 }),
    );
    expect((JSON.parse(page.itemsJson) as Message[]).map((m) => m.seq)).toEqual([2, 3]);
    expect(page.nextCursor).toBe('3');
    const latest = await svc.history(caller(BOB), ROOM, MessagesService.historyQuery({ limit: 2 }));
    expect((JSON.parse(latest.itemsJson) as Message[]).map((m) => m.seq)).toEqual([4, 5]);
    expect(latest.nextCursor).toBe('4');

    repo.retainedFrom.set(ROOM, 4); // retention removed seq 1-3
    expect(
      await codeOf(svc.history(caller(BOB), ROOM, MessagesService.historyQuery({ afterSeq: 1 }))),
    ).toBe('RESYNC_REQUIRED');
    // Right at the edge of what is kept there is no hole.
    const edge = await svc.history(
      caller(BOB),
      ROOM,
      MessagesService.historyQuery({ afterSeq: 3 }),
    );
    expect((JSON.parse(edge.itemsJson) as Message[]).map((m) => m.seq)).toEqual([4, 5]);
    expect(
      await codeOf(svc.history(caller(OUTSIDER), ROOM, MessagesService.historyQuery({}))),
    ).toBe('NOT_ROOM_MEMBER');
  });

  it('refuses afterSeq with beforeSeq', () => {
    expect(() => MessagesService.historyQuery({ afterSeq: 1, beforeSeq: 5 })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});
