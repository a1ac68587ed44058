import { Injectable } from '@nestjs/common';
import { Errors } from '../../common/errors/domain-error.js';
import type { MessageView } from '../../common/events/chat-events.js';
import { MessagesService } from '../messages/messages.service.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { UsersService } from '../users/users.service.js';
import { AuditService } from './audit.service.js';
import { MuteRepository } from './domain/admin.repository.js';
import { checkReason, checkUntil, MUTE_MAX_MS, refuseSelf, type Mute } from './domain/sanction.js';
import { MuteEnforcer } from './mute-enforcer.js';

/** Moderation inside a room: delete any message, mute and unmute, kick. Callers check permissions. */
@Injectable()
export class ModerationService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly users: UsersService,
    private readonly mutes: MuteRepository,
    private readonly enforcer: MuteEnforcer,
    private readonly audit: AuditService,
  ) {}

  /**
   * Turns a message into a tombstone (content gone, seq kept); subscribers on every instance get
   * message.deleted. Deleting a tombstone again answers it and records nothing.
   */
  async deleteMessage(
    actorId: string,
    roomId: string,
    messageId: string,
    reasonIn: string | undefined,
    via: 'rest' | 'ws',
  ): Promise<MessageView> {
    const reason = checkReason(reasonIn, false);
    await this.requireRoom(roomId);
    const message = await this.messages.findMessage(roomId, messageId);
    if (!message) throw Errors.notFound('MESSAGE_NOT_FOUND', 'message not found');
    if (message.deletedAt !== null) return message;
    const tombstone = await this.messages.tombstone(roomId, messageId);
    await this.audit.append({
      actorId,
      action: 'message.delete',
      targetType: 'message',
      targetId: messageId,
      reason,
      details: { roomId, seq: message.seq, authorId: message.userId, via },
    });
    return tombstone;
  }

  /** Mutes a user in a room until a time (replacing a mute they already have there). */
  async mute(
    actorId: string,
    roomId: string,
    input: { userId: string; until: string; reason?: string | null },
  ): Promise<Mute> {
    const reason = checkReason(input.reason ?? undefined, false);
    const until = checkUntil(input.until, new Date(), MUTE_MAX_MS);
    refuseSelf(actorId, input.userId, 'mute');
    await this.requireRoom(roomId);
    await this.users.getById(input.userId);
    const mute = await this.mutes.upsert(
      { roomId, userId: input.userId, until, reason, by: actorId },
      {
        actorId,
        action: 'member.mute',
        targetType: 'user',
        targetId: input.userId,
        reason,
        details: { roomId, until: until.toISOString() },
      },
    );
    this.enforcer.invalidate();
    return mute;
  }

  async unmute(
    actorId: string,
    roomId: string,
    userId: string,
    reasonIn: string | undefined,
  ): Promise<void> {
    const reason = checkReason(reasonIn, false);
    await this.requireRoom(roomId);
    const removed = await this.mutes.remove(roomId, userId, {
      actorId,
      action: 'member.unmute',
      targetType: 'user',
      targetId: userId,
      reason,
      details: { roomId },
    });
    if (!removed) throw Errors.notFound('MUTE_NOT_FOUND', 'the user is not muted in this room');
    this.enforcer.invalidate();
  }

  /**
   * Removes a member (member.left with reason "kicked" on every instance; their subscription
   * ends). The room's owner cannot be kicked (409 ROOM_OWNER_PROTECTED): delete the room, or
   * ban the account, instead. A kicked user may join a public room again: mute or ban to stop them.
   */
  async kick(
    actorId: string,
    roomId: string,
    userId: string,
    reasonIn: string | undefined,
  ): Promise<void> {
    const reason = checkReason(reasonIn, false);
    refuseSelf(actorId, userId, 'kick');
    const room = await this.requireRoom(roomId);
    if (room.ownerId === userId)
      throw Errors.conflict('ROOM_OWNER_PROTECTED', "the room's owner cannot be kicked");
    const removed = await this.rooms.removeMember(roomId, userId);
    if (!removed)
      throw Errors.notFound('MEMBER_NOT_FOUND', 'the user is not a member of this room');
    await this.audit.append({
      actorId,
      action: 'member.kick',
      targetType: 'user',
      targetId: userId,
      reason,
      details: { roomId },
    });
  }

  private async requireRoom(roomId: string) {
    const room = await this.rooms.findRoom(roomId);
    if (!room) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    return room;
  }
}
