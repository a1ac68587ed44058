// In-memory fakes of the rooms context's persistence ports, for the services' unit tests (not
// built into dist: *.fake.ts is excluded). They keep the SQL repositories' contracts as the
// services rely on them.
import { randomUUID } from 'node:crypto';
import type { AuthorizationService } from '../../../common/authz/authorization.service.js';
import type { EventBus } from '../../../common/events/event-bus.js';
import { ChatExtensions } from '../../../common/extensions/chat-extensions.js';
import { PlainHasher } from '../../../common/testing/unit-kit.fake.js';
import { authConfig } from '../../../config/configuration.js';
import type { RoomEvent, RoomEventDraft } from '../../../common/events/chat-events.js';
import { Errors } from '../../../common/errors/domain-error.js';
import type { Invite, InviteCloseReason } from '../domain/invite.js';
import { InviteRepository } from '../domain/invite.repository.js';
import {
  RoomRepository,
  type KeysetPage,
  type NewRoom,
  type RoomPatch,
} from '../domain/room.repository.js';
import { toRoomView, type Membership, type Room } from '../domain/room.js';
import { RoomsService } from '../rooms.service.js';

/**
 * Rooms and memberships in memory, as the SQL repository keeps them: a member.joined or
 * member.left event per change (none for a repeat), the owner's place handed on when they
 * leave, reads counted (the membership cache is about not reading).
 */
export class InMemoryRooms extends RoomRepository {
  readonly rooms = new Map<string, Room>();
  readonly members = new Map<string, Map<string, Membership>>();
  readonly failures = new Map<string, number>();
  readonly eventSeq = new Map<string, number>();
  readonly directByKey = new Map<string, string>();
  membershipReads = 0;

  create(r: NewRoom): Promise<Room> {
    const room: Room = {
      ...this.blank(randomUUID(), new Date()),
      name: r.name,
      description: r.description,
      ownerId: r.ownerId,
      isPrivate: r.isPrivate,
      passwordHash: r.passwordHash,
      orgId: r.orgId ?? null,
    };
    this.rooms.set(room.id, room);
    this.members.set(room.id, new Map());
    this.put(room.id, r.ownerId, 'owner');
    return Promise.resolve(room);
  }
  findOrCreateDirect(input: { key: string; memberIds: string[]; creatorId: string; name: string }) {
    const existing = this.directByKey.get(input.key);
    if (existing) return Promise.resolve({ room: this.rooms.get(existing)!, created: false });
    const id = randomUUID();
    const now = new Date();
    this.rooms.set(id, {
      ...this.blank(id, now),
      kind: 'direct',
      name: input.name,
      ownerId: input.creatorId,
      isPrivate: true,
    });
    this.members.set(id, new Map());
    for (const m of input.memberIds) this.put(id, m, m === input.creatorId ? 'owner' : 'member');
    this.directByKey.set(input.key, id);
    return Promise.resolve({ room: this.rooms.get(id)!, created: true });
  }
  findById(id: string): Promise<Room | null> {
    return Promise.resolve(this.rooms.get(id) ?? null);
  }
  findWithMembership(
    roomId: string,
    userId: string,
  ): Promise<{ room: Room; membership: Membership | null } | null> {
    this.membershipReads++;
    const room = this.rooms.get(roomId);
    if (!room) return Promise.resolve(null);
    return Promise.resolve({ room, membership: this.members.get(roomId)!.get(userId) ?? null });
  }
  listVisible(): Promise<KeysetPage<Room>> {
    return Promise.resolve({ items: [...this.rooms.values()], next: null });
  }
  update(id: string, patch: RoomPatch): Promise<{ room: Room; event: RoomEvent }> {
    const room = this.rooms.get(id)!;
    for (const [k, v] of Object.entries(patch) as [string, unknown][])
      if (v !== undefined) Object.assign(room, { [k]: v });
    const event = this.record(id, {
      event: 'room.updated',
      data: { ...toRoomView(room), roomId: id },
    });
    return Promise.resolve({ room, event });
  }
  delete(id: string): Promise<void> {
    this.rooms.delete(id);
    this.members.delete(id);
    return Promise.resolve();
  }
  addMember(roomId: string, userId: string) {
    const existing = this.members.get(roomId)!.get(userId);
    if (existing) return Promise.resolve({ membership: existing, created: false, event: null });
    const membership = this.put(roomId, userId, 'member');
    const data = { roomId, userId, username: userId.slice(-1) };
    const event = this.record(roomId, { event: 'member.joined', data });
    return Promise.resolve({ membership, created: true, event });
  }
  removeMember(
    roomId: string,
    userId: string,
    reason: 'left' | 'kicked',
  ): Promise<{ newOwnerId: string | null; events: RoomEvent[] } | null> {
    const members = this.members.get(roomId);
    if (!members?.has(userId)) return Promise.resolve(null);
    const room = this.rooms.get(roomId)!;
    if (room.ownerId === userId && members.size === 1)
      return Promise.reject(
        Errors.conflict('OWNER_LAST_MEMBER', 'the owner is the last member; delete the room'),
      );
    members.delete(userId);
    room.memberCount--;
    const events = [
      this.record(roomId, {
        event: 'member.left',
        data: { roomId, userId, username: userId.slice(-1), reason },
      }),
    ];
    let newOwnerId: string | null = null;
    if (room.ownerId === userId) {
      newOwnerId = [...members.keys()][0] ?? null;
      if (newOwnerId) room.ownerId = newOwnerId;
    }
    return Promise.resolve({ newOwnerId, events });
  }
  listMembers(roomId: string): Promise<KeysetPage<Membership>> {
    return Promise.resolve({ items: [...this.members.get(roomId)!.values()], next: null });
  }
  countJoinFailures(roomId: string, userId: string) {
    return Promise.resolve({
      count: this.failures.get(`${roomId}/${userId}`) ?? 0,
      retryAfterSec: 60,
    });
  }
  recordJoinFailure(roomId: string, userId: string): Promise<void> {
    const k = `${roomId}/${userId}`;
    this.failures.set(k, (this.failures.get(k) ?? 0) + 1);
    return Promise.resolve();
  }
  clearJoinFailures(roomId: string, userId: string): Promise<void> {
    this.failures.delete(`${roomId}/${userId}`);
    return Promise.resolve();
  }

  private blank(id: string, now: Date): Room {
    return {
      id,
      kind: 'room',
      name: '',
      description: '',
      ownerId: '',
      isPrivate: false,
      passwordHash: null,
      orgId: null,
      memberCount: 0,
      lastSeq: 0,
      lastEventSeq: 0,
      retentionDays: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  private put(roomId: string, userId: string, role: Membership['role']): Membership {
    const m: Membership = {
      roomId,
      userId,
      username: userId.slice(-1),
      role,
      joinedAt: new Date(),
    };
    this.members.get(roomId)!.set(userId, m);
    this.rooms.get(roomId)!.memberCount++;
    return m;
  }

  private record(roomId: string, draft: RoomEventDraft): RoomEvent {
    const eventSeq = (this.eventSeq.get(roomId) ?? 0) + 1;
    this.eventSeq.set(roomId, eventSeq);
    const data = { ...draft.data, eventSeq };
    return { eventSeq, event: draft.event, data, createdAt: new Date().toISOString() } as RoomEvent;
  }
}

/** Invites in memory: one open invite per (room, user), closed or used once. */
export class InMemoryInvites extends InviteRepository {
  readonly invites = new Map<string, Invite & { closed: InviteCloseReason | null }>();

  constructor(private readonly rooms: InMemoryRooms) {
    super();
  }

  create(roomId: string, userId: string, invitedBy: string): Promise<Invite> {
    if (this.openOf(roomId, userId))
      return Promise.reject(Errors.conflict('INVITE_EXISTS', 'an open invite exists'));
    const invite = { id: randomUUID(), roomId, userId, invitedBy, createdAt: new Date() };
    this.invites.set(invite.id, { ...invite, closed: null });
    return Promise.resolve(invite);
  }
  findOpen(id: string, roomId: string): Promise<Invite | null> {
    const i = this.invites.get(id);
    return Promise.resolve(i && !i.closed && i.roomId === roomId ? i : null);
  }
  close(id: string, reason: InviteCloseReason): Promise<boolean> {
    const i = this.invites.get(id);
    if (!i || i.closed) return Promise.resolve(false);
    i.closed = reason;
    return Promise.resolve(true);
  }
  use(roomId: string, userId: string): Promise<boolean> {
    const i = this.openOf(roomId, userId);
    if (i) i.closed = 'used';
    return Promise.resolve(!!i);
  }
  listOpenFor(userId: string): Promise<KeysetPage<{ invite: Invite; room: Room }>> {
    const items = [...this.invites.values()]
      .filter((i) => i.userId === userId && !i.closed && this.rooms.rooms.has(i.roomId))
      .map((invite) => ({ invite, room: this.rooms.rooms.get(invite.roomId)! }));
    return Promise.resolve({ items, next: null });
  }

  private openOf(roomId: string, userId: string) {
    return [...this.invites.values()].find(
      (i) => i.roomId === roomId && i.userId === userId && !i.closed,
    );
  }
}

/**
 * The real RoomsService on in-memory rooms and invites, for the specs of the services built on
 * it. `auth` overrides the auth settings' environment (the join back-off's); nobody holds any
 * permission unless `authz` says so.
 */
export function roomsServiceOn(
  repo: InMemoryRooms,
  deps: {
    bus: EventBus;
    ext?: ChatExtensions;
    authz?: AuthorizationService;
    invites?: InMemoryInvites;
    auth?: Record<string, string>;
  },
): RoomsService {
  return new RoomsService(
    repo,
    deps.invites ?? new InMemoryInvites(repo),
    new PlainHasher(),
    deps.bus,
    authConfig({ JWT_SECRET: 'x'.repeat(48), ...deps.auth }),
    deps.ext ?? new ChatExtensions(),
    deps.authz ?? ({ can: () => Promise.resolve(false) } as unknown as AuthorizationService),
  );
}
