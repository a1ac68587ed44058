import { Injectable } from '@nestjs/common';
import { Errors } from '../../common/errors/domain-error.js';
import { UserRepository } from '../users/domain/user.repository.js';
import { directMembers } from './domain/direct-room.js';
import { ROOM_NAME_MAX, type Room } from './domain/room.js';
import { RoomRepository } from './domain/room.repository.js';

/** Direct rooms: one per set of people, opened by any of them. */
@Injectable()
export class DirectRoomsService {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly users: UserRepository,
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
    return this.rooms.findOrCreateDirect({ key, memberIds, creatorId: callerId, name });
  }
}
