import { Injectable } from '@nestjs/common';
import { Errors } from '../../common/errors/domain-error.js';
import { EventBus } from '../../common/events/event-bus.js';
import { UserRepository } from '../users/domain/user.repository.js';
import { directMembers } from './domain/direct-room.js';
import { ROOM_NAME_MAX, toRoomView, type Room } from './domain/room.js';
import { RoomRepository } from './domain/room.repository.js';

/**
 * Direct rooms: one per set of people, opened by any of them. A new one is announced to every
 * member's sockets on every instance (dm.created), so it shows in their room lists at once;
 * finding an existing one announces nothing.
 */
@Injectable()
export class DirectRoomsService {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly users: UserRepository,
    private readonly bus: EventBus,
  ) {}

  /** The direct room of the caller and `userIds`, created when there is none yet. */
  async open(callerId: string, userIds: string[]): Promise<{ room: Room; created: boolean }> {
    const { memberIds, key } = directMembers(callerId, userIds);
    const profiles = await this.users.findProfiles(memberIds);
    const byId = new Map(profiles.map((p) => [p.id.toLowerCase(), p]));
    for (const id of memberIds) {
      const p = byId.get(id);
      if (!p) throw Errors.notFound('USER_NOT_FOUND', `user ${id} not found`);
      if (p.status !== 'active' && id !== callerId.toLowerCase())
        throw Errors.forbidden('USER_INACTIVE', `user ${id} is ${p.status}`);
    }
    // A direct room's name is for display only (not unique, never changed): its members.
    const name = memberIds
      .map((id) => byId.get(id)!.username)
      .sort()
      .join(', ')
      .slice(0, ROOM_NAME_MAX);
    const opened = await this.rooms.findOrCreateDirect({
      key,
      memberIds,
      creatorId: callerId,
      name,
    });
    if (opened.created)
      // Through the outbox like invite.received: a broker outage delays it, it is not lost.
      await this.bus.publish({
        type: 'dm.created',
        roomId: opened.room.id,
        memberIds,
        room: toRoomView(opened.room),
      });
    return opened;
  }
}
