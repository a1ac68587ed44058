import { describe, expect, it } from '@jest/globals';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import type { UserRepository } from '../users/domain/user.repository.js';
import type { PublicProfile, UserStatus } from '../users/domain/user.js';
import { DirectRoomsService } from './direct-rooms.service.js';
import { DIRECT_MAX_OTHERS } from './domain/direct-room.js';
import { InvitesService } from './invites.service.js';
import { InMemoryInvites, InMemoryRooms, roomsServiceOn } from './testing/in-memory-rooms.fake.js';
import { codeOf, recordingBus, settled } from '../../common/testing/unit-kit.fake.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const OWNER = { userId: id(1), username: 'owner' };
const BOB = { userId: id(2), username: 'bob' };
const CAROL = { userId: id(3), username: 'carol' };
const BANNED = { userId: id(4), username: 'banned' };

function setup() {
  const repo = new InMemoryRooms();
  const invites = new InMemoryInvites(repo);
  const profiles = new Map<string, PublicProfile>();
  const person = (u: { userId: string; username: string }, status: UserStatus = 'active') =>
    profiles.set(u.userId, {
      id: u.userId,
      username: u.username,
      avatarUrl: null,
      status,
      extensions: {},
    });
  person(OWNER);
  person(BOB);
  person(CAROL);
  person(BANNED, 'banned');
  for (let n = 10; n < 20; n++) person({ userId: id(n), username: `user${n}` });
  const users = {
    findProfiles: async (ids: string[]) => ids.flatMap((i) => profiles.get(i) ?? []),
  } as unknown as UserRepository;
  const { bus, published } = recordingBus();
  const ext = new ChatExtensions();
  const rooms = roomsServiceOn(repo, { bus, ext, invites });
  return {
    repo,
    invites,
    rooms,
    ext,
    published,
    inviteSvc: new InvitesService(invites, repo, rooms, users, bus),
    direct: new DirectRoomsService(repo, users, bus),
  };
}

describe('InvitesService', () => {
  it('the owner invites into a private room; the invitee hears of it and joins once without the password', async () => {
    const { rooms, inviteSvc, published } = setup();
    const room = await rooms.create(OWNER, { name: 'p', isPrivate: true, password: 'pw' });
    const invite = await inviteSvc.invite(OWNER.userId, room.id, BOB.userId);
    expect(published).toEqual([
      expect.objectContaining({
        type: 'invite.received',
        userId: BOB.userId,
        invite: expect.objectContaining({ id: invite.id, roomId: room.id }),
        room: expect.objectContaining({ id: room.id, name: 'p' }),
      }),
    ]);
    expect(JSON.stringify(published)).not.toContain('hashed:pw'); // the room as others see it
    expect((await inviteSvc.listOpen(BOB.userId)).items.map((i) => i.invite.id)).toEqual([
      invite.id,
    ]);
    await rooms.join(BOB, room.id, undefined);
    expect((await inviteSvc.listOpen(BOB.userId)).items).toEqual([]);
  });

  it('refuses what an invite cannot do, and sends nothing then', async () => {
    const { rooms, inviteSvc, published } = setup();
    const priv = await rooms.create(OWNER, { name: 'p', isPrivate: true, password: 'pw' });
    const pub = await rooms.create(OWNER, { name: 'o', isPrivate: false });
    await rooms.join(CAROL, pub.id, undefined);
    await inviteSvc.invite(OWNER.userId, priv.id, BOB.userId);
    const cases = settled([
      ['ROOM_NOT_PRIVATE', inviteSvc.invite(OWNER.userId, pub.id, BOB.userId)],
      ['ALREADY_MEMBER', inviteSvc.invite(OWNER.userId, priv.id, OWNER.userId)],
      ['INVITE_EXISTS', inviteSvc.invite(OWNER.userId, priv.id, BOB.userId)],
      ['USER_NOT_FOUND', inviteSvc.invite(OWNER.userId, priv.id, id(999))],
      ['USER_INACTIVE', inviteSvc.invite(OWNER.userId, priv.id, BANNED.userId)],
      // Not the owner: a private room is not there for a non-member; a member is not its owner.
      ['ROOM_NOT_FOUND', inviteSvc.invite(CAROL.userId, priv.id, BOB.userId)],
      ['NOT_ROOM_OWNER', inviteSvc.invite(CAROL.userId, pub.id, BOB.userId)],
    ]);
    for (const [code, p] of cases) expect(await p).toBe(code);
    expect(published.filter((e) => e.type === 'invite.received')).toHaveLength(1);
  });

  it('the invitee declines or the owner withdraws; anyone else sees no invite', async () => {
    const { rooms, inviteSvc, invites } = setup();
    const room = await rooms.create(OWNER, { name: 'p', isPrivate: true, password: 'pw' });
    const a = await inviteSvc.invite(OWNER.userId, room.id, BOB.userId);
    expect(await codeOf(inviteSvc.close(CAROL.userId, room.id, a.id))).toBe('INVITE_NOT_FOUND');
    await inviteSvc.close(BOB.userId, room.id, a.id);
    expect(invites.invites.get(a.id)!.closed).toBe('declined');
    expect(await codeOf(inviteSvc.close(BOB.userId, room.id, a.id))).toBe('INVITE_NOT_FOUND');
    const b = await inviteSvc.invite(OWNER.userId, room.id, BOB.userId);
    await inviteSvc.close(OWNER.userId, room.id, b.id);
    expect(invites.invites.get(b.id)!.closed).toBe('withdrawn');
    // A closed invite lets nobody in.
    expect(await codeOf(rooms.join(BOB, room.id, undefined))).toBe('ROOM_PASSWORD_INVALID');
  });

  it('an organisation’s room: only its members can be invited, and a left member’s invite is not listed', async () => {
    const { rooms, ext, inviteSvc } = setup();
    const inOrg = new Set([OWNER.userId, BOB.userId]);
    ext.addRoomPolicy({
      name: 'orgs',
      beforeCreate: async () => undefined,
      canSee: async (u) => inOrg.has(u),
      canJoin: async (u) => inOrg.has(u),
    });
    const room = await rooms.create(OWNER, {
      name: 'p',
      isPrivate: true,
      password: 'pw',
      orgId: id(77),
    });
    expect(await codeOf(inviteSvc.invite(OWNER.userId, room.id, CAROL.userId))).toBe(
      'NOT_ORG_MEMBER',
    );
    await inviteSvc.invite(OWNER.userId, room.id, BOB.userId);
    inOrg.delete(BOB.userId);
    expect((await inviteSvc.listOpen(BOB.userId)).items).toEqual([]);
    expect(await codeOf(rooms.join(BOB, room.id, undefined))).toBe('ROOM_NOT_FOUND');
  });
});

describe('DirectRoomsService', () => {
  it('one room per set of people, however it is asked for; only a new one is announced', async () => {
    const { direct, published, repo } = setup();
    const first = await direct.open(OWNER.userId, [BOB.userId, CAROL.userId]);
    const again = await direct.open(CAROL.userId, [BOB.userId.toUpperCase(), OWNER.userId]);
    expect(first.created).toBe(true);
    expect(again).toEqual({ room: first.room, created: false });
    expect(first.room.name).toBe('bob, carol, owner');
    expect([...repo.members.get(first.room.id)!.keys()].sort()).toEqual(
      [OWNER.userId, BOB.userId, CAROL.userId].sort(),
    );
    expect(published.map((e) => e.type === 'dm.created' && e.memberIds.length)).toEqual([3]);
    const pair = await direct.open(OWNER.userId, [BOB.userId]);
    expect(pair.room.id).not.toBe(first.room.id);
  });

  it('refuses nobody else, a user twice, too many, unknown or inactive users, creating nothing', async () => {
    const { direct, repo, published } = setup();
    const many = Array.from({ length: DIRECT_MAX_OTHERS + 1 }, (_, i) => id(10 + i));
    const cases = settled([
      ['DM_NEEDS_OTHERS', direct.open(OWNER.userId, [])],
      ['DM_NEEDS_OTHERS', direct.open(OWNER.userId, [OWNER.userId])],
      ['VALIDATION_FAILED', direct.open(OWNER.userId, [BOB.userId, BOB.userId])],
      ['DM_TOO_MANY_USERS', direct.open(OWNER.userId, many)],
      ['USER_NOT_FOUND', direct.open(OWNER.userId, [id(999)])],
      ['USER_INACTIVE', direct.open(OWNER.userId, [BANNED.userId])],
    ]);
    for (const [code, p] of cases) expect(await p).toBe(code);
    expect(repo.rooms.size).toBe(0);
    expect(published).toEqual([]);
    // Exactly the most others allowed is fine.
    await direct.open(OWNER.userId, many.slice(0, DIRECT_MAX_OTHERS));
  });

  it('a direct room takes no invites', async () => {
    const { direct, inviteSvc } = setup();
    const { room } = await direct.open(OWNER.userId, [BOB.userId]);
    expect(await codeOf(inviteSvc.invite(OWNER.userId, room.id, CAROL.userId))).toBe('DIRECT_ROOM');
  });
});
