import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthorizationService } from '../../common/authz/authorization.service.js';
import { Errors } from '../../common/errors/domain-error.js';
import { InMemoryRooms, roomsServiceOn } from '../rooms/testing/in-memory-rooms.fake.js';
import type { OrgMember, Organization } from './domain/organization.js';
import { OrganizationRepository, type MemberWrite } from './domain/organization.repository.js';
import { OrganizationsService } from './organizations.service.js';
import { codeOf, recordingBus } from '../../common/testing/unit-kit.fake.js';

const person = (username: string) => ({ userId: randomUUID() as string, username });
const OWNER = person('owner');
const ADMIN = person('admin');
const MEMBER = person('member');
const OUTSIDER = person('outsider');
const MANAGER = person('manager'); // holds org.manage, in no organisation

const unused = (): never => {
  throw new Error('not used by these tests');
};

/**
 * The member side of OrganizationRepository in memory: owners counted under the same "lock" as
 * the decision, the organisation's rooms read from the in-memory rooms. The structure side
 * (departments, positions) is the SQL repository's own integration test's business.
 */
class InMemoryOrgs extends OrganizationRepository {
  readonly orgs = new Map<string, Organization>();
  readonly members = new Map<string, Map<string, OrgMember>>();

  constructor(private readonly rooms: InMemoryRooms) {
    super();
  }

  create(name: string, createdBy: string): Promise<Organization> {
    const org = { id: randomUUID(), name, createdBy, createdAt: new Date(), memberCount: 0 };
    this.orgs.set(org.id, org);
    this.members.set(org.id, new Map());
    this.put(org.id, createdBy, { role: 'owner', departmentId: null, positionId: null });
    return Promise.resolve(org);
  }
  findWithRole(orgId: string, userId: string) {
    const org = this.orgs.get(orgId);
    if (!org) return Promise.resolve(null);
    return Promise.resolve({ org, role: this.members.get(orgId)!.get(userId)?.role ?? null });
  }
  async roleOf(orgId: string, userId: string) {
    return (await this.findWithRole(orgId, userId))?.role ?? null;
  }
  writeMember(
    orgId: string,
    userId: string,
    decide: (current: OrgMember | null, owners: number) => MemberWrite,
  ) {
    const current = this.members.get(orgId)!.get(userId) ?? null;
    const write = decide(current, this.owners(orgId));
    return Promise.resolve({ member: this.put(orgId, userId, write), created: !current });
  }
  removeMember(orgId: string, userId: string, check: (current: OrgMember, owners: number) => void) {
    const current = this.members.get(orgId)!.get(userId);
    if (!current) return Promise.resolve(false);
    check(current, this.owners(orgId));
    this.members.get(orgId)!.delete(userId);
    return Promise.resolve(true);
  }
  roomIdsWithMember(orgId: string, userId: string) {
    return Promise.resolve(
      [...this.rooms.rooms.values()]
        .filter((r) => r.orgId === orgId && this.rooms.members.get(r.id)!.has(userId))
        .map((r) => r.id),
    );
  }
  seniorOwner(orgId: string, exceptUserId: string) {
    const owner = [...this.members.get(orgId)!.values()].find(
      (m) => m.role === 'owner' && m.userId !== exceptUserId,
    );
    return Promise.resolve(owner?.userId ?? null);
  }
  listForUser = unused;
  createDepartment = unused;
  updateDepartment = unused;
  deleteDepartment = unused;
  findDepartment = unused;
  createPosition = unused;
  updatePosition = unused;
  deletePosition = unused;
  structure = unused;
  listMembers = unused;
  listRooms = unused;

  private owners(orgId: string): number {
    return [...this.members.get(orgId)!.values()].filter((m) => m.role === 'owner').length;
  }

  private put(orgId: string, userId: string, w: MemberWrite): OrgMember {
    const m: OrgMember = { orgId, userId, username: userId.slice(-4), ...w, joinedAt: new Date() };
    this.members.get(orgId)!.set(userId, m);
    return m;
  }
}

async function setup() {
  const roomRepo = new InMemoryRooms();
  const { bus, published } = recordingBus();
  const authz = {
    can: async (userId: string, permission: string) =>
      permission === 'org.manage' && userId === MANAGER.userId,
  } as unknown as AuthorizationService;
  const rooms = roomsServiceOn(roomRepo, { bus, authz });
  const orgs = new InMemoryOrgs(roomRepo);
  const svc = new OrganizationsService(orgs, authz, rooms);
  const { org } = await svc.create(OWNER, 'acme');
  await svc.putMember(OWNER, org.id, ADMIN.userId, { role: 'admin' });
  await svc.putMember(OWNER, org.id, MEMBER.userId, {});
  /** A room of the organisation, owned by `owner`, with `others` in it. */
  const orgRoom = async (owner: { userId: string }, ...others: { userId: string }[]) => {
    const room = await roomRepo.create({
      name: randomUUID(),
      description: '',
      isPrivate: false,
      passwordHash: null,
      ownerId: owner.userId,
      orgId: org.id,
    });
    for (const o of others) await roomRepo.addMember(room.id, o.userId);
    return room.id;
  };
  const inRoom = (roomId: string) => [...roomRepo.members.get(roomId)!.keys()];
  return { svc, org, orgs, roomRepo, orgRoom, inRoom, published };
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('OrganizationsService: who sees and who manages', () => {
  it('non-members see no organisation at all; an org.manage holder sees and manages it', async () => {
    const { svc, org } = await setup();
    expect(await codeOf(svc.get(OUTSIDER, org.id))).toBe('ORG_NOT_FOUND');
    expect(await codeOf(svc.get(OUTSIDER, randomUUID()))).toBe('ORG_NOT_FOUND');
    expect(await svc.get(MEMBER, org.id)).toMatchObject({ role: 'member' });
    expect(await svc.get(MANAGER, org.id)).toMatchObject({ role: null });
    const { member } = await svc.putMember(MANAGER, org.id, OUTSIDER.userId, {});
    expect(member.role).toBe('member');
  });

  it('a plain member manages nothing; only an owner makes or unmakes owners; the last owner stays', async () => {
    const { svc, org } = await setup();
    expect(await codeOf(svc.putMember(MEMBER, org.id, OUTSIDER.userId, {}))).toBe(
      'PERMISSION_DENIED',
    );
    expect(await codeOf(svc.putMember(ADMIN, org.id, MEMBER.userId, { role: 'owner' }))).toBe(
      'PERMISSION_DENIED',
    );
    expect(await codeOf(svc.putMember(OWNER, org.id, OWNER.userId, { role: 'admin' }))).toBe(
      'ORG_LAST_OWNER',
    );
    expect(await codeOf(svc.removeMember(OWNER, org.id, OWNER.userId))).toBe('ORG_LAST_OWNER');
    await svc.putMember(OWNER, org.id, ADMIN.userId, { role: 'owner' });
    await svc.removeMember(OWNER, org.id, OWNER.userId); // two owners: one may leave
    expect(await codeOf(svc.get(OWNER, org.id))).toBe('ORG_NOT_FOUND');
  });
});

describe('OrganizationsService: leaving takes a member out of the organisation’s rooms', () => {
  it('removed from every org room they are in (member.left), and only those', async () => {
    const { svc, org, orgRoom, inRoom, roomRepo, published } = await setup();
    const a = await orgRoom(OWNER, MEMBER);
    const b = await orgRoom(ADMIN, MEMBER);
    const c = await orgRoom(OWNER);
    const outside = await roomRepo.create({
      name: 'not the org’s',
      description: '',
      isPrivate: false,
      passwordHash: null,
      ownerId: OWNER.userId,
    });
    await roomRepo.addMember(outside.id, MEMBER.userId);
    await svc.removeMember(ADMIN, org.id, MEMBER.userId);
    expect(inRoom(a)).toEqual([OWNER.userId]);
    expect(inRoom(b)).toEqual([ADMIN.userId]);
    expect(inRoom(c)).toEqual([OWNER.userId]);
    expect(inRoom(outside.id)).toContain(MEMBER.userId);
    const left = published.flatMap((e) =>
      e.type === 'room.event' && e.event.event === 'member.left' ? [e.roomId] : [],
    );
    expect(left.sort()).toEqual([a, b].sort());
    // Again: no longer a member, but the sweep runs and nothing is left to do.
    expect(await codeOf(svc.removeMember(ADMIN, org.id, MEMBER.userId))).toBe('NOT_ORG_MEMBER');
  });

  it('a room they own alone stays the organisation’s: the remover (or the senior owner) takes it', async () => {
    const { svc, org, orgRoom, inRoom, roomRepo } = await setup();
    const byAdmin = await orgRoom(MEMBER); // MEMBER owns it and is its only member
    await svc.removeMember(ADMIN, org.id, MEMBER.userId);
    expect(inRoom(byAdmin)).toEqual([ADMIN.userId]);
    expect(roomRepo.rooms.get(byAdmin)!.ownerId).toBe(ADMIN.userId);

    // Leaving by themselves: the longest-standing owner inherits.
    await svc.putMember(OWNER, org.id, MEMBER.userId, {});
    const alone = await orgRoom(MEMBER);
    await svc.removeMember(MEMBER, org.id, MEMBER.userId);
    expect(inRoom(alone)).toEqual([OWNER.userId]);
  });

  it('one room that fails does not keep them in the others; the failure is reported', async () => {
    const { svc, org, orgRoom, inRoom, roomRepo } = await setup();
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const broken = await orgRoom(OWNER, MEMBER);
    const fine = await orgRoom(OWNER, MEMBER);
    const remove = roomRepo.removeMember.bind(roomRepo);
    roomRepo.removeMember = (roomId, userId, reason) =>
      roomId === broken
        ? Promise.reject(Errors.notFound('ROOM_NOT_FOUND', 'gone meanwhile'))
        : remove(roomId, userId, reason);
    expect(await codeOf(svc.removeMember(OWNER, org.id, MEMBER.userId))).toBe('ROOM_NOT_FOUND');
    expect(inRoom(fine)).toEqual([OWNER.userId]);
    expect(error).toHaveBeenCalledTimes(1);
    expect(await codeOf(svc.get(MEMBER, org.id))).toBe('ORG_NOT_FOUND'); // out of the org itself
  });
});
