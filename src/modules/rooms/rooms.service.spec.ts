import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AuthorizationService } from '../../common/authz/authorization.service.js';
import type { ChatEvent, RoomEvent, RoomEventDraft } from '../../common/events/chat-events.js';
import type { ChatEventHandler, EventBus } from '../../common/events/event-bus.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import { PasswordHasher } from '../../common/security/password-hasher.js';
import { authConfig } from '../../config/configuration.js';
import type { InviteRepository } from './domain/invite.repository.js';
import {
  RoomRepository,
  type KeysetPage,
  type NewRoom,
  type RoomPatch,
} from './domain/room.repository.js';
import { toRoomView, type Membership, type Room } from './domain/room.js';
import { RoomsService } from './rooms.service.js';

const OWNER = { userId: '00000000-0000-4000-8000-00000000000a', username: 'owner' };
const BOB = { userId: '00000000-0000-4000-8000-00000000000b', username: 'bob' };
const CAROL = { userId: '00000000-0000-4000-8000-00000000000c', username: 'carol' };
const ADMIN = { userId: '00000000-0000-4000-8000-00000000000d', username: 'admin' };

/**
 * Rooms and memberships in memory, as the SQL repository keeps them: a member.joined or
 * member.left event per change (none for a repeat), the owner's place handed on when they
 * leave, reads counted (the membership cache is about not reading).
 */
class InMemoryRooms extends RoomRepository {
  readonly rooms = new Map<string, Room>();
  readonly members = new Map<string, Map<string, Membership>>();
  readonly failures = new Map<string, number>();
  readonly eventSeq = new Map<string, number>();
  membershipReads = 0;

  create(r: NewRoom): Promise<Room> {
    const now = new Date();
    const room: Room = {
      id: randomUUID(),
      kind: 'room',
      name: r.name,
      description: r.description,
      ownerId: r.ownerId,
      isPrivate: r.isPrivate,
      passwordHash: r.passwordHash,
      orgId: r.orgId ?? null,
      memberCount: 0,
      lastSeq: 0,
      lastEventSeq: 0,
      retentionDays: null,
      createdAt: now,
      updatedAt: now,
    };
    this.rooms.set(room.id, room);
    this.members.set(room.id, new Map());
    this.put(room.id, r.ownerId, 'owner');
    return Promise.resolve(room);
  }
  findOrCreateDirect(): never {
    throw new Error('not used by RoomsService');
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
    for (const [k, v] of Object.entries(patch))
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
  removeMember(roomId: string, userId: string, reason: 'left' | 'kicked') {
    const members = this.members.get(roomId);
    if (!members?.delete(userId)) return Promise.resolve(null);
    const room = this.rooms.get(roomId)!;
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

class PlainHasher extends PasswordHasher {
  hash(p: string): Promise<string> {
    return Promise.resolve(`hashed:${p}`);
  }
  verify(hash: string, p: string): Promise<boolean> {
    return Promise.resolve(hash === `hashed:${p}`);
  }
}

function setup(opts: { deleteAnyHolders?: string[] } = {}) {
  const repo = new InMemoryRooms();
  const openInvites = new Set<string>(); // `${roomId}/${userId}`
  const invites = {
    use: async (roomId: string, userId: string) => openInvites.delete(`${roomId}/${userId}`),
  } as unknown as InviteRepository;
  const published: ChatEvent[] = [];
  const handlers: ChatEventHandler[] = [];
  const bus = {
    publish: async (e: ChatEvent) => void published.push(e),
    subscribe: (h: ChatEventHandler) => {
      handlers.push(h);
      return () => undefined;
    },
  } as unknown as EventBus;
  /** What another instance's change looks like here: the event arriving from the bus. */
  const fromBus = (e: ChatEvent) => handlers.forEach((h) => h(e));
  const cfg = authConfig({
    JWT_SECRET: 'x'.repeat(48),
    ROOM_JOIN_MAX_FAILURES: '3',
    ROOM_JOIN_FAILURE_WINDOW_SEC: '60',
  });
  const ext = new ChatExtensions();
  const holders = new Set(opts.deleteAnyHolders ?? []);
  const authz = {
    can: async (userId: string, permission: string) =>
      permission.endsWith('.any') && holders.has(userId),
  } as unknown as AuthorizationService;
  const svc = new RoomsService(repo, invites, new PlainHasher(), bus, cfg, ext, authz);
  svc.onModuleInit();
  const events = (roomId: string) =>
    published.flatMap((e) =>
      e.type === 'room.event' && e.roomId === roomId
        ? [e.event.event]
        : e.type === 'room.deleted'
          ? ['room.deleted']
          : [],
    );
  return { svc, repo, ext, openInvites, published, events, fromBus };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: Error & { code?: string }) => e.code ?? e.message,
  );

describe('RoomsService: the membership check on the send path', () => {
  it('trusts a confirmed membership for a while without reading it again', async () => {
    const { svc, repo } = setup();
    const room = await svc.create(OWNER, { name: 'r', isPrivate: false });
    await svc.assertMember(OWNER.userId, room.id);
    const reads = repo.membershipReads;
    for (let i = 0; i < 10; i++) await svc.assertMember(OWNER.userId, room.id);
    expect(repo.membershipReads).toBe(reads);
  });

  it('a leave, a kick or a delete counts at once, here and when another instance did it', async () => {
    const { svc, repo, fromBus } = setup();
    const room = await svc.create(OWNER, { name: 'r', isPrivate: false });
    for (const u of [BOB, CAROL]) await svc.join(u, room.id, undefined);
    for (const u of [OWNER, BOB, CAROL]) await svc.assertMember(u.userId, room.id);

    await svc.leave(BOB, room.id); // here
    expect(await codeOf(svc.assertMember(BOB.userId, room.id))).toBe('NOT_ROOM_MEMBER');

    // CAROL removed by another instance: its member.left reaches this one through the bus.
    await repo.removeMember(room.id, CAROL.userId, 'kicked');
    expect(await codeOf(svc.assertMember(CAROL.userId, room.id))).toBe('resolved'); // cached
    fromBus({
      type: 'room.event',
      roomId: room.id,
      event: {
        eventSeq: 99,
        event: 'member.left',
        data: {
          roomId: room.id,
          userId: CAROL.userId,
          username: 'c',
          reason: 'kicked',
          eventSeq: 99,
        },
        createdAt: new Date().toISOString(),
      },
    });
    expect(await codeOf(svc.assertMember(CAROL.userId, room.id))).toBe('NOT_ROOM_MEMBER');

    await repo.delete(room.id); // deleted elsewhere
    fromBus({ type: 'room.deleted', roomId: room.id });
    expect(await codeOf(svc.assertMember(OWNER.userId, room.id))).toBe('ROOM_NOT_FOUND');
  });

  it('a membership read that raced a removal is not trusted afterwards', async () => {
    const { svc, repo } = setup();
    const room = await svc.create(OWNER, { name: 'r', isPrivate: false });
    await svc.join(BOB, room.id, undefined);
    // BOB's check reads the membership; a kick lands while that read is in flight.
    const read = repo.findWithMembership.bind(repo);
    repo.findWithMembership = async (roomId, userId) => {
      repo.findWithMembership = read; // once
      const found = await read(roomId, userId);
      await svc.removeMember(room.id, BOB.userId);
      return found;
    };
    await svc.assertMember(BOB.userId, room.id); // answered from the read before the kick
    expect(await codeOf(svc.assertMember(BOB.userId, room.id))).toBe('NOT_ROOM_MEMBER');
  });
});

describe('RoomsService: joining', () => {
  it('a private room takes the right password; wrong ones count and end in a back-off', async () => {
    const { svc, repo, events } = setup();
    const room = await svc.create(OWNER, { name: 'p', isPrivate: true, password: 'sesame' });
    expect(room.passwordHash).toBe('hashed:sesame');
    expect(await codeOf(svc.join(BOB, room.id, undefined))).toBe('ROOM_PASSWORD_INVALID');
    expect(await codeOf(svc.join(BOB, room.id, 'nope'))).toBe('ROOM_PASSWORD_INVALID');
    await svc.join(BOB, room.id, 'sesame');
    expect(repo.failures.size).toBe(0); // a success forgets the failures
    for (let i = 0; i < 3; i++)
      expect(await codeOf(svc.join(CAROL, room.id, 'guess'))).toBe('ROOM_PASSWORD_INVALID');
    // Now even the right password waits: the throttle is checked before the password.
    expect(await codeOf(svc.join(CAROL, room.id, 'sesame'))).toBe('ROOM_JOIN_THROTTLED');
    expect(events(room.id)).toEqual(['member.joined']);
  });

  it('an open invite lets its invitee in without the password, once; a repeat join changes nothing', async () => {
    const { svc, openInvites, events } = setup();
    const room = await svc.create(OWNER, { name: 'p', isPrivate: true, password: 'sesame' });
    openInvites.add(`${room.id}/${BOB.userId}`);
    await svc.join(BOB, room.id, undefined);
    await svc.join(BOB, room.id, undefined); // already a member: no password asked, no event
    expect(events(room.id)).toEqual(['member.joined']);
    await svc.leave(BOB, room.id);
    expect(await codeOf(svc.join(BOB, room.id, undefined))).toBe('ROOM_PASSWORD_INVALID');
  });

  it('an organisation’s room is not there for those its organisation keeps out', async () => {
    const { svc, ext } = setup();
    expect(
      await codeOf(svc.create(OWNER, { name: 'o', isPrivate: false, orgId: randomUUID() })),
    ).toBe('VALIDATION_FAILED'); // no organisations module
    ext.addRoomPolicy({
      name: 'orgs',
      beforeCreate: async () => undefined,
      canSee: async (userId) => userId === BOB.userId,
      canJoin: async (userId) => userId === BOB.userId,
    });
    const room = await svc.create(OWNER, { name: 'o', isPrivate: false, orgId: randomUUID() });
    expect(await codeOf(svc.get(CAROL, room.id))).toBe('ROOM_NOT_FOUND');
    expect(await codeOf(svc.join(CAROL, room.id, undefined))).toBe('ROOM_NOT_FOUND');
    expect((await svc.get(BOB, room.id)).id).toBe(room.id);
    await svc.join(BOB, room.id, undefined);
  });
});

describe('RoomsService: owners, settings and leaving', () => {
  it('only the owner, or a holder of the any-permission, changes or deletes a room', async () => {
    const { svc, events } = setup({ deleteAnyHolders: [ADMIN.userId] });
    const room = await svc.create(OWNER, { name: 'r', isPrivate: false });
    await svc.join(BOB, room.id, undefined);
    expect(await codeOf(svc.update(BOB, room.id, { name: 'mine' }))).toBe('NOT_ROOM_OWNER');
    expect(await codeOf(svc.delete(BOB, room.id))).toBe('NOT_ROOM_OWNER');
    expect(await codeOf(svc.update(CAROL, room.id, { name: 'x' }))).toBe('NOT_ROOM_MEMBER');
    expect((await svc.update(ADMIN, room.id, { name: 'renamed' })).name).toBe('renamed');
    await svc.delete(ADMIN, room.id);
    expect(events(room.id)).toEqual(['member.joined', 'room.updated', 'room.deleted']);
  });

  it('bad settings change nothing: retention, a password on a public room, a private one without', async () => {
    const { svc, repo, events } = setup();
    const room = await svc.create(OWNER, { name: 'r', isPrivate: false });
    for (const retentionDays of [0, -1, 1.5, 'ten'])
      expect(await codeOf(svc.update(OWNER, room.id, { name: 'x', retentionDays }))).toBe(
        'RETENTION_DAYS_INVALID',
      );
    expect(await codeOf(svc.update(OWNER, room.id, { password: 'pw' }))).toBe('VALIDATION_FAILED');
    expect(await codeOf(svc.update(OWNER, room.id, { isPrivate: true }))).toBe(
      'ROOM_PASSWORD_REQUIRED',
    );
    expect(await codeOf(svc.create(OWNER, { name: 'q', isPrivate: true }))).toBe(
      'ROOM_PASSWORD_REQUIRED',
    );
    expect(repo.rooms.get(room.id)).toMatchObject({
      name: 'r',
      isPrivate: false,
      retentionDays: null,
    });
    expect(events(room.id)).toEqual([]);
    // Made public, a private room forgets its password.
    const p = await svc.create(OWNER, { name: 'p', isPrivate: true, password: 'pw' });
    expect((await svc.update(OWNER, p.id, { isPrivate: false })).passwordHash).toBeNull();
  });

  it('an owner who leaves hands the room on; a kick is a member.left too', async () => {
    const { svc, repo, events } = setup();
    const room = await svc.create(OWNER, { name: 'r', isPrivate: false });
    await svc.join(BOB, room.id, undefined);
    await svc.join(CAROL, room.id, undefined);
    await svc.leave(OWNER, room.id);
    expect(repo.rooms.get(room.id)!.ownerId).toBe(BOB.userId);
    expect(await svc.removeMember(room.id, CAROL.userId)).toBe(true);
    expect(await svc.removeMember(room.id, CAROL.userId)).toBe(false);
    expect(events(room.id)).toEqual([
      'member.joined',
      'member.joined',
      'member.left',
      'member.left',
    ]);
    expect(await codeOf(svc.leave(CAROL, room.id))).toBe('NOT_ROOM_MEMBER');
  });

  it('a direct room cannot be joined, left, changed or deleted', async () => {
    const { svc, repo } = setup();
    const room = await svc.create(OWNER, { name: 'd', isPrivate: false });
    repo.rooms.get(room.id)!.kind = 'direct';
    for (const p of [
      svc.join(BOB, room.id, undefined),
      svc.leave(OWNER, room.id),
      svc.update(OWNER, room.id, { name: 'x' }),
      svc.delete(OWNER, room.id),
      svc.addMember(room.id, BOB.userId),
    ])
      expect(await codeOf(p)).toBe('DIRECT_ROOM');
  });
});
