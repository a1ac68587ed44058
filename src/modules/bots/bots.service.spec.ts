import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthorizationService } from '../../common/authz/authorization.service.js';
import { Errors } from '../../common/errors/domain-error.js';
import type { MessagesService, SendInput } from '../messages/messages.service.js';
import { InMemoryRooms, roomsServiceOn } from '../rooms/testing/in-memory-rooms.fake.js';
import { botsConfig } from './bots.config.js';
import { BotsService } from './bots.service.js';
import { botUsername, type Bot } from './domain/bot.js';
import { BotRepository, type BotPatch, type NewBot } from './domain/bot.repository.js';
import type { WebhookDeliveryRepository } from './domain/webhook-delivery.repository.js';
import { WebhookNetwork } from './infrastructure/webhooks/webhook-network.js';
import { codeOf, recordingBus } from '../../common/testing/unit-kit.fake.js';

const ALICE = { userId: randomUUID(), username: 'alice' };
const BOB = { userId: randomUUID(), username: 'bob' };
const MANAGER = { userId: randomUUID(), username: 'manager' }; // holds bot.manage

/** Bots in memory, with the user row behind each (active until the bot is deleted). */
class InMemoryBots extends BotRepository {
  readonly bots = new Map<string, Bot>();
  readonly userActive = new Map<string, boolean>();

  constructor(private readonly rooms: InMemoryRooms) {
    super();
  }

  create(b: NewBot): Promise<Bot> {
    if ([...this.bots.values()].some((x) => x.name === b.name))
      return Promise.reject(Errors.conflict('BOT_NAME_TAKEN', 'taken'));
    const now = new Date();
    const bot: Bot = {
      ...b,
      userId: randomUUID(),
      username: botUsername(b.name),
      createdAt: now,
      updatedAt: now,
      tokenRotatedAt: null,
    };
    this.bots.set(bot.id, bot);
    this.userActive.set(bot.userId, true);
    return Promise.resolve(bot);
  }
  findById(id: string) {
    return Promise.resolve(this.bots.get(id) ?? null);
  }
  findCredentials(id: string) {
    const b = this.bots.get(id);
    if (!b) return Promise.resolve(null);
    const { userId, username, tokenHash } = b;
    const userActive = this.userActive.get(userId)!;
    return Promise.resolve({ botId: id, userId, username, tokenHash, userActive });
  }
  listByOwner(ownerId: string) {
    const items = [...this.bots.values()].filter((b) => b.ownerId === ownerId);
    return Promise.resolve({ items, next: null });
  }
  update(id: string, patch: BotPatch) {
    const b = this.bots.get(id);
    if (b) Object.assign(b, patch, patch.name ? { username: botUsername(patch.name) } : {});
    return Promise.resolve(b ?? null);
  }
  rotateToken(id: string, tokenHash: string) {
    const b = this.bots.get(id);
    if (b) Object.assign(b, { tokenHash, tokenRotatedAt: new Date() });
    return Promise.resolve(b ?? null);
  }
  delete(id: string) {
    const b = this.bots.get(id);
    if (!b) return Promise.resolve(null);
    this.bots.delete(id);
    this.userActive.set(b.userId, false);
    const roomIds = [...this.rooms.members].flatMap(([roomId, m]) =>
      m.has(b.userId) ? [roomId] : [],
    );
    return Promise.resolve({ userId: b.userId, roomIds });
  }
}

function setup() {
  const roomRepo = new InMemoryRooms();
  const { bus, published } = recordingBus();
  const authz = {
    can: async (userId: string, permission: string) =>
      permission === 'bot.manage' && userId === MANAGER.userId,
  } as unknown as AuthorizationService;
  const rooms = roomsServiceOn(roomRepo, { bus, authz });
  const sends: { userId: string; roomId: string; input: SendInput }[] = [];
  const messages = {
    send: async (caller: { userId: string }, roomId: string, input: SendInput) => {
      await rooms.assertMember(caller.userId, roomId);
      sends.push({ userId: caller.userId, roomId, input });
      return { message: { roomId, seq: sends.length }, created: true };
    },
  } as unknown as MessagesService;
  const repo = new InMemoryBots(roomRepo);
  // The real address rules (no private or loopback targets), on literal addresses: no DNS.
  const network = new WebhookNetwork(botsConfig({}));
  const svc = new BotsService(
    repo,
    {} as WebhookDeliveryRepository,
    rooms,
    messages,
    authz,
    network,
  );
  const left = () =>
    published.flatMap((e) =>
      e.type === 'room.event' && e.event.event === 'member.left' ? [e.event.data.userId] : [],
    );
  return { svc, repo, rooms, roomRepo, sends, left };
}

const quiet = () => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
afterEach(() => {
  jest.restoreAllMocks();
});

describe('BotsService: tokens', () => {
  it('the token is answered once and kept only as a hash; it authenticates its bot until rotated', async () => {
    quiet();
    const { svc, repo } = setup();
    const { bot, token } = await svc.create(ALICE, { name: 'helper' });
    expect(bot.username).toBe('helper[bot]');
    expect(JSON.stringify([...repo.bots.values()])).not.toContain(token.split('.')[1]);
    expect(await svc.authenticate(token)).toEqual({
      botId: bot.id,
      userId: bot.userId,
      username: 'helper[bot]',
    });
    const rotated = await svc.rotateToken(ALICE, bot.id);
    expect(await codeOf(svc.authenticate(token))).toBe('BOT_TOKEN_INVALID');
    expect((await svc.authenticate(rotated.token)).botId).toBe(bot.id);
  });

  it('anything else is BOT_TOKEN_INVALID: none, malformed, another bot’s secret, a deleted bot', async () => {
    quiet();
    const { svc } = setup();
    const a = await svc.create(ALICE, { name: 'a-bot' });
    const b = await svc.create(ALICE, { name: 'b-bot' });
    const [prefixA] = a.token.split('.');
    const [, secretB] = b.token.split('.');
    for (const t of [
      null,
      '',
      'nonsense',
      `${prefixA}.${secretB}`,
      `bot_${'0'.repeat(32)}.${secretB}`,
    ])
      expect(await codeOf(svc.authenticate(t))).toBe('BOT_TOKEN_INVALID');
    await svc.delete(ALICE, a.bot.id);
    expect(await codeOf(svc.authenticate(a.token))).toBe('BOT_TOKEN_INVALID');
  });
});

describe('BotsService: who manages a bot', () => {
  it('its owner or a holder of bot.manage; others are refused, unknown bots not found', async () => {
    quiet();
    const { svc } = setup();
    const { bot } = await svc.create(ALICE, { name: 'helper' });
    expect(await codeOf(svc.get(BOB, bot.id))).toBe('PERMISSION_DENIED');
    expect(await codeOf(svc.rotateToken(BOB, bot.id))).toBe('PERMISSION_DENIED');
    expect(await codeOf(svc.delete(BOB, bot.id))).toBe('PERMISSION_DENIED');
    expect((await svc.update(MANAGER, bot.id, { name: 'renamed' })).username).toBe('renamed[bot]');
    expect(await codeOf(svc.get(ALICE, randomUUID()))).toBe('BOT_NOT_FOUND');
  });

  it('refuses a bad name or a webhook to a private address, storing nothing', async () => {
    quiet();
    const { svc, repo } = setup();
    expect(await codeOf(svc.create(ALICE, { name: 'x' }))).toBe('VALIDATION_FAILED');
    expect(await codeOf(svc.create(ALICE, { name: 'has space' }))).toBe('VALIDATION_FAILED');
    for (const webhookUrl of ['http://127.0.0.1/hook', 'http://10.0.0.8/hook', 'http://[::1]/hook'])
      expect(await codeOf(svc.create(ALICE, { name: 'hooked', webhookUrl }))).toBe(
        'WEBHOOK_URL_REFUSED',
      );
    expect(repo.bots.size).toBe(0);
    const ok = await svc.create(ALICE, {
      name: 'hooked',
      webhookUrl: 'https://93.184.216.34/hook',
    });
    expect(await codeOf(svc.update(ALICE, ok.bot.id, { webhookUrl: 'http://192.168.1.2/' }))).toBe(
      'WEBHOOK_URL_REFUSED',
    );
    expect(repo.bots.get(ok.bot.id)!.webhookUrl).toBe('https://93.184.216.34/hook');
  });
});

describe('BotsService: rooms and messages', () => {
  it('the room’s owner adds their bot; the bot posts as its user, typed bot; deleting the bot takes it out of its rooms', async () => {
    quiet();
    const { svc, rooms, sends, left } = setup();
    const room = await rooms.create(ALICE, { name: 'r', isPrivate: false });
    const other = await rooms.create(BOB, { name: 'b', isPrivate: false });
    const { bot, token } = await svc.create(ALICE, { name: 'helper' });
    // Alice owns the bot but not Bob's room; Bob owns the room but not Alice's bot.
    expect(await codeOf(svc.addToRoom(ALICE, other.id, bot.id))).toBe('NOT_ROOM_MEMBER');
    expect(await codeOf(svc.addToRoom(BOB, other.id, bot.id))).toBe('PERMISSION_DENIED');
    await svc.addToRoom(ALICE, room.id, bot.id);
    await svc.addToRoom(ALICE, room.id, bot.id); // already there: its membership, nothing new

    const principal = await svc.authenticate(token);
    await svc.send(principal, room.id, { content: 'beep', clientMsgId: 'b-1' });
    expect(sends).toEqual([
      {
        userId: bot.userId,
        roomId: room.id,
        input: { content: 'beep', clientMsgId: 'b-1', type: 'bot', via: 'bot' },
      },
    ]);
    expect(await codeOf(svc.send(principal, other.id, { content: 'x' }))).toBe('NOT_ROOM_MEMBER');

    await svc.delete(ALICE, bot.id);
    expect(left()).toEqual([bot.userId]);
    expect(await codeOf(svc.send(principal, room.id, { content: 'x' }))).toBe('NOT_ROOM_MEMBER');
  });

  it('the room’s owner or the bot’s owner removes a bot from a room; nobody else', async () => {
    quiet();
    const { svc, rooms, left } = setup();
    const room = await rooms.create(BOB, { name: 'r', isPrivate: false });
    await rooms.join(ALICE, room.id, undefined);
    const { bot } = await svc.create(ALICE, { name: 'helper' });
    await rooms.addMember(room.id, bot.userId);
    const stranger = { userId: randomUUID() };
    expect(await codeOf(svc.removeFromRoom(stranger, room.id, bot.id))).toBe('NOT_ROOM_MEMBER');
    await svc.removeFromRoom(ALICE, room.id, bot.id); // the bot's owner
    expect(left()).toEqual([bot.userId]);
    expect(await codeOf(svc.removeFromRoom(BOB, room.id, bot.id))).toBe('BOT_NOT_FOUND');
    expect(await codeOf(svc.removeFromRoom(BOB, randomUUID(), bot.id))).toBe('ROOM_NOT_FOUND');
  });

  it('a room the deleted bot cannot leave (its last member) is logged and the rest still done', async () => {
    quiet();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { svc, rooms, roomRepo, left } = setup();
    const a = await rooms.create(ALICE, { name: 'a', isPrivate: false });
    const b = await rooms.create(ALICE, { name: 'b', isPrivate: false });
    const { bot } = await svc.create(ALICE, { name: 'helper' });
    await svc.addToRoom(ALICE, a.id, bot.id);
    await svc.addToRoom(ALICE, b.id, bot.id);
    const remove = roomRepo.removeMember.bind(roomRepo);
    roomRepo.removeMember = (roomId, userId, reason) =>
      roomId === a.id
        ? Promise.reject(Errors.conflict('OWNER_LAST_MEMBER', 'last member'))
        : remove(roomId, userId, reason);
    await svc.delete(ALICE, bot.id);
    expect(left()).toEqual([bot.userId]); // from b
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ botId: bot.id, roomId: a.id }),
      'could not remove deleted bot from room',
    );
  });
});
