import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuthorizationService } from '../../common/authz/authorization.service.js';
import { decodeTimeIdCursor, encodeCursor } from '../../common/cursor.js';
import { Errors } from '../../common/errors/domain-error.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import type { Message } from '../messages/domain/message.js';
import { MessagesService } from '../messages/messages.service.js';
import type { Membership } from '../rooms/domain/room.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { checkBotName, type Bot } from './domain/bot.js';
import { BotRepository, type BotPatch } from './domain/bot.repository.js';
import { botTokenMatches, issueBotToken, parseBotToken } from './domain/bot-token.js';
import {
  WebhookDeliveryRepository,
  type DeliveryRecord,
  type DeliveryStatus,
} from './domain/webhook-delivery.repository.js';
import { WebhookNetwork } from './infrastructure/webhooks/webhook-network.js';
import { BotErrorCodes } from './domain/bot-errors.js';

interface Caller {
  userId: string;
}

/** Who a bot token authenticates: the bot and the user it posts as. */
export interface BotPrincipal {
  botId: string;
  userId: string;
  username: string;
}

const tokenInvalid = () =>
  Errors.unauthorized(BotErrorCodes.tokenInvalid, 'bot token is missing or invalid');

/** Bots: their life cycle, their tokens, their rooms, and posting as one. */
@Injectable()
export class BotsService {
  private readonly log = new Logger('BotsService');

  constructor(
    private readonly bots: BotRepository,
    private readonly deliveryQueue: WebhookDeliveryRepository,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly authz: AuthorizationService,
    private readonly network: WebhookNetwork,
  ) {}

  /** Creates a bot owned by the caller; the token is answered this once and never again. */
  async create(
    caller: Caller,
    input: { name: string; avatarUrl?: string | null; webhookUrl?: string | null },
  ): Promise<{ bot: Bot; token: string }> {
    checkBotName(input.name);
    if (input.webhookUrl) await this.network.checkUrl(input.webhookUrl);
    const id = randomUUID();
    const issued = issueBotToken(id);
    const bot = await this.bots.create({
      id,
      ownerId: caller.userId,
      name: input.name,
      avatarUrl: input.avatarUrl ?? null,
      webhookUrl: input.webhookUrl ?? null,
      tokenHash: issued.hash,
    });
    this.log.log({ botId: bot.id, ownerId: caller.userId }, 'bot created');
    return { bot, token: issued.token };
  }

  async listMine(caller: Caller, limit = DEFAULT_LIMIT, cursor?: string): Promise<Page<Bot>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    const page = await this.bots.listByOwner(caller.userId, limit, after);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  async get(caller: Caller, botId: string): Promise<Bot> {
    return this.managedBot(caller, botId);
  }

  async update(caller: Caller, botId: string, patch: BotPatch): Promise<Bot> {
    await this.managedBot(caller, botId);
    if (patch.name !== undefined) checkBotName(patch.name);
    if (patch.webhookUrl) await this.network.checkUrl(patch.webhookUrl);
    const bot = await this.bots.update(botId, patch);
    if (!bot) throw Errors.notFound(BotErrorCodes.notFound, 'bot not found');
    return bot;
  }

  /** A new token; the old one stops working at once (and so does its webhook signing key). */
  async rotateToken(caller: Caller, botId: string): Promise<{ bot: Bot; token: string }> {
    await this.managedBot(caller, botId);
    const issued = issueBotToken(botId);
    const bot = await this.bots.rotateToken(botId, issued.hash);
    if (!bot) throw Errors.notFound(BotErrorCodes.notFound, 'bot not found');
    this.log.log({ botId }, 'bot token rotated');
    return { bot, token: issued.token };
  }

  /**
   * Deletes the bot: the token stops working, pending webhook deliveries are dropped, the bot
   * leaves every room (member.left, reason "kicked"); its user row stays, disabled, so its old
   * messages keep their author.
   */
  async delete(caller: Caller, botId: string): Promise<void> {
    await this.managedBot(caller, botId);
    const gone = await this.bots.delete(botId);
    if (!gone) throw Errors.notFound(BotErrorCodes.notFound, 'bot not found');
    for (const roomId of gone.roomIds) {
      try {
        await this.rooms.removeMember(roomId, gone.userId);
      } catch (err) {
        // e.g. the bot was handed a room it is the last member of (OWNER_LAST_MEMBER): its
        // membership stays, harmless (the user is disabled and its token gone).
        this.log.warn(
          { err: String(err), botId, roomId },
          'could not remove deleted bot from room',
        );
      }
    }
    this.log.log({ botId, rooms: gone.roomIds.length }, 'bot deleted');
  }

  async deliveries(
    caller: Caller,
    botId: string,
    status: DeliveryStatus | undefined,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<DeliveryRecord>> {
    await this.managedBot(caller, botId);
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    const page = await this.deliveryQueue.listForBot(botId, status, limit, after);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /**
   * Adds a bot to a room: the caller must own the room (or hold room.update.any there) and the
   * bot (or hold bot.manage). Adding a bot already in the room answers its membership.
   */
  async addToRoom(caller: Caller, roomId: string, botId: string): Promise<Membership> {
    await this.rooms.ownedRoom(caller.userId, roomId, 'room.update.any');
    const bot = await this.managedBot(caller, botId);
    return this.rooms.addMember(roomId, bot.userId);
  }

  /**
   * Removes a bot from a room: the room's owner (or room.update.any) or the bot's owner (or
   * bot.manage) may. Subscribers see member.left (reason "kicked").
   */
  async removeFromRoom(caller: Caller, roomId: string, botId: string): Promise<void> {
    const room = await this.rooms.findRoom(roomId);
    if (!room) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    const bot = await this.bots.findById(botId);
    if (!bot) throw Errors.notFound(BotErrorCodes.notFound, 'bot not found');
    const botSide =
      bot.ownerId === caller.userId || (await this.authz.can(caller.userId, 'bot.manage'));
    // Otherwise the room's side: its owner or room.update.any, else the core's refusal.
    if (!botSide) await this.rooms.ownedRoom(caller.userId, roomId, 'room.update.any');
    if (!(await this.rooms.removeMember(roomId, bot.userId)))
      throw Errors.notFound(BotErrorCodes.notFound, 'the bot is not a member of this room');
  }

  /** Checks an `Authorization: Bot <token>` token; 401 BOT_TOKEN_INVALID for anything wrong. */
  async authenticate(token: string | null): Promise<BotPrincipal> {
    const parsed = token ? parseBotToken(token) : null;
    if (!token || !parsed) throw tokenInvalid();
    const creds = await this.bots.findCredentials(parsed.botId);
    if (!creds || !botTokenMatches(creds.tokenHash, token) || !creds.userActive)
      throw tokenInvalid();
    return { botId: creds.botId, userId: creds.userId, username: creds.username };
  }

  /** A bot's message: the core's send, as the bot's user, typed `bot` (members only). */
  async send(
    bot: BotPrincipal,
    roomId: string,
    input: { content: string; clientMsgId?: string },
  ): Promise<{ message: Message; created: boolean }> {
    return this.messages.send({ userId: bot.userId }, roomId, {
      content: input.content,
      clientMsgId: input.clientMsgId ?? null,
      type: 'bot',
      via: 'bot',
    });
  }

  /** The bot if it exists and the caller may manage it: 404 BOT_NOT_FOUND, 403 PERMISSION_DENIED. */
  private async managedBot(caller: Caller, botId: string): Promise<Bot> {
    const bot = await this.bots.findById(botId);
    if (!bot) throw Errors.notFound(BotErrorCodes.notFound, 'bot not found');
    if (bot.ownerId === caller.userId) return bot;
    if (await this.authz.can(caller.userId, 'bot.manage')) return bot;
    throw Errors.forbidden('PERMISSION_DENIED', "only the bot's owner may do this");
  }
}
