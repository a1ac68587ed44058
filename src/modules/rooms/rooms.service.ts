import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { authConfig, type AuthConfig } from '../../config/configuration.js';
import { decodeTimeIdCursor, encodeCursor } from '../../common/cursor.js';
import { Errors } from '../../common/errors/domain-error.js';
import type { RoomEvent } from '../../common/events/chat-events.js';
import { EventBus } from '../../common/events/event-bus.js';
import { AuthorizationService } from '../../common/authz/authorization.service.js';
import type { Permission } from '../../common/authz/permissions.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { PasswordHasher } from '../../common/security/password-hasher.js';
import { assertNotDirect } from './domain/direct-room.js';
import {
  assertCanAccess,
  assertOwner,
  assertVisible,
  checkPrivacySettings,
  toRoomView,
  type Membership,
  type Room,
} from './domain/room.js';
import { checkRetentionDays } from '../retention/domain/retention-policy.js';
import { InviteRepository } from './domain/invite.repository.js';
import { RoomRepository, type RoomPatch } from './domain/room.repository.js';

export { toRoomView };

interface Caller {
  userId: string;
  username: string;
}

/** How long a confirmed membership is trusted on the send and history paths without a read. */
const MEMBER_CACHE_MS = 5000;
const MEMBER_CACHE_MAX_ROOMS = 50_000;

@Injectable()
export class RoomsService implements OnModuleInit, OnModuleDestroy {
  /**
   * roomId → userId → until when their membership counts as confirmed. Only members are cached
   * (a join counts at once); a leave, kick or delete drops the entry here at once and, through
   * member.left / room.deleted on the bus, on every other instance within its delivery time.
   */
  private readonly confirmed = new Map<string, Map<string, number>>();
  /** Bumped by every removal, so a read that raced one is not cached. */
  private removals = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly rooms: RoomRepository,
    private readonly invites: InviteRepository,
    private readonly hasher: PasswordHasher,
    private readonly bus: EventBus,
    @Inject(authConfig.KEY) private readonly authCfg: AuthConfig,
    private readonly ext: ChatExtensions,
    private readonly authz: AuthorizationService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(
      (e) => {
        if (e.type === 'room.event' && e.event.event === 'member.left')
          this.forget(e.roomId, e.event.data.userId);
        else if (e.type === 'room.deleted') this.forgetRoom(e.roomId);
      },
      (h) =>
        h.type === 'room.deleted' ||
        (h.type === 'room.event' && (h.roomEvent === undefined || h.roomEvent === 'member.left')),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /**
   * The per-message check (send, history page): the caller is a member. A membership confirmed
   * by a read in the last MEMBER_CACHE_MS is trusted, so a busy sender costs the database no
   * read per message; anything else is read (and answered exactly as requireMember does).
   */
  async assertMember(userId: string, roomId: string): Promise<void> {
    const until = this.confirmed.get(roomId)?.get(userId);
    const now = Date.now();
    if (until !== undefined && until > now) return;
    const removalsBefore = this.removals;
    await this.requireMember(userId, roomId);
    if (this.removals !== removalsBefore) return; // a leave/kick/delete ran meanwhile
    let users = this.confirmed.get(roomId);
    if (!users) {
      if (this.confirmed.size >= MEMBER_CACHE_MAX_ROOMS) this.confirmed.clear();
      this.confirmed.set(roomId, (users = new Map<string, number>()));
    }
    users.set(userId, now + MEMBER_CACHE_MS);
  }

  private forgetRoom(roomId: string): void {
    this.removals++;
    this.confirmed.delete(roomId);
  }

  private forget(roomId: string, userId: string): void {
    this.removals++;
    const users = this.confirmed.get(roomId);
    users?.delete(userId);
    if (users?.size === 0) this.confirmed.delete(roomId);
  }

  async create(
    caller: Caller,
    input: {
      name: string;
      description?: string;
      isPrivate: boolean;
      password?: string;
      orgId?: string;
    },
  ): Promise<Room> {
    checkPrivacySettings(input.isPrivate, false, input.password !== undefined);
    if (input.orgId !== undefined) {
      if (this.ext.roomPolicies.length === 0)
        throw Errors.validation(
          'VALIDATION_FAILED',
          'orgId is only accepted when the organisations module is on',
        );
      for (const p of this.ext.roomPolicies) await p.beforeCreate(caller.userId, input.orgId);
    }
    const passwordHash =
      input.isPrivate && input.password ? await this.hasher.hash(input.password) : null;
    return this.rooms.create({
      name: input.name,
      description: input.description ?? '',
      isPrivate: input.isPrivate,
      passwordHash,
      ownerId: caller.userId,
      orgId: input.orgId ?? null,
    });
  }

  async list(
    caller: Caller,
    q: string | undefined,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<Room>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    const page = await this.rooms.listVisible(caller.userId, q?.trim() || undefined, limit, after);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  async get(caller: Caller, roomId: string): Promise<Room> {
    const [room, membership] = await this.roomAndMembership(roomId, caller.userId);
    assertVisible(room, membership);
    if (room.orgId !== null && !membership && !(await this.orgMaySee(caller.userId, room)))
      throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    return room;
  }

  /** An organisation's room is visible to non-members only when a room policy says so. */
  private async orgMaySee(userId: string, room: Room): Promise<boolean> {
    for (const p of this.ext.roomPolicies) if (await p.canSee(userId, room)) return true;
    return false;
  }

  /** The room, if the caller may read and write in it (members only). */
  async requireMember(
    userId: string,
    roomId: string,
  ): Promise<{ room: Room; membership: Membership }> {
    const [room, membership] = await this.roomAndMembership(roomId, userId);
    assertCanAccess(room, membership);
    return { room, membership: membership! };
  }

  async update(
    caller: Caller,
    roomId: string,
    input: {
      name?: string;
      description?: string;
      isPrivate?: boolean;
      password?: string;
      retentionDays?: unknown;
    },
  ): Promise<Room> {
    const room = await this.ownedRoom(caller.userId, roomId, 'room.update.any');
    assertNotDirect(room);
    // Checked before anything is written: a bad value changes nothing.
    const retentionDays =
      input.retentionDays === undefined ? undefined : checkRetentionDays(input.retentionDays);
    const isPrivate = input.isPrivate ?? room.isPrivate;
    checkPrivacySettings(
      isPrivate,
      room.passwordHash !== null && room.isPrivate,
      input.password !== undefined,
    );
    const patch: RoomPatch = {
      name: input.name,
      description: input.description,
      isPrivate: input.isPrivate,
      retentionDays,
    };
    if (!isPrivate) patch.passwordHash = null;
    else if (input.password !== undefined)
      patch.passwordHash = await this.hasher.hash(input.password);
    const { room: updated, event } = await this.rooms.update(roomId, patch);
    await this.publish(roomId, [event]);
    return updated;
  }

  async delete(caller: Caller, roomId: string): Promise<void> {
    assertNotDirect(await this.ownedRoom(caller.userId, roomId, 'room.delete.any'));
    await this.rooms.delete(roomId);
    this.forgetRoom(roomId);
    await this.bus.publish({ type: 'room.deleted', roomId });
  }

  /**
   * The room for an owner-only change: the owner, or (roles module, ADMIN_USERNAMES) a holder
   * of the "any" permission, who need not be a member. Others: as before (404 / 403). Also the
   * check of modules that act for a room's owner (bots).
   */
  async ownedRoom(userId: string, roomId: string, permission: Permission): Promise<Room> {
    const [room, membership] = await this.roomAndMembership(roomId, userId);
    if (room && room.ownerId !== userId) {
      if (await this.authz.can(userId, permission, { type: 'room', id: roomId })) return room;
    }
    assertCanAccess(room, membership);
    assertOwner(room, userId);
    return room;
  }

  async join(caller: Caller, roomId: string, password: string | undefined): Promise<Membership> {
    const [room, existing] = await this.roomAndMembership(roomId, caller.userId);
    if (!room) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    if (existing) return existing;
    assertNotDirect(room);
    // An organisation's room: as if it were not there for those its organisation keeps out.
    if (!(await this.orgAdmits(caller.userId, room)))
      throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    // An open invite lets its invitee in without the password, once.
    if (room.isPrivate && !(await this.invites.use(roomId, caller.userId))) {
      const { joinMaxFailures, joinFailureWindowSec } = this.authCfg;
      const failures = await this.rooms.countJoinFailures(
        roomId,
        caller.userId,
        joinFailureWindowSec,
      );
      if (failures.count >= joinMaxFailures)
        throw Errors.rateLimited(
          'ROOM_JOIN_THROTTLED',
          'too many wrong passwords for this room; try again later',
          failures.retryAfterSec,
          joinMaxFailures,
        );
      const ok =
        password !== undefined &&
        room.passwordHash !== null &&
        (await this.hasher.verify(room.passwordHash, password));
      if (!ok) {
        await this.rooms.recordJoinFailure(roomId, caller.userId);
        throw Errors.forbidden(
          'ROOM_PASSWORD_INVALID',
          password === undefined ? 'this room needs a password' : 'wrong room password',
        );
      }
      if (failures.count > 0) await this.rooms.clearJoinFailures(roomId, caller.userId);
    }
    const { membership, event } = await this.rooms.addMember(roomId, caller.userId);
    if (event) await this.publish(roomId, [event]);
    return membership;
  }

  /**
   * Whether the user may be in the room as far as its organisation goes: true for a room of no
   * organisation; for an organisation's room, only when a room policy (organisations module)
   * lets them in (with none, the module off, nobody).
   */
  async orgAdmits(userId: string, room: Room): Promise<boolean> {
    if (room.orgId === null) return true;
    let allowed = false;
    for (const p of this.ext.roomPolicies) if (await p.canJoin(userId, room)) allowed = true;
    return allowed;
  }

  async leave(caller: Caller, roomId: string): Promise<void> {
    assertNotDirect((await this.requireMember(caller.userId, roomId)).room);
    const result = await this.rooms.removeMember(roomId, caller.userId, 'left');
    this.forget(roomId, caller.userId);
    if (!result) return; // already gone (a concurrent leave)
    await this.publish(roomId, result.events);
  }

  /** Room events go out once committed, in log order (the log itself is their outbox). */
  private async publish(roomId: string, events: RoomEvent[]): Promise<void> {
    for (const event of events) await this.bus.publish({ type: 'room.event', roomId, event });
  }

  /**
   * Removes a member on someone else's decision (a moderator's kick, removal from the room's
   * organisation). Subscribers on every instance get member.left with reason "kicked", and the
   * removed user's subscriptions to the room end. An owner hands the room on as when leaving.
   * Returns false when they were not a member.
   */
  async removeMember(roomId: string, userId: string): Promise<boolean> {
    const found = await this.rooms.findWithMembership(roomId, userId);
    if (!found?.membership) return false;
    const result = await this.rooms.removeMember(roomId, userId, 'kicked');
    this.forget(roomId, userId);
    if (!result) return false;
    await this.publish(roomId, result.events);
    return true;
  }

  /**
   * Adds a member without the join rules (a room owner adding a bot, a module enrolling a user).
   * Callers check who may do this.
   */
  async addMember(roomId: string, userId: string): Promise<Membership> {
    const room = await this.rooms.findById(roomId);
    if (room) assertNotDirect(room); // its set of people is fixed
    const { membership, event } = await this.rooms.addMember(roomId, userId);
    if (event) await this.publish(roomId, [event]);
    return membership;
  }

  /** The room (no visibility rules): for modules that check access themselves. */
  async findRoom(roomId: string): Promise<Room | null> {
    return this.rooms.findById(roomId);
  }

  async members(
    caller: Caller,
    roomId: string,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<Membership>> {
    await this.requireMember(caller.userId, roomId);
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    const page = await this.rooms.listMembers(roomId, limit, after);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  private async roomAndMembership(
    roomId: string,
    userId: string,
  ): Promise<[Room | null, Membership | null]> {
    const found = await this.rooms.findWithMembership(roomId, userId);
    return found ? [found.room, found.membership] : [null, null];
  }
}
