import { beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DomainError, Errors } from '../../common/errors/domain-error.js';
import type { Message } from '../messages/domain/message.js';
import type { MessagesService, SendInput } from '../messages/messages.service.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { ScheduledMessage } from './domain/scheduled-message.js';
import {
  ScheduledMessageRepository,
  type NewScheduledMessage,
  type ScheduledChange,
} from './domain/scheduled-message.repository.js';
import { ScheduledMessagesService } from './scheduled-messages.service.js';

/** The port in memory, with a clock the test moves. */
class InMemoryScheduledRepository extends ScheduledMessageRepository {
  readonly rows = new Map<
    string,
    ScheduledMessage & { claimedBy: string | null; claimedUntil: number }
  >();
  now = Date.parse('2030-01-01T00:00:00.000Z');
  failNextMark = false;

  create(input: NewScheduledMessage): Promise<ScheduledMessage> {
    const at = new Date(this.now);
    const row = {
      ...input,
      id: randomUUID(),
      status: 'pending' as const,
      attempts: 0,
      messageId: null,
      messageSeq: null,
      failureCode: null,
      failureReason: null,
      finishedAt: null,
      createdAt: at,
      updatedAt: at,
      claimedBy: null,
      claimedUntil: 0,
    };
    this.rows.set(row.id, row);
    return Promise.resolve({ ...row });
  }
  findOwn(id: string, userId: string): Promise<ScheduledMessage | null> {
    const r = this.rows.get(id);
    return Promise.resolve(r && r.userId === userId ? { ...r } : null);
  }
  listOwn(userId: string, limit: number, after: [string, string] | null) {
    const mine = [...this.rows.values()]
      .filter((r) => r.userId === userId)
      .sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime() || a.id.localeCompare(b.id))
      .filter(
        (r) =>
          !after ||
          r.sendAt.toISOString() > after[0] ||
          (r.sendAt.toISOString() === after[0] && r.id > after[1]),
      );
    const items = mine.slice(0, limit);
    const last = items[items.length - 1];
    return Promise.resolve({
      items,
      next: mine.length > limit ? ([last.sendAt.toISOString(), last.id] as [string, string]) : null,
    });
  }
  change(id: string, userId: string, decide: (c: ScheduledMessage) => ScheduledChange) {
    const r = this.rows.get(id);
    if (!r || r.userId !== userId) return Promise.resolve(null);
    const c = decide({ ...r });
    if (c.kind === 'delete') {
      this.rows.delete(id);
      return Promise.resolve({ ...r });
    }
    Object.assign(r, c.patch, { updatedAt: new Date(this.now) });
    return Promise.resolve({ ...r });
  }
  authorStatus = new Map<string, string>();
  claimDue(limit: number, leaseMs: number, holder: string) {
    const due = [...this.rows.values()]
      .filter(
        (r) =>
          r.status === 'pending' && r.sendAt.getTime() <= this.now && r.claimedUntil < this.now,
      )
      .sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime())
      .slice(0, limit);
    for (const r of due)
      Object.assign(r, {
        claimedBy: holder,
        claimedUntil: this.now + leaseMs,
        attempts: r.attempts + 1,
      });
    return Promise.resolve(
      due.map((r) => ({ ...r, authorStatus: this.authorStatus.get(r.userId) ?? 'active' })),
    );
  }
  markSent(id: string, messageId: string, messageSeq: number): Promise<void> {
    if (this.failNextMark) {
      this.failNextMark = false;
      return Promise.reject(new Error('connection terminated'));
    }
    const r = this.rows.get(id);
    if (r?.status === 'pending')
      Object.assign(r, { status: 'sent', messageId, messageSeq, finishedAt: new Date(this.now) });
    return Promise.resolve();
  }
  sentMessage: (id: string) => Message | undefined = () => undefined;
  markFailed(id: string, _clientMsgId: string, code: string, reason: string) {
    const r = this.rows.get(id);
    if (r?.status !== 'pending') return Promise.resolve(null);
    const m = this.sentMessage(id);
    if (m) Object.assign(r, { status: 'sent', messageId: m.id, messageSeq: m.seq });
    else Object.assign(r, { status: 'failed', failureCode: code, failureReason: reason });
    r.finishedAt = new Date(this.now);
    return Promise.resolve(r.status as 'sent' | 'failed');
  }
  release(id: string, delayMs: number): Promise<void> {
    const r = this.rows.get(id);
    if (r) r.claimedUntil = this.now + delayMs;
    return Promise.resolve();
  }
}

const ROOM = '00000000-0000-4000-8000-0000000000a1';
const ALICE = '00000000-0000-4000-8000-0000000000b1';
const BOB = '00000000-0000-4000-8000-0000000000b2';

function setup() {
  const repo = new InMemoryScheduledRepository();
  const members = new Set([`${ROOM}:${ALICE}`, `${ROOM}:${BOB}`]);
  const stored: Message[] = [];
  let sendError: Error | null = null;
  const rooms = {
    assertMember: (userId: string, roomId: string) =>
      members.has(`${roomId}:${userId}`)
        ? Promise.resolve()
        : Promise.reject(Errors.forbidden('NOT_ROOM_MEMBER', 'not a member of this room')),
  } as unknown as RoomsService;
  const messages = {
    // The send path's dedupe: one message per (sender, clientMsgId).
    send: async (caller: { userId: string }, roomId: string, input: SendInput) => {
      await rooms.assertMember(caller.userId, roomId);
      if (sendError) throw sendError;
      const known = stored.find(
        (m) => m.userId === caller.userId && m.clientMsgId === input.clientMsgId,
      );
      if (known) return { message: known, created: false };
      const message = {
        id: randomUUID(),
        roomId,
        userId: caller.userId,
        seq: stored.length + 1,
        content: input.content,
        clientMsgId: input.clientMsgId ?? null,
        threadRootId: input.threadRootId ?? null,
      } as Message;
      stored.push(message);
      return { message, created: true };
    },
    findMessage: (roomId: string, id: string) =>
      Promise.resolve(stored.find((m) => m.roomId === roomId && m.id === id) ?? null),
  } as unknown as MessagesService;
  repo.sentMessage = (id) => stored.find((m) => m.clientMsgId === `scheduled/${id}`);
  const svc = new ScheduledMessagesService(repo, rooms, messages);
  const now = () => new Date(repo.now);
  const ahead = (ms: number) => new Date(repo.now + ms).toISOString();
  const round = (holder = 'i1') => svc.sendDue(holder, { batch: 10, leaseMs: 5000 });
  return {
    repo,
    svc,
    stored,
    members,
    now,
    ahead,
    round,
    failSends: (err: Error | null) => (sendError = err),
  };
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return null;
  } catch (err) {
    return err instanceof DomainError ? `${err.kind}:${err.code}` : String(err);
  }
};

describe('ScheduledMessagesService', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('schedules for a member, lists, changes and cancels it', async () => {
    const s = await t.svc.schedule(
      { userId: ALICE },
      ROOM,
      { content: 'hi', sendAt: t.ahead(60_000) },
      t.now(),
    );
    expect(s).toMatchObject({ roomId: ROOM, userId: ALICE, content: 'hi', status: 'pending' });
    expect((await t.svc.list({ userId: ALICE })).items.map((i) => i.id)).toEqual([s.id]);
    expect((await t.svc.list({ userId: BOB })).items).toEqual([]);
    const changed = await t.svc.update(
      { userId: ALICE },
      s.id,
      { content: 'hello', sendAt: t.ahead(120_000) },
      t.now(),
    );
    expect(changed).toMatchObject({ content: 'hello', sendAt: new Date(t.ahead(120_000)) });
    await t.svc.cancel({ userId: ALICE }, s.id);
    expect(t.repo.rows.size).toBe(0);
  });

  it('refuses bad input before storing anything', async () => {
    const bad: [Parameters<typeof t.svc.schedule>[2], string][] = [
      [{ content: 'x', sendAt: t.ahead(-1000) }, 'validation:SEND_AT_OUT_OF_RANGE'],
      [{ content: 'x', sendAt: t.ahead(5000) }, 'validation:SEND_AT_OUT_OF_RANGE'],
      [{ content: 'x', sendAt: t.ahead(400 * 24 * 3600_000) }, 'validation:SEND_AT_OUT_OF_RANGE'],
      [{ content: 'x', sendAt: 'soon' }, 'validation:VALIDATION_FAILED'],
      [{ content: '   ', sendAt: t.ahead(60_000) }, 'validation:VALIDATION_FAILED'],
      [{ content: 'x'.repeat(4001), sendAt: t.ahead(60_000) }, 'validation:VALIDATION_FAILED'],
      [
        { content: 'x', sendAt: t.ahead(60_000), threadRootId: randomUUID() },
        'validation:THREAD_ROOT_INVALID',
      ],
    ];
    for (const [input, code] of bad)
      expect(await codeOf(t.svc.schedule({ userId: ALICE }, ROOM, input, t.now()))).toBe(code);
    const outsider = '00000000-0000-4000-8000-0000000000c1';
    expect(
      await codeOf(
        t.svc.schedule(
          { userId: outsider },
          ROOM,
          { content: 'x', sendAt: t.ahead(60_000) },
          t.now(),
        ),
      ),
    ).toBe('forbidden:NOT_ROOM_MEMBER');
    expect(t.repo.rows.size).toBe(0);
  });

  it("answers someone else's id as unknown", async () => {
    const s = await t.svc.schedule(
      { userId: ALICE },
      ROOM,
      { content: 'hi', sendAt: t.ahead(60_000) },
      t.now(),
    );
    expect(await codeOf(t.svc.update({ userId: BOB }, s.id, { content: 'x' }, t.now()))).toBe(
      'not_found:SCHEDULED_MESSAGE_NOT_FOUND',
    );
    expect(await codeOf(t.svc.cancel({ userId: BOB }, s.id))).toBe(
      'not_found:SCHEDULED_MESSAGE_NOT_FOUND',
    );
    expect(t.repo.rows.get(s.id)?.content).toBe('hi');
  });

  it('sends a due row once, as its author, through the send path, then refuses changes with 409', async () => {
    const s = await t.svc.schedule(
      { userId: ALICE },
      ROOM,
      { content: 'later', sendAt: t.ahead(10_000) },
      t.now(),
    );
    expect(await t.round()).toEqual([]); // not due yet
    t.repo.now += 10_000;
    expect(await t.round()).toEqual(['sent']);
    expect(await t.round()).toEqual([]);
    expect(t.stored).toEqual([
      expect.objectContaining({
        userId: ALICE,
        content: 'later',
        clientMsgId: `scheduled/${s.id}`,
      }),
    ]);
    expect(t.repo.rows.get(s.id)).toMatchObject({
      status: 'sent',
      messageId: t.stored[0].id,
      messageSeq: 1,
    });
    expect(await codeOf(t.svc.update({ userId: ALICE }, s.id, { content: 'x' }, t.now()))).toBe(
      'conflict:SCHEDULED_MESSAGE_SENT',
    );
    expect(await codeOf(t.svc.cancel({ userId: ALICE }, s.id))).toBe(
      'conflict:SCHEDULED_MESSAGE_SENT',
    );
  });

  it('fails the row when its author left the room, storing no message', async () => {
    const s = await t.svc.schedule(
      { userId: BOB },
      ROOM,
      { content: 'bye', sendAt: t.ahead(10_000) },
      t.now(),
    );
    t.members.delete(`${ROOM}:${BOB}`);
    t.repo.now += 10_000;
    expect(await t.round()).toEqual(['failed']);
    expect(t.stored).toEqual([]);
    expect(t.repo.rows.get(s.id)).toMatchObject({
      status: 'failed',
      failureCode: 'NOT_ROOM_MEMBER',
    });
    expect(await codeOf(t.svc.cancel({ userId: BOB }, s.id))).toBe(
      'conflict:SCHEDULED_MESSAGE_FAILED',
    );
  });

  it('retries a passing error later, and a crash after the append stores no second message', async () => {
    const s = await t.svc.schedule(
      { userId: ALICE },
      ROOM,
      { content: 'once', sendAt: t.ahead(10_000) },
      t.now(),
    );
    t.repo.now += 10_000;
    t.failSends(new Error('connection terminated'));
    expect(await t.round()).toEqual(['retry']);
    expect(await codeOf(t.svc.cancel({ userId: ALICE }, s.id))).toBe(
      'conflict:SCHEDULED_MESSAGE_SENDING',
    );
    t.failSends(null);
    expect(await t.round()).toEqual([]); // backing off
    t.repo.now += 501;
    t.repo.failNextMark = true; // stored, then the mark is lost
    expect(await t.round()).toEqual(['retry']);
    expect(t.stored).toHaveLength(1);
    t.repo.now += 1001;
    expect(await t.round('i2')).toEqual(['sent']);
    expect(t.stored).toHaveLength(1);
    expect(t.repo.rows.get(s.id)).toMatchObject({ status: 'sent', messageId: t.stored[0].id });
  });

  it("a banned or disabled author's scheduled message fails and stores nothing", async () => {
    const s = await t.svc.schedule(
      { userId: BOB },
      ROOM,
      { content: 'x', sendAt: t.ahead(10_000) },
      t.now(),
    );
    t.repo.authorStatus.set(BOB, 'banned');
    t.repo.now += 10_000;
    expect(await t.round()).toEqual(['failed']);
    expect(t.stored).toEqual([]);
    expect(t.repo.rows.get(s.id)).toMatchObject({ status: 'failed', failureCode: 'USER_DISABLED' });
  });

  it("takes over a dead instance's claim only after its lease", async () => {
    await t.svc.schedule(
      { userId: ALICE },
      ROOM,
      { content: 'x', sendAt: t.ahead(10_000) },
      t.now(),
    );
    t.repo.now += 10_000;
    await t.repo.claimDue(10, 5000, 'dead'); // claimed, then the instance died
    expect(await t.round('i2')).toEqual([]);
    t.repo.now += 5001;
    expect(await t.round('i2')).toEqual(['sent']);
    expect(t.stored).toHaveLength(1);
  });

  it('a refusal after the message was stored records it as sent, not failed', async () => {
    const s = await t.svc.schedule(
      { userId: BOB },
      ROOM,
      { content: 'x', sendAt: t.ahead(10_000) },
      t.now(),
    );
    t.repo.now += 10_000;
    t.repo.failNextMark = true;
    expect(await t.round()).toEqual(['retry']); // stored; the mark was lost
    t.members.delete(`${ROOM}:${BOB}`); // and then the author left
    t.repo.now += 5000;
    expect(await t.round()).toEqual(['sent']);
    expect(t.repo.rows.get(s.id)).toMatchObject({ status: 'sent', messageId: t.stored[0].id });
  });
});
