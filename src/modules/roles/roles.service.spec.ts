import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  GLOBAL_SCOPE,
  type Permission,
  type PermissionScope,
} from '../../common/authz/permissions.js';
import { encodeCursor } from '../../common/cursor.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import { featuresConfig } from '../../config/configuration.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import {
  BUILT_IN_ROLES,
  MEMBER_ROLE_ID,
  checkableScope,
  type Role,
  type RoleAssignment,
} from './domain/role.js';
import {
  RoleRepository,
  type ApplyingAssignment,
  type NewRole,
  type RoleListKey,
  type RolePatch,
} from './domain/role.repository.js';
import { RolesPermissionResolver } from './roles-permission.resolver.js';
import { RolesService } from './roles.service.js';
import { codeOf, settled } from '../../common/testing/unit-kit.fake.js';

const ORG: string = randomUUID();
const ROOM_IN_ORG: string = randomUUID();
const OTHER_ROOM: string = randomUUID();
const users = {
  root: { id: randomUUID(), username: 'Root' }, // named in ADMIN_USERNAMES (any case)
  mod: { id: randomUUID(), username: 'mod' },
  alice: { id: randomUUID(), username: 'alice' },
  bob: { id: randomUUID(), username: 'bob' },
};

const sameScope = (a: PermissionScope, b: PermissionScope) =>
  a.type === b.type && (a.type === 'global' || a.id === (b as { id: string }).id);

/**
 * Roles and assignments in memory, with the SQL repository's rules: the built-in roles seeded,
 * an assignment applying in its own scope, in every scope when global, and in its
 * organisation's rooms when made in the organisation.
 */
class InMemoryRoles extends RoleRepository {
  readonly roles = new Map<string, Role>(
    Object.entries(BUILT_IN_ROLES).map(([name, r]) => [
      r.id,
      {
        ...r,
        name,
        builtIn: true,
        permissions: [...r.permissions],
        createdAt: new Date(0),
        updatedAt: new Date(0),
      },
    ]),
  );
  readonly assignments: RoleAssignment[] = [];
  readonly orgOfRoom = new Map<string, string>([[ROOM_IN_ORG, ORG]]);
  readonly orgs = new Set<string>([ORG]);

  list(limit: number, after: RoleListKey | null) {
    const key = (r: Role): RoleListKey => [r.builtIn ? 0 : 1, r.name.toLowerCase()];
    const cmp = (a: RoleListKey, b: RoleListKey) => a[0] - b[0] || a[1].localeCompare(b[1]);
    const sorted = [...this.roles.values()]
      .filter((r) => !after || cmp(key(r), after) > 0)
      .sort((a, b) => cmp(key(a), key(b)));
    const items = sorted.slice(0, limit);
    const next = sorted.length > limit ? key(items[items.length - 1]) : null;
    return Promise.resolve({ items, next });
  }
  findById(id: string) {
    return Promise.resolve(this.roles.get(id) ?? null);
  }
  create(r: NewRole): Promise<Role> {
    const role: Role = {
      id: randomUUID(),
      ...r,
      builtIn: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    this.roles.set(role.id, role);
    return Promise.resolve(role);
  }
  update(id: string, patch: RolePatch) {
    const role = this.roles.get(id);
    if (role)
      for (const [k, v] of Object.entries(patch))
        if (v !== undefined) Object.assign(role, { [k]: v });
    return Promise.resolve(role ?? null);
  }
  delete(id: string) {
    return Promise.resolve(this.roles.delete(id));
  }
  assign(a: { userId: string; roleId: string; scope: PermissionScope; createdBy: string | null }) {
    const found = this.assignments.find(
      (x) => x.userId === a.userId && x.roleId === a.roleId && sameScope(x.scope, a.scope),
    );
    if (found) return Promise.resolve({ assignment: found, created: false });
    const assignment: RoleAssignment = {
      id: randomUUID(),
      ...a,
      roleName: this.roles.get(a.roleId)!.name,
      createdAt: new Date(),
    };
    this.assignments.push(assignment);
    return Promise.resolve({ assignment, created: true });
  }
  revoke(userId: string, roleId: string, scope: PermissionScope) {
    const i = this.assignments.findIndex(
      (x) => x.userId === userId && x.roleId === roleId && sameScope(x.scope, scope),
    );
    if (i >= 0) this.assignments.splice(i, 1);
    return Promise.resolve(i >= 0);
  }
  async check(userId: string, permission: Permission, scope: PermissionScope) {
    const user = await this.findUser(userId);
    const granted = (await this.applying(userId, scope)).some((a) =>
      a.permissions.includes(permission),
    );
    return { username: user?.username ?? null, granted };
  }
  applying(userId: string, scope: PermissionScope): Promise<ApplyingAssignment[]> {
    const widths: PermissionScope[] = [GLOBAL_SCOPE];
    if (scope.type === 'room' && this.orgOfRoom.has(scope.id))
      widths.push({ type: 'org', id: this.orgOfRoom.get(scope.id)! });
    if (scope.type !== 'global') widths.push(scope);
    const out: ApplyingAssignment[] = [];
    for (const w of widths)
      for (const a of this.assignments)
        if (a.userId === userId && sameScope(a.scope, w)) {
          const role = this.roles.get(a.roleId)!;
          out.push({ ...a, builtIn: role.builtIn, permissions: role.permissions });
        }
    return Promise.resolve(out);
  }
  orgExists(id: string) {
    return Promise.resolve(this.orgs.has(id));
  }
  findUser(id: string) {
    return Promise.resolve(Object.values(users).find((u) => u.id === id) ?? null);
  }
  findUserByUsername(username: string) {
    const l = username.toLowerCase();
    return Promise.resolve(
      Object.values(users).find((u) => u.username.toLowerCase() === l) ?? null,
    );
  }
}

function setup() {
  const repo = new InMemoryRoles();
  const ext = new ChatExtensions();
  const resolver = new RolesPermissionResolver(
    repo,
    ext,
    featuresConfig({ ADMIN_USERNAMES: 'root' }),
  );
  resolver.onModuleInit();
  const rooms = {
    findRoom: async (id: string) => ([ROOM_IN_ORG, OTHER_ROOM].includes(id) ? { id } : null),
  } as unknown as RoomsService;
  const svc = new RolesService(repo, resolver, rooms);
  return { svc, repo, ext, resolver };
}

const room = (id: string): PermissionScope => ({ type: 'room', id });
const org = (id: string): PermissionScope => ({ type: 'org', id });

describe('RolesService: effective permissions', () => {
  it('everyone is a member everywhere; a configured admin holds everything, from config', async () => {
    const { svc } = setup();
    const alice = await svc.effective(users.alice.id, GLOBAL_SCOPE);
    expect(alice.roles.map((r) => [r.name, r.source])).toEqual([['member', 'implicit']]);
    expect(alice.permissions).toEqual(['room.create']);
    const root = await svc.effective(users.root.id, room(OTHER_ROOM));
    expect(root.roles.map((r) => [r.name, r.source])).toEqual([
      ['admin', 'config'],
      ['member', 'implicit'],
    ]);
    expect(root.permissions).toEqual([...BUILT_IN_ROLES.admin.permissions]);
    expect(await svc.effective(randomUUID(), GLOBAL_SCOPE)).toMatchObject({
      roles: [],
      permissions: [],
    });
  });

  it('an organisation’s role applies in its rooms, a room’s only there, a global one everywhere', async () => {
    const { svc, repo, ext } = setup();
    const kick = await svc.create({ name: 'kicker', permissions: ['member.kick'] });
    const mute = await svc.create({ name: 'muter', permissions: ['member.mute'] });
    const stats = await svc.create({ name: 'stats', permissions: ['stats.read'] });
    await repo.assign({ userId: users.mod.id, roleId: kick.id, scope: org(ORG), createdBy: null });
    await repo.assign({
      userId: users.mod.id,
      roleId: mute.id,
      scope: room(OTHER_ROOM),
      createdBy: null,
    });
    await repo.assign({
      userId: users.mod.id,
      roleId: stats.id,
      scope: GLOBAL_SCOPE,
      createdBy: null,
    });
    const inOrgRoom = await svc.effective(users.mod.id, room(ROOM_IN_ORG));
    expect(inOrgRoom.permissions).toEqual(['room.create', 'member.kick', 'stats.read']);
    const inOther = await svc.effective(users.mod.id, room(OTHER_ROOM));
    expect(inOther.permissions).toEqual(['room.create', 'member.mute', 'stats.read']);
    // The core asks through ChatExtensions: the same answers.
    const can = ext.permissionResolver!;
    expect(await can.has(users.mod.id, 'member.kick', room(ROOM_IN_ORG))).toBe(true);
    expect(await can.has(users.mod.id, 'member.kick', room(OTHER_ROOM))).toBe(false);
    expect(await can.has(users.mod.id, 'room.create', room(OTHER_ROOM))).toBe(true);
    expect(await can.has(users.root.id, 'user.ban', GLOBAL_SCOPE)).toBe(true);
    expect(await can.has(randomUUID(), 'room.create', GLOBAL_SCOPE)).toBe(false);
    // A scope id that is not a uuid is checked as global (never an error, never a wider grant).
    expect(checkableScope(room('not-a-uuid'))).toEqual(GLOBAL_SCOPE);
  });
});

describe('RolesService: granting and revoking', () => {
  it('needs role.manage in the scope and every permission the role carries there', async () => {
    const { svc, repo } = setup();
    const manager = await svc.create({
      name: 'room-manager',
      permissions: ['role.manage', 'member.kick'],
    });
    const kick = await svc.create({ name: 'kicker', permissions: ['member.kick'] });
    const ban = await svc.create({ name: 'banner', permissions: ['user.ban'] });
    await repo.assign({
      userId: users.mod.id,
      roleId: manager.id,
      scope: room(OTHER_ROOM),
      createdBy: null,
    });

    expect(await codeOf(svc.assign(users.alice.id, users.bob.id, kick.id, room(OTHER_ROOM)))).toBe(
      'PERMISSION_DENIED',
    );
    const first = await svc.assign(users.mod.id, users.bob.id, kick.id, room(OTHER_ROOM));
    const again = await svc.assign(users.mod.id, users.bob.id, kick.id, room(OTHER_ROOM));
    expect([first.created, again.created]).toEqual([true, false]);
    // Not more than the manager holds there, and not outside the room.
    expect(await codeOf(svc.assign(users.mod.id, users.bob.id, ban.id, room(OTHER_ROOM)))).toBe(
      'PERMISSION_DENIED',
    );
    expect(await codeOf(svc.assign(users.mod.id, users.bob.id, kick.id, room(ROOM_IN_ORG)))).toBe(
      'PERMISSION_DENIED',
    );
    expect(await codeOf(svc.assign(users.mod.id, users.bob.id, kick.id, GLOBAL_SCOPE))).toBe(
      'PERMISSION_DENIED',
    );
    await svc.revoke(users.mod.id, users.bob.id, kick.id, room(OTHER_ROOM));
    expect(await codeOf(svc.revoke(users.mod.id, users.bob.id, kick.id, room(OTHER_ROOM)))).toBe(
      'ROLE_ASSIGNMENT_NOT_FOUND',
    );
    expect(repo.assignments.map((a) => a.roleName)).toEqual(['room-manager']);
  });

  it('names what is missing: a user, a room, an organisation, a role', async () => {
    const { svc } = setup();
    const kick = await svc.create({ name: 'kicker', permissions: ['member.kick'] });
    const cases = settled([
      ['USER_NOT_FOUND', svc.assign(users.root.id, randomUUID(), kick.id, GLOBAL_SCOPE)],
      ['ROOM_NOT_FOUND', svc.assign(users.root.id, users.bob.id, kick.id, room(randomUUID()))],
      ['ORG_NOT_FOUND', svc.assign(users.root.id, users.bob.id, kick.id, org(randomUUID()))],
      ['ROLE_NOT_FOUND', svc.assign(users.root.id, users.bob.id, randomUUID(), GLOBAL_SCOPE)],
    ]);
    for (const [code, p] of cases) expect(await p).toBe(code);
    expect((await svc.assign(users.root.id, users.bob.id, kick.id, org(ORG))).created).toBe(true);
  });

  it('another user’s permissions are for role managers; one’s own for oneself', async () => {
    const { svc } = setup();
    expect(await codeOf(svc.permissionsOf(users.alice.id, users.bob.id, GLOBAL_SCOPE))).toBe(
      'PERMISSION_DENIED',
    );
    expect((await svc.permissionsOf(users.alice.id, users.alice.id, GLOBAL_SCOPE)).userId).toBe(
      users.alice.id,
    );
    expect(
      (await svc.permissionsOf(users.root.id, users.bob.id, GLOBAL_SCOPE)).permissions,
    ).toEqual(['room.create']);
  });
});

describe('RolesService: the roles themselves', () => {
  it('built-in roles cannot be changed or deleted; custom ones can; unknown permissions are refused', async () => {
    const { svc, repo } = setup();
    expect(await codeOf(svc.update(MEMBER_ROLE_ID, { permissions: ['user.ban'] }))).toBe(
      'ROLE_BUILT_IN',
    );
    expect(await codeOf(svc.delete(MEMBER_ROLE_ID))).toBe('ROLE_BUILT_IN');
    expect(repo.roles.get(MEMBER_ROLE_ID)!.permissions).toEqual(['room.create']);
    expect(await codeOf(svc.create({ name: 'x', permissions: ['room.create', 'fly'] }))).toBe(
      'VALIDATION_FAILED',
    );
    const r = await svc.create({ name: 'x', permissions: ['stats.read', 'audit.read'] });
    expect(r.permissions).toEqual(['audit.read', 'stats.read']); // catalogue order
    expect((await svc.update(r.id, { permissions: ['bot.manage'] })).permissions).toEqual([
      'bot.manage',
    ]);
    await svc.delete(r.id);
    expect(await codeOf(svc.delete(r.id))).toBe('ROLE_NOT_FOUND');
    expect(await codeOf(svc.update(r.id, { name: 'y' }))).toBe('ROLE_NOT_FOUND');
  });

  it('lists built-ins first, pages by cursor, and refuses a cursor it did not make', async () => {
    const { svc } = setup();
    await svc.create({ name: 'zeta', permissions: [] });
    await svc.create({ name: 'Alpha', permissions: [] });
    const first = await svc.list(3);
    expect(first.items.map((r) => r.name)).toEqual(['admin', 'member', 'moderator']);
    const second = await svc.list(3, first.nextCursor!);
    expect(second.items.map((r) => r.name)).toEqual(['Alpha', 'zeta']);
    expect(second.nextCursor).toBeNull();
    expect(await codeOf(svc.list(3, encodeCursor([7, 'x'])))).toBe('VALIDATION_FAILED');
    expect(svc.catalogue().map((p) => p.name)).toContain('role.manage');
  });
});
