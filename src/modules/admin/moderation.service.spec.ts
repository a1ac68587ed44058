import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AuthorizationService } from '../../common/authz/authorization.service.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import type { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import type { AttachmentUrls } from '../attachments/attachment-urls.js';
import type { MessageAttachments } from '../attachments/message-attachments.service.js';
import { MessagesService } from '../messages/messages.service.js';
import { InMemoryMessages } from '../messages/testing/in-memory-messages.fake.js';
import { InMemoryRooms, roomsServiceOn } from '../rooms/testing/in-memory-rooms.fake.js';
import { Errors } from '../../common/errors/domain-error.js';
import type { UsersService } from '../users/users.service.js';
import { AuditService } from './audit.service.js';
import { AuditRepository, MuteRepository } from './domain/admin.repository.js';
import type { NewAuditEntry } from './domain/audit.js';
import type { ActiveMute } from './domain/mute-index.js';
import type { Mute } from './domain/sanction.js';
import { ModerationService } from './moderation.service.js';
import { MuteEnforcer } from './mute-enforcer.js';
import { codeOf, recordingBus } from '../../common/testing/unit-kit.fake.js';

const OWNER = { userId: randomUUID() as string, username: 'owner' };
const ALICE = { userId: randomUUID() as string, username: 'alice' };
const MOD = { userId: randomUUID() as string, username: 'mod' }; // a moderator, in no room

/** Mutes and the audit trail in memory; a mute and its audit row are written together. */
class InMemoryModeration extends MuteRepository {
  readonly mutes = new Map<string, Mute>();
  readonly audit: NewAuditEntry[] = [];
  loads = 0;
  upsert(m: Omit<Mute, 'createdAt'>, audit: NewAuditEntry): Promise<Mute> {
    const mute = { ...m, createdAt: new Date() };
    this.mutes.set(`${m.roomId}/${m.userId}`, mute);
    this.audit.push(audit);
    return Promise.resolve(mute);
  }
  remove(roomId: string, userId: string, audit: NewAuditEntry): Promise<boolean> {
    const gone = this.mutes.delete(`${roomId}/${userId}`);
    if (gone) this.audit.push(audit);
    return Promise.resolve(gone);
  }
  active(): Promise<ActiveMute[]> {
    this.loads++;
    const now = Date.now();
    return Promise.resolve(
      [...this.mutes.values()]
        .filter((m) => m.until.getTime() > now)
        .map((m) => ({ roomId: m.roomId, userId: m.userId, untilMs: m.until.getTime() })),
    );
  }
  removeExpired(): Promise<number> {
    return Promise.resolve(0);
  }
}

async function setup() {
  const roomRepo = new InMemoryRooms();
  const messageRepo = new InMemoryMessages();
  const { bus, published } = recordingBus();
  const ext = new ChatExtensions();
  const authz = { can: async () => false } as unknown as AuthorizationService;
  const rooms = roomsServiceOn(roomRepo, { bus, ext, authz });
  const messages = new MessagesService(
    messageRepo,
    rooms,
    bus,
    { messagesSent: { inc: () => undefined } } as unknown as ChatMetrics,
    ext,
    authz,
    { discard: async () => undefined } as unknown as MessageAttachments,
    { present: <M>(m: M) => m } as unknown as AttachmentUrls,
  );
  const mod = new InMemoryModeration();
  const enforcer = new MuteEnforcer(ext, mod);
  enforcer.onModuleInit(); // registers itself as a send policy
  const auditRepo = {
    append: async (e: NewAuditEntry) => void mod.audit.push(e),
  } as unknown as AuditRepository;
  const known = new Set([OWNER.userId, ALICE.userId, MOD.userId]);
  const users = {
    getById: async (id: string) => {
      if (!known.has(id)) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
      return { id };
    },
  } as unknown as UsersService;
  const svc = new ModerationService(
    rooms,
    messages,
    users,
    mod,
    enforcer,
    new AuditService(auditRepo),
  );
  const room = await rooms.create(OWNER, { name: 'r', isPrivate: false });
  await rooms.join(ALICE, room.id, undefined);
  const events = () =>
    published.flatMap((e) =>
      e.type === 'room.event' && e.roomId === room.id ? [e.event.event] : [],
    );
  return { svc, rooms, messages, mod, roomId: room.id, events };
}

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

describe('ModerationService', () => {
  it('a mute stops the user’s sends at once, on this instance; unmuting lets them send at once', async () => {
    const { svc, messages, mod, roomId } = await setup();
    await messages.send(ALICE, roomId, { content: 'before' });
    await svc.mute(MOD.userId, roomId, {
      userId: ALICE.userId,
      until: inAnHour(),
      reason: ' spam ',
    });
    expect(await codeOf(messages.send(ALICE, roomId, { content: 'during' }))).toBe('MUTED');
    await messages.send(OWNER, roomId, { content: 'others still talk' });
    await svc.unmute(MOD.userId, roomId, ALICE.userId, undefined);
    await messages.send(ALICE, roomId, { content: 'after' });
    expect(mod.audit.map((a) => [a.action, a.reason])).toEqual([
      ['member.mute', 'spam'],
      ['member.unmute', null],
    ]);
    expect(await codeOf(svc.unmute(MOD.userId, roomId, ALICE.userId, undefined))).toBe(
      'MUTE_NOT_FOUND',
    );
  });

  it('refuses a bad mute before storing it: a past or far time, oneself, an unknown user or room', async () => {
    const { svc, mod, roomId } = await setup();
    const mute = (userId: string, until: string, room = roomId) =>
      codeOf(svc.mute(MOD.userId, room, { userId, until }));
    expect(await mute(ALICE.userId, new Date(Date.now() - 1000).toISOString())).toBe(
      'VALIDATION_FAILED',
    );
    expect(await mute(ALICE.userId, new Date(Date.now() + 400 * 86_400_000).toISOString())).toBe(
      'VALIDATION_FAILED',
    );
    expect(await mute(ALICE.userId, 'tomorrow')).toBe('VALIDATION_FAILED');
    expect(await mute(MOD.userId, inAnHour())).toBe('ADMIN_SELF_ACTION');
    expect(await mute(randomUUID(), inAnHour())).toBe('USER_NOT_FOUND');
    expect(await mute(ALICE.userId, inAnHour(), randomUUID())).toBe('ROOM_NOT_FOUND');
    expect(mod.mutes.size).toBe(0);
    expect(mod.audit).toEqual([]);
  });

  it('deletes any message as a tombstone once, with one audit row; again answers the tombstone', async () => {
    const { svc, messages, mod, roomId, events } = await setup();
    const { message } = await messages.send(ALICE, roomId, { content: 'rude' });
    const t = await svc.deleteMessage(MOD.userId, roomId, message.id, 'rude', 'rest');
    expect(t).toMatchObject({ id: message.id, seq: message.seq, deleted: true, content: '' });
    const again = await svc.deleteMessage(MOD.userId, roomId, message.id, 'rude', 'ws');
    expect(again.deleted).toBe(true);
    expect(events()).toEqual(['member.joined', 'message.new', 'message.deleted']);
    expect(mod.audit).toEqual([
      expect.objectContaining({
        action: 'message.delete',
        targetId: message.id,
        details: { roomId, seq: message.seq, authorId: ALICE.userId, via: 'rest' },
      }),
    ]);
    expect(
      await codeOf(svc.deleteMessage(MOD.userId, roomId, randomUUID(), undefined, 'rest')),
    ).toBe('MESSAGE_NOT_FOUND');
  });

  it('kicks a member (member.left, their sends refused at once) but never the owner or oneself', async () => {
    const { svc, messages, mod, roomId, events } = await setup();
    await messages.send(ALICE, roomId, { content: 'hi' }); // membership now cached
    expect(await codeOf(svc.kick(MOD.userId, roomId, OWNER.userId, undefined))).toBe(
      'ROOM_OWNER_PROTECTED',
    );
    expect(await codeOf(svc.kick(MOD.userId, roomId, MOD.userId, undefined))).toBe(
      'ADMIN_SELF_ACTION',
    );
    await svc.kick(MOD.userId, roomId, ALICE.userId, 'off-topic');
    expect(await codeOf(messages.send(ALICE, roomId, { content: 'still here?' }))).toBe(
      'NOT_ROOM_MEMBER',
    );
    expect(await codeOf(svc.kick(MOD.userId, roomId, ALICE.userId, undefined))).toBe(
      'MEMBER_NOT_FOUND',
    );
    expect(events()).toEqual(['member.joined', 'message.new', 'member.left']);
    expect(mod.audit.map((a) => [a.action, a.reason])).toEqual([['member.kick', 'off-topic']]);
  });
});
