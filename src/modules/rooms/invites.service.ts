import { Injectable } from '@nestjs/common';
import { decodeTimeIdCursor, encodeCursor } from '../../common/cursor.js';
import { Errors } from '../../common/errors/domain-error.js';
import type { InviteView } from '../../common/events/chat-events.js';
import { EventBus } from '../../common/events/event-bus.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { UserRepository } from '../users/domain/user.repository.js';
import { checkInvitable, closeReasonFor, type Invite } from './domain/invite.js';
import { InviteRepository } from './domain/invite.repository.js';
import type { Room } from './domain/room.js';
import { RoomRepository } from './domain/room.repository.js';
import { RoomsService, toRoomView } from './rooms.service.js';

export const toInviteView = (i: Invite): InviteView => ({
  id: i.id,
  roomId: i.roomId,
  userId: i.userId,
  invitedBy: i.invitedBy,
  createdAt: i.createdAt.toISOString(),
});

/** Invitations into private rooms: the owner invites, the invitee joins without the password. */
@Injectable()
export class InvitesService {
  constructor(
    private readonly invites: InviteRepository,
    private readonly rooms: RoomRepository,
    private readonly roomsService: RoomsService,
    private readonly users: UserRepository,
    private readonly bus: EventBus,
  ) {}

  async invite(callerId: string, roomId: string, inviteeId: string): Promise<Invite> {
    const room = await this.roomsService.ownedRoom(callerId, roomId, 'room.update.any');
    const [invitee] = await this.users.findProfiles([inviteeId]);
    if (!invitee) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    const found = await this.rooms.findWithMembership(roomId, inviteeId);
    if (!found) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    checkInvitable(room, found.membership);
    if (invitee.status !== 'active')
      throw Errors.forbidden('USER_INACTIVE', `user is ${invitee.status}`);
    // An invite could never let them in, and invite.received would show them the room.
    if (!(await this.roomsService.orgAdmits(inviteeId, found.room)))
      throw Errors.forbidden('NOT_ORG_MEMBER', "this user is not in the room's organisation");
    const invite = await this.invites.create(roomId, inviteeId, callerId);
    // Every socket of the invitee, on every instance, subscribed to anything or not.
    await this.bus.publish({
      type: 'invite.received',
      userId: inviteeId,
      invite: toInviteView(invite),
      room: toRoomView(found.room),
    });
    return invite;
  }

  /** The invitee declines, the owner withdraws; anyone else sees no invite (404). */
  async close(callerId: string, roomId: string, inviteId: string): Promise<void> {
    const invite = await this.invites.findOpen(inviteId, roomId);
    const room = invite ? await this.rooms.findById(roomId) : null;
    const reason = invite && room ? closeReasonFor(invite, room, callerId) : null;
    if (!invite || !reason) throw Errors.notFound('INVITE_NOT_FOUND', 'invite not found');
    await this.invites.close(invite.id, reason);
  }

  async listOpen(
    userId: string,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<{ invite: Invite; room: Room }>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    const page = await this.invites.listOpenFor(userId, limit, after);
    // An invite to an organisation's room its invitee has left since is of no use (join
    // refuses them) and would still show them the room: not listed while that lasts.
    const admitted = await Promise.all(
      page.items.map((i) => this.roomsService.orgAdmits(userId, i.room)),
    );
    const items = page.items.filter((_, n) => admitted[n]);
    return { items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }
}
