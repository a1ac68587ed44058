import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Errors } from '../../common/errors/domain-error.js';
import {
  ChatExtensions,
  type RoomFacts,
  type RoomPolicy,
} from '../../common/extensions/chat-extensions.js';
import { OrganizationRepository } from './domain/organization.repository.js';
import { OrgErrorCodes } from './domain/organization-errors.js';

/**
 * Organisation rooms: only the organisation's members may create, see or join them. Reading and
 * sending need room membership (the core's check), which removal from the organisation takes
 * away (OrganizationsService.removeMember).
 */
@Injectable()
export class OrgRoomPolicy implements RoomPolicy, OnModuleInit {
  readonly name = 'organizations';

  constructor(
    private readonly ext: ChatExtensions,
    private readonly orgs: OrganizationRepository,
  ) {}

  onModuleInit(): void {
    this.ext.addRoomPolicy(this);
  }

  async beforeCreate(userId: string, orgId: string): Promise<void> {
    // An unknown organisation and one the creator is not in answer alike: nothing leaks.
    if ((await this.orgs.roleOf(orgId, userId)) === null)
      throw Errors.notFound(OrgErrorCodes.notFound, 'organisation not found');
  }

  /** False (not a throw) for others: the core then answers 404, as for a room that is not there. */
  async canSee(userId: string, room: RoomFacts): Promise<boolean> {
    return room.orgId !== null && (await this.orgs.roleOf(room.orgId, userId)) !== null;
  }

  async canJoin(userId: string, room: RoomFacts): Promise<boolean> {
    return this.canSee(userId, room);
  }
}
