import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AuthorizationService } from '../../common/authz/authorization.service.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import { InMemoryInvites, InMemoryRooms, roomsServiceOn } from './testing/in-memory-rooms.fake.js';
import { codeOf, recordingBus } from '../../common/testing/unit-kit.fake.js';

const OWNER = { userId: '00000000-0000-4000-8000-00000000000a', username: 'owner' };
const BOB = { userId: '00000000-0000-4000-8000-00000000000b', username: 'bob' };
const CAROL = { userId: '00000000-0000-4000-8000-00000000000c', username: 'carol' };
const ADMIN = { userId: '00000000-0000-4000-8000-00000000000d', username: 'admin' };

function setup(opts: { deleteAnyHolders?: string[] } = {}) {
  const repo = new InMemoryRooms();
  const invites = new InMemoryInvites(repo);
  const { bus, published, deliver: fromBus } = recordingBus();
  const ext = new ChatExtensions();
  const holders = new Set(opts.deleteAnyHolders ?? []);
  const authz = {
    can: async (userId: string, permission: string) =>
      permission.endsWith('.any') && holders.has(userId),
  } as unknown as AuthorizationService;
  const auth = { ROOM_JOIN_MAX_FAILURES: '3', ROOM_JOIN_FAILURE_WINDOW_SEC: '60' };
  const svc = roomsServiceOn(repo, { bus, ext, authz, invites, auth });
  svc.onModuleInit();
  const events = (roomId: string) =>
    published.flatMap((e) =>
      e.type === 'room.event' && e.roomId === roomId
        ? [e.event.event]
        : e.type === 'room.deleted'
          ? ['room.deleted']
          : [],
    );
  return { svc, repo, ext, invites, published, events, fromBus };
}

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
    const { svc, invites, events } = setup();
    const room = await svc.create(OWNER, { name: 'p', isPrivate: true, password: 'sesame' });
    await invites.create(room.id, BOB.userId, OWNER.userId);
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
