// The user roles module (FEATURE_USER_ROLES): roles, the permission catalogue, assignments in
// global / org / room scopes, effective permissions, the grant-admin CLI; and, with the module
// off, no routes and no tables.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { coreEnv, enterpriseEnv, tablesIn, withDatabase } from '../../support/flags.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  registerUser,
  uniqueName,
  type TestUser,
} from '../../support/http.js';

const ADMIN_ID = '00000000-0000-4000-8000-00000000ad01';
const MODERATOR_ID = '00000000-0000-4000-8000-00000000ad02';
const MEMBER_ID = '00000000-0000-4000-8000-00000000ad03';
const ALL_PERMISSIONS = [
  'room.create',
  'room.update.any',
  'room.delete.any',
  'message.delete.any',
  'member.kick',
  'member.mute',
  'user.ban',
  'org.manage',
  'role.manage',
  'audit.read',
  'stats.read',
  'bot.manage',
];
const MODERATOR_PERMISSIONS = [
  'room.update.any',
  'room.delete.any',
  'message.delete.any',
  'member.kick',
  'member.mute',
  'audit.read',
  'stats.read',
];
const ROLE_KEYS = ['builtIn', 'createdAt', 'description', 'id', 'name', 'permissions', 'updatedAt'];
const ASSIGNMENT_KEYS = [
  'createdAt',
  'createdBy',
  'id',
  'roleId',
  'roleName',
  'scopeId',
  'scopeType',
  'userId',
];
const ENT_DB = () => process.env.ENTERPRISE_DATABASE_URL!;
const roleName = () => uniqueName('role').replace(/_/g, '-');

describe('roles module on (FEATURE_USER_ROLES=true)', () => {
  let t: TestApp;
  const rootName = uniqueName('root');
  let root: TestUser; // named in ADMIN_USERNAMES
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await startTestApp(enterpriseEnv(['FEATURE_USER_ROLES'], { ADMIN_USERNAMES: rootName }));
    [root, alice, bob] = await Promise.all([
      registerUser(t.baseUrl, { username: rootName }),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
    ]);
  });
  afterAll(async () => {
    await t.close();
  });

  const req = (user: TestUser | null, method: string, p: string, body?: unknown) =>
    http(t.baseUrl, method, p, { token: user?.accessToken, body });
  const newRole = async (permissions: string[], name = roleName()) => {
    const res = await req(root, 'POST', '/api/roles', { name, permissions });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string; permissions: string[] };
  };
  const assign = (by: TestUser, user: TestUser | string, body: Record<string, unknown>) =>
    req(by, 'POST', `/api/users/${typeof user === 'string' ? user : user.id}/roles`, body);
  const revoke = (by: TestUser, user: TestUser, body: Record<string, unknown>) =>
    req(by, 'DELETE', `/api/users/${user.id}/roles`, body);
  const perms = (by: TestUser, user: TestUser | string, query = '') =>
    req(by, 'GET', `/api/users/${typeof user === 'string' ? user : user.id}/permissions${query}`);
  // An organisation as the organisations module stores one (that module is off in this app;
  // its table exists in the enterprise database, and rooms.org_id references it).
  const newOrg = (creator: TestUser) =>
    withDatabase(ENT_DB(), async (c) => {
      const { rows } = await c.query<{ id: string }>(
        'INSERT INTO organizations (name, created_by) VALUES ($1, $2) RETURNING id',
        [uniqueName('org'), creator.id],
      );
      return rows[0].id;
    });
  const roleRow = (id: string) =>
    withDatabase(
      ENT_DB(),
      async (c) => (await c.query('SELECT * FROM roles WHERE id = $1', [id])).rows[0],
    );
  const assignmentCount = (userId: string) =>
    withDatabase(ENT_DB(), async (c) =>
      Number(
        (await c.query('SELECT count(*) AS n FROM role_assignments WHERE user_id = $1', [userId]))
          .rows[0].n,
      ),
    );

  describe('GET /api/permissions', () => {
    it('lists the catalogue with a description each', async () => {
      const res = await req(alice, 'GET', '/api/permissions');
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.items.map((p: { name: string }) => p.name)).toEqual(ALL_PERMISSIONS);
      for (const p of res.body.items) {
        expect(Object.keys(p).sort()).toEqual(['description', 'name']);
        expect(p.description.length).toBeGreaterThan(5);
      }
    });

    it('needs a token', async () => {
      expectError(await req(null, 'GET', '/api/permissions'), 401, 'AUTH_REQUIRED');
    });
  });

  describe('GET /api/roles', () => {
    it('lists built-ins first, then custom roles by name, for any user', async () => {
      const b = await newRole(['member.kick'], `zz-${roleName()}`);
      const a = await newRole(['member.mute'], `AA-${roleName()}`);
      const all: { id: string; name: string; builtIn: boolean; permissions: string[] }[] = [];
      let cursor: string | null = null;
      do {
        const res = await req(
          alice,
          'GET',
          `/api/roles?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        all.push(...res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(all.slice(0, 3).map((r) => [r.name, r.builtIn, r.id])).toEqual([
        ['admin', true, ADMIN_ID],
        ['member', true, MEMBER_ID],
        ['moderator', true, MODERATOR_ID],
      ]);
      expect(all[0].permissions).toEqual(ALL_PERMISSIONS);
      expect(all[1].permissions).toEqual(['room.create']);
      expect(all[2].permissions).toEqual(MODERATOR_PERMISSIONS);
      const custom = all.slice(3);
      expect(custom.every((r) => !r.builtIn)).toBe(true);
      const names = custom.map((r) => r.name.toLowerCase());
      expect(names).toEqual([...names].sort());
      expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
      expect(names).toEqual(expect.arrayContaining([a.name.toLowerCase(), b.name]));
      for (const r of all) expect(Object.keys(r).sort()).toEqual(ROLE_KEYS);
    });

    it('refuses bad paging and no token', async () => {
      expectError(await req(alice, 'GET', '/api/roles?limit=0'), 400, 'VALIDATION_FAILED');
      expectError(await req(alice, 'GET', '/api/roles?limit=201'), 400, 'VALIDATION_FAILED');
      expectError(await req(alice, 'GET', '/api/roles?cursor=nonsense'), 400, 'VALIDATION_FAILED');
      const forged = Buffer.from(JSON.stringify([7, 'x'])).toString('base64url');
      expectError(await req(alice, 'GET', `/api/roles?cursor=${forged}`), 400, 'VALIDATION_FAILED');
      expectError(await req(null, 'GET', '/api/roles'), 401);
    });
  });

  describe('POST /api/roles', () => {
    it('creates a custom role (global role.manage), permissions folded into catalogue order', async () => {
      const name = roleName();
      const res = await req(root, 'POST', '/api/roles', {
        name: `  ${name} `,
        description: 'helps people',
        permissions: ['member.mute', 'member.kick', 'member.mute'],
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(ROLE_KEYS);
      expect(res.body).toMatchObject({
        name,
        description: 'helps people',
        builtIn: false,
        permissions: ['member.kick', 'member.mute'],
      });
      const row = await roleRow(res.body.id);
      expect(row).toMatchObject({
        name,
        built_in: false,
        permissions: ['member.kick', 'member.mute'],
      });
      // Description may be left out.
      const bare = await req(root, 'POST', '/api/roles', { name: roleName(), permissions: [] });
      expect(bare.status).toBe(201);
      expect(bare.body).toMatchObject({ description: '', permissions: [] });
    });

    it('refuses a taken name, case-insensitively, built-ins included', async () => {
      const r = await newRole(['member.kick']);
      for (const name of [r.name, r.name.toUpperCase(), 'Admin', 'moderator'])
        expectError(
          await req(root, 'POST', '/api/roles', { name, permissions: [] }),
          409,
          'ROLE_NAME_TAKEN',
        );
    });

    it('refuses an unknown permission, naming it, and stores nothing', async () => {
      const name = roleName();
      const res = await req(root, 'POST', '/api/roles', {
        name,
        permissions: ['member.kick', 'room.explode'],
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('room.explode');
      expect(errorText(res)).not.toContain('member.kick');
      const n = await withDatabase(ENT_DB(), async (c) =>
        Number(
          (await c.query('SELECT count(*) AS n FROM roles WHERE lower(name) = lower($1)', [name]))
            .rows[0].n,
        ),
      );
      expect(n).toBe(0);
    });

    it.each([
      ['no name', { permissions: [] }, 'name'],
      ['an empty name', { name: '   ', permissions: [] }, 'name'],
      ['a name with odd characters', { name: 'a/b', permissions: [] }, 'name'],
      ['a name too long', { name: 'x'.repeat(65), permissions: [] }, 'name'],
      ['no permissions', { name: 'ok-name' }, 'permissions'],
      ['permissions not a list', { name: 'ok-name', permissions: 'member.kick' }, 'permissions'],
      ['a non-string permission', { name: 'ok-name', permissions: [3] }, 'permissions'],
      [
        'a null description',
        { name: 'ok-name', description: null, permissions: [] },
        'description',
      ],
      ['an unknown field', { name: 'ok-name', permissions: [], builtIn: true }, 'builtIn'],
    ])('refuses %s (400 naming the field)', async (_label, body, field) => {
      const res = await req(root, 'POST', '/api/roles', body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
    });

    it('needs role.manage globally: 403 for others, 401 without a token', async () => {
      const name = roleName();
      expectError(
        await req(alice, 'POST', '/api/roles', { name, permissions: [] }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(await req(null, 'POST', '/api/roles', { name, permissions: [] }), 401);
      // A moderator (globally) has no role.manage either.
      expect((await assign(root, bob, { roleId: MODERATOR_ID, scopeType: 'global' })).status).toBe(
        201,
      );
      expectError(
        await req(bob, 'POST', '/api/roles', { name, permissions: [] }),
        403,
        'PERMISSION_DENIED',
      );
      expect((await revoke(root, bob, { roleId: MODERATOR_ID, scopeType: 'global' })).status).toBe(
        204,
      );
      const n = await withDatabase(ENT_DB(), async (c) =>
        Number(
          (await c.query('SELECT count(*) AS n FROM roles WHERE name = $1', [name])).rows[0].n,
        ),
      );
      expect(n).toBe(0);
    });
  });

  describe('PATCH /api/roles/:id', () => {
    it('changes a custom role', async () => {
      const r = await newRole(['member.kick']);
      const name = roleName();
      const res = await req(root, 'PATCH', `/api/roles/${r.id}`, {
        name,
        description: 'new words',
        permissions: ['stats.read', 'audit.read'],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: r.id,
        name,
        description: 'new words',
        permissions: ['audit.read', 'stats.read'],
      });
      // A partial change keeps the rest.
      const partial = await req(root, 'PATCH', `/api/roles/${r.id}`, { description: 'only this' });
      expect(partial.body).toMatchObject({ name, permissions: ['audit.read', 'stats.read'] });
      // An empty set is allowed.
      const empty = await req(root, 'PATCH', `/api/roles/${r.id}`, { permissions: [] });
      expect(empty.body.permissions).toEqual([]);
    });

    it('refuses built-in roles (403 ROLE_BUILT_IN) and leaves them as they were', async () => {
      for (const id of [ADMIN_ID, MODERATOR_ID, MEMBER_ID]) {
        const before = await roleRow(id);
        expectError(
          await req(root, 'PATCH', `/api/roles/${id}`, { permissions: ['room.create'] }),
          403,
          'ROLE_BUILT_IN',
        );
        expect(await roleRow(id)).toEqual(before);
      }
    });

    it('refuses bad input and changes nothing', async () => {
      const r = await newRole(['member.kick']);
      const taken = await newRole([]);
      const before = await roleRow(r.id);
      const unknown = await req(root, 'PATCH', `/api/roles/${r.id}`, {
        permissions: ['member.kick', 'nope.nope'],
      });
      expectError(unknown, 400, 'VALIDATION_FAILED');
      expect(errorText(unknown)).toContain('nope.nope');
      expectError(
        await req(root, 'PATCH', `/api/roles/${r.id}`, { name: '' }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await req(root, 'PATCH', `/api/roles/${r.id}`, { name: null }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await req(root, 'PATCH', `/api/roles/${r.id}`, { builtIn: true }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await req(root, 'PATCH', `/api/roles/${r.id}`, { name: taken.name.toUpperCase() }),
        409,
        'ROLE_NAME_TAKEN',
      );
      expect(await roleRow(r.id)).toEqual(before);
      const bad = await req(root, 'PATCH', '/api/roles/not-a-uuid', { description: 'x' });
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect(errorText(bad)).toContain('id');
      expectError(
        await req(root, 'PATCH', `/api/roles/${randomUUID()}`, { description: 'x' }),
        404,
        'ROLE_NOT_FOUND',
      );
    });

    it('needs role.manage globally', async () => {
      const r = await newRole(['member.kick']);
      const before = await roleRow(r.id);
      expectError(
        await req(alice, 'PATCH', `/api/roles/${r.id}`, { permissions: ALL_PERMISSIONS }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(await req(null, 'PATCH', `/api/roles/${r.id}`, { description: 'x' }), 401);
      expect(await roleRow(r.id)).toEqual(before);
    });
  });

  describe('DELETE /api/roles/:id', () => {
    it('deletes a custom role and its assignments', async () => {
      const r = await newRole(['member.kick']);
      const room = await createRoom(t.baseUrl, alice);
      const user = await registerUser(t.baseUrl);
      expect((await assign(root, user, { roleId: r.id, scopeType: 'global' })).status).toBe(201);
      expect(
        (await assign(root, user, { roleId: r.id, scopeType: 'room', scopeId: room.id })).status,
      ).toBe(201);
      expect(await assignmentCount(user.id)).toBe(2);
      expect((await req(root, 'DELETE', `/api/roles/${r.id}`)).status).toBe(204);
      expect(await roleRow(r.id)).toBeUndefined();
      expect(await assignmentCount(user.id)).toBe(0);
      expect((await perms(user, user)).body.permissions).toEqual(['room.create']);
      expectError(await req(root, 'DELETE', `/api/roles/${r.id}`), 404, 'ROLE_NOT_FOUND');
    });

    it('refuses built-ins, unknown and malformed ids, and users without role.manage', async () => {
      for (const id of [ADMIN_ID, MODERATOR_ID, MEMBER_ID])
        expectError(await req(root, 'DELETE', `/api/roles/${id}`), 403, 'ROLE_BUILT_IN');
      expect(await roleRow(ADMIN_ID)).toBeDefined();
      expectError(await req(root, 'DELETE', `/api/roles/${randomUUID()}`), 404, 'ROLE_NOT_FOUND');
      expectError(await req(root, 'DELETE', '/api/roles/123'), 400, 'VALIDATION_FAILED');
      const r = await newRole([]);
      expectError(await req(alice, 'DELETE', `/api/roles/${r.id}`), 403, 'PERMISSION_DENIED');
      expectError(await req(null, 'DELETE', `/api/roles/${r.id}`), 401);
      expect(await roleRow(r.id)).toBeDefined();
    });
  });

  describe('POST /api/users/:id/roles', () => {
    it('assigns globally (201), and again is the same assignment (200)', async () => {
      const user = await registerUser(t.baseUrl);
      const first = await assign(root, user, { roleId: MODERATOR_ID, scopeType: 'global' });
      expect(first.status).toBe(201);
      expect(Object.keys(first.body).sort()).toEqual(ASSIGNMENT_KEYS);
      expect(first.body).toMatchObject({
        userId: user.id,
        roleId: MODERATOR_ID,
        roleName: 'moderator',
        scopeType: 'global',
        scopeId: null,
        createdBy: root.id,
      });
      const again = await assign(root, user, { roleId: MODERATOR_ID, scopeType: 'global' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await assignmentCount(user.id)).toBe(1);
      const eff = await perms(user, user);
      expect(eff.body.permissions).toEqual(['room.create', ...MODERATOR_PERMISSIONS]);
    });

    it('a room assignment counts in that room only; an org one in its rooms', async () => {
      const owner = await registerUser(t.baseUrl);
      const mod = await registerUser(t.baseUrl);
      const [roomA, roomB, orgRoom] = await Promise.all([
        createRoom(t.baseUrl, owner),
        createRoom(t.baseUrl, owner),
        createRoom(t.baseUrl, owner),
      ]);
      const [orgId, otherOrgId] = await Promise.all([newOrg(owner), newOrg(owner)]);
      await withDatabase(ENT_DB(), (c) =>
        c.query('UPDATE rooms SET org_id = $1 WHERE id = $2', [orgId, orgRoom.id]),
      );
      expect(
        (await assign(root, mod, { roleId: MODERATOR_ID, scopeType: 'room', scopeId: roomA.id }))
          .status,
      ).toBe(201);
      // room.update.any in room A: PATCH someone else's room A works, B does not.
      const patchA = await req(mod, 'PATCH', `/api/rooms/${roomA.id}`, { description: 'by mod' });
      expect(patchA.status).toBe(200);
      expect(patchA.body.description).toBe('by mod');
      expectError(
        await req(mod, 'PATCH', `/api/rooms/${roomB.id}`, { description: 'x' }),
        403,
        'NOT_ROOM_MEMBER',
      );
      expectError(
        await req(mod, 'PATCH', `/api/rooms/${orgRoom.id}`, { description: 'x' }),
        404,
        'ROOM_NOT_FOUND',
      );
      expect((await perms(mod, mod)).body.permissions).toEqual(['room.create']);
      const inA = await perms(mod, mod, `?scopeType=room&scopeId=${roomA.id}`);
      expect(inA.status).toBe(200);
      expect(inA.body.scope).toEqual({ type: 'room', id: roomA.id });
      expect(inA.body.permissions).toEqual(['room.create', ...MODERATOR_PERMISSIONS]);
      expect(
        (await perms(mod, mod, `?scopeType=room&scopeId=${roomB.id}`)).body.permissions,
      ).toEqual(['room.create']);

      // Org scope: applies in the org and in the org's rooms.
      expect(
        (await assign(root, mod, { roleId: MODERATOR_ID, scopeType: 'org', scopeId: orgId }))
          .status,
      ).toBe(201);
      const patchOrgRoom = await req(mod, 'PATCH', `/api/rooms/${orgRoom.id}`, {
        description: 'by org mod',
      });
      expect(patchOrgRoom.status).toBe(200);
      const inOrgRoom = await perms(mod, mod, `?scopeType=room&scopeId=${orgRoom.id}`);
      expect(inOrgRoom.body.roles).toEqual([
        expect.objectContaining({ name: 'member', source: 'implicit', scopeType: 'global' }),
        {
          roleId: MODERATOR_ID,
          name: 'moderator',
          builtIn: true,
          scopeType: 'org',
          scopeId: orgId,
          source: 'assignment',
        },
      ]);
      expect((await perms(mod, mod, `?scopeType=org&scopeId=${orgId}`)).body.permissions).toEqual([
        'room.create',
        ...MODERATOR_PERMISSIONS,
      ]);
      // ...not in another org, nor in room B (no org).
      expect(
        (await perms(mod, mod, `?scopeType=org&scopeId=${otherOrgId}`)).body.permissions,
      ).toEqual(['room.create']);
      expectError(await req(mod, 'DELETE', `/api/rooms/${roomB.id}`), 403, 'NOT_ROOM_MEMBER');
    });

    it('a room-scoped role.manage assigns within that room only, and no more than it holds', async () => {
      const owner = await registerUser(t.baseUrl);
      const roomAdmin = await registerUser(t.baseUrl);
      const keeper = await registerUser(t.baseUrl);
      const target = await registerUser(t.baseUrl);
      const [roomA, roomB] = await Promise.all([
        createRoom(t.baseUrl, owner),
        createRoom(t.baseUrl, owner),
      ]);
      // roomAdmin: admin of room A (every permission, there).
      expect(
        (await assign(root, roomAdmin, { roleId: ADMIN_ID, scopeType: 'room', scopeId: roomA.id }))
          .status,
      ).toBe(201);
      expect(
        (
          await assign(roomAdmin, target, {
            roleId: MODERATOR_ID,
            scopeType: 'room',
            scopeId: roomA.id,
          })
        ).status,
      ).toBe(201);
      for (const elsewhere of [
        { scopeType: 'room', scopeId: roomB.id },
        { scopeType: 'global' },
        { scopeType: 'org', scopeId: randomUUID() },
      ])
        expectError(
          await assign(roomAdmin, target, { roleId: MODERATOR_ID, ...elsewhere }),
          403,
          'PERMISSION_DENIED',
        );
      expect(await assignmentCount(target.id)).toBe(1);

      // keeper: a custom role with role.manage and member.kick only, in room A.
      const keeperRole = await newRole(['role.manage', 'member.kick']);
      const kickOnly = await newRole(['member.kick']);
      expect(
        (
          await assign(root, keeper, {
            roleId: keeperRole.id,
            scopeType: 'room',
            scopeId: roomA.id,
          })
        ).status,
      ).toBe(201);
      const escalate = await assign(keeper, target, {
        roleId: ADMIN_ID,
        scopeType: 'room',
        scopeId: roomA.id,
      });
      expectError(escalate, 403, 'PERMISSION_DENIED');
      expect(errorText(escalate)).toContain('user.ban');
      expect(
        (
          await assign(keeper, target, {
            roleId: kickOnly.id,
            scopeType: 'room',
            scopeId: roomA.id,
          })
        ).status,
      ).toBe(201);
      // A plain member cannot assign anything anywhere, not even to themselves.
      expectError(
        await assign(alice, alice, { roleId: MEMBER_ID, scopeType: 'room', scopeId: roomA.id }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(
        await assign(alice, alice, { roleId: ADMIN_ID, scopeType: 'global' }),
        403,
        'PERMISSION_DENIED',
      );
      expect(await assignmentCount(alice.id)).toBe(0);
    });

    it('a global admin granted through the API may manage roles (ADMIN_USERNAMES is not needed)', async () => {
      const boss = await registerUser(t.baseUrl);
      expectError(
        await req(boss, 'POST', '/api/roles', { name: roleName(), permissions: [] }),
        403,
        'PERMISSION_DENIED',
      );
      expect((await assign(root, boss, { roleId: ADMIN_ID, scopeType: 'global' })).status).toBe(
        201,
      );
      expect(
        (await req(boss, 'POST', '/api/roles', { name: roleName(), permissions: [] })).status,
      ).toBe(201);
      const eff = await perms(boss, boss);
      expect(eff.body.permissions).toEqual(ALL_PERMISSIONS);
      // And they can pass it on.
      const next = await registerUser(t.baseUrl);
      expect((await assign(boss, next, { roleId: ADMIN_ID, scopeType: 'global' })).status).toBe(
        201,
      );
    });

    it.each([
      ['a missing scopeId for a room', { roleId: MODERATOR_ID, scopeType: 'room' }, 'scopeId'],
      ['a missing scopeId for an org', { roleId: MODERATOR_ID, scopeType: 'org' }, 'scopeId'],
      [
        'a scopeId for global',
        { roleId: MODERATOR_ID, scopeType: 'global', scopeId: randomUUID() },
        'scopeId',
      ],
      ['an unknown scopeType', { roleId: MODERATOR_ID, scopeType: 'planet' }, 'scopeType'],
      ['no scopeType', { roleId: MODERATOR_ID }, 'scopeType'],
      ['a malformed roleId', { roleId: 'moderator', scopeType: 'global' }, 'roleId'],
      ['no roleId', { scopeType: 'global' }, 'roleId'],
      ['a malformed scopeId', { roleId: MODERATOR_ID, scopeType: 'room', scopeId: 'x' }, 'scopeId'],
      ['an unknown field', { roleId: MODERATOR_ID, scopeType: 'global', extra: 1 }, 'extra'],
    ])('refuses %s (400) and assigns nothing', async (_label, body, field) => {
      const user = await registerUser(t.baseUrl);
      const res = await assign(root, user, body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
      expect(await assignmentCount(user.id)).toBe(0);
    });

    it('refuses a body that is not an object, and a malformed user id', async () => {
      const res = await http(t.baseUrl, 'POST', `/api/users/${alice.id}/roles`, {
        token: root.accessToken,
        rawBody: JSON.stringify([{ roleId: MODERATOR_ID, scopeType: 'global' }]),
      });
      expectError(res, 400);
      const badId = await assign(root, 'nope', { roleId: MODERATOR_ID, scopeType: 'global' });
      expectError(badId, 400, 'VALIDATION_FAILED');
      expect(errorText(badId)).toContain('id');
      expect(await assignmentCount(alice.id)).toBe(0);
    });

    it('answers 404 for an unknown user, role or room', async () => {
      expectError(
        await assign(root, randomUUID(), { roleId: MODERATOR_ID, scopeType: 'global' }),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await assign(root, alice, { roleId: randomUUID(), scopeType: 'global' }),
        404,
        'ROLE_NOT_FOUND',
      );
      expectError(
        await assign(root, alice, {
          roleId: MODERATOR_ID,
          scopeType: 'room',
          scopeId: randomUUID(),
        }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await assign(root, alice, {
          roleId: MODERATOR_ID,
          scopeType: 'org',
          scopeId: randomUUID(),
        }),
        404,
        'ORG_NOT_FOUND',
      );
      expect(await assignmentCount(alice.id)).toBe(0);
    });

    it('needs a token', async () => {
      expectError(
        await assign({ accessToken: '' } as TestUser, alice, {
          roleId: MODERATOR_ID,
          scopeType: 'global',
        }),
        401,
      );
    });
  });

  describe('DELETE /api/users/:id/roles', () => {
    it('revokes by JSON body or by query (204), then 404 when there is nothing left', async () => {
      const user = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, alice);
      await assign(root, user, { roleId: MODERATOR_ID, scopeType: 'global' });
      await assign(root, user, { roleId: MODERATOR_ID, scopeType: 'room', scopeId: room.id });
      expect(await assignmentCount(user.id)).toBe(2);
      expect((await revoke(root, user, { roleId: MODERATOR_ID, scopeType: 'global' })).status).toBe(
        204,
      );
      expect(await assignmentCount(user.id)).toBe(1);
      expect((await perms(user, user)).body.permissions).toEqual(['room.create']);
      const byQuery = await req(
        root,
        'DELETE',
        `/api/users/${user.id}/roles?roleId=${MODERATOR_ID}&scopeType=room&scopeId=${room.id}`,
      );
      expect(byQuery.status).toBe(204);
      expect(await assignmentCount(user.id)).toBe(0);
      expectError(
        await revoke(root, user, { roleId: MODERATOR_ID, scopeType: 'global' }),
        404,
        'ROLE_ASSIGNMENT_NOT_FOUND',
      );
      // With the room role gone, the core rule applies again: not the owner, not a member.
      expectError(
        await req(user, 'PATCH', `/api/rooms/${room.id}`, { description: 'x' }),
        403,
        'NOT_ROOM_MEMBER',
      );
    });

    it('refuses bad input, unknown ids and callers without role.manage there; revokes nothing', async () => {
      const user = await registerUser(t.baseUrl);
      await assign(root, user, { roleId: MODERATOR_ID, scopeType: 'global' });
      expectError(await revoke(root, user, { roleId: MODERATOR_ID }), 400, 'VALIDATION_FAILED');
      expectError(
        await revoke(root, user, { roleId: MODERATOR_ID, scopeType: 'room' }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await req(root, 'DELETE', `/api/users/${user.id}/roles`),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await req(root, 'DELETE', `/api/users/${user.id}/roles?roleId=x&scopeType=global`),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await revoke(root, { id: randomUUID() } as TestUser, {
          roleId: MODERATOR_ID,
          scopeType: 'global',
        }),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await revoke(root, user, { roleId: randomUUID(), scopeType: 'global' }),
        404,
        'ROLE_NOT_FOUND',
      );
      expectError(
        await revoke(alice, user, { roleId: MODERATOR_ID, scopeType: 'global' }),
        403,
        'PERMISSION_DENIED',
      );
      // A moderator cannot take away even their own role: no role.manage.
      expectError(
        await revoke(user, user, { roleId: MODERATOR_ID, scopeType: 'global' }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(
        await http(t.baseUrl, 'DELETE', `/api/users/${user.id}/roles`, {
          body: { roleId: MODERATOR_ID, scopeType: 'global' },
        }),
        401,
      );
      expect(await assignmentCount(user.id)).toBe(1);
    });
  });

  describe('GET /api/users/:id/permissions', () => {
    it('answers oneself: the implicit member role everywhere', async () => {
      const res = await perms(alice, alice);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        userId: alice.id,
        scope: { type: 'global', id: null },
        roles: [
          {
            roleId: MEMBER_ID,
            name: 'member',
            builtIn: true,
            scopeType: 'global',
            scopeId: null,
            source: 'implicit',
          },
        ],
        permissions: ['room.create'],
      });
    });

    it('a user in ADMIN_USERNAMES holds every permission, from config', async () => {
      const res = await perms(root, root, `?scopeType=org&scopeId=${await newOrg(root)}`);
      expect(res.status).toBe(200);
      expect(res.body.permissions).toEqual(ALL_PERMISSIONS);
      expect(res.body.roles[0]).toEqual({
        roleId: ADMIN_ID,
        name: 'admin',
        builtIn: true,
        scopeType: 'global',
        scopeId: null,
        source: 'config',
      });
    });

    it("another user's: role.manage in that scope, else 403", async () => {
      const user = await registerUser(t.baseUrl);
      await assign(root, user, { roleId: MODERATOR_ID, scopeType: 'global' });
      const byRoot = await perms(root, user);
      expect(byRoot.status).toBe(200);
      expect(
        byRoot.body.roles.map((r: { name: string; source: string }) => [r.name, r.source]),
      ).toEqual([
        ['member', 'implicit'],
        ['moderator', 'assignment'],
      ]);
      expectError(await perms(alice, user), 403, 'PERMISSION_DENIED');
      // A moderator cannot look either (no role.manage).
      expectError(await perms(user, alice), 403, 'PERMISSION_DENIED');
      // A room's role manager may look in that room only.
      const room = await createRoom(t.baseUrl, bob);
      const rm = await registerUser(t.baseUrl);
      await assign(root, rm, { roleId: ADMIN_ID, scopeType: 'room', scopeId: room.id });
      expect((await perms(rm, user, `?scopeType=room&scopeId=${room.id}`)).status).toBe(200);
      expectError(await perms(rm, user), 403, 'PERMISSION_DENIED');
      expectError(await req(null, 'GET', `/api/users/${user.id}/permissions`), 401);
    });

    it('refuses bad scopes and unknown ids', async () => {
      for (const q of [
        '?scopeType=room',
        '?scopeType=org',
        `?scopeId=${randomUUID()}`,
        `?scopeType=global&scopeId=${randomUUID()}`,
        '?scopeType=room&scopeId=nope',
        '?scopeType=galaxy',
        '?extra=1',
      ])
        expectError(await perms(alice, alice, q), 400, 'VALIDATION_FAILED');
      expectError(await perms(root, 'x'), 400, 'VALIDATION_FAILED');
      expectError(await perms(root, randomUUID()), 404, 'USER_NOT_FOUND');
      expectError(
        await perms(alice, alice, `?scopeType=room&scopeId=${randomUUID()}`),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await perms(alice, alice, `?scopeType=org&scopeId=${randomUUID()}`),
        404,
        'ORG_NOT_FOUND',
      );
    });
  });

  it('documents every endpoint in /docs-json', async () => {
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    expect(Object.keys(doc.paths['/api/roles']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/roles/{id}']).sort()).toEqual(['delete', 'patch']);
    expect(Object.keys(doc.paths['/api/permissions'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/users/{id}/roles']).sort()).toEqual(['delete', 'post']);
    expect(Object.keys(doc.paths['/api/users/{id}/permissions'])).toEqual(['get']);
    const post = doc.paths['/api/users/{id}/roles'].post;
    expect(post.requestBody.content['application/json'].schema.$ref).toContain(
      'RoleAssignmentRefDto',
    );
    expect(Object.keys(post.responses).sort()).toEqual([
      '200',
      '201',
      '400',
      '401',
      '403',
      '404',
      '429',
    ]);
    expect(doc.components.schemas.EffectivePermissionsDto.properties.permissions).toBeDefined();
  });
});

describe('grant-admin CLI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(enterpriseEnv(['FEATURE_USER_ROLES']));
  });
  afterAll(async () => {
    await t.close();
  });

  const CLI = path.resolve('dist/src/cli/cli.js');
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: ENT_DB(), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, out, err }));
    });

  it('makes a user a global admin (idempotent), who may then manage roles', async () => {
    const user = await registerUser(t.baseUrl);
    const createRole = () =>
      http(t.baseUrl, 'POST', '/api/roles', {
        token: user.accessToken,
        body: { name: roleName(), permissions: [] },
      });
    expectError(await createRole(), 403, 'PERMISSION_DENIED');
    // Usernames are matched case-insensitively.
    const first = await run(['grant-admin', user.username.toUpperCase()], {
      FEATURE_USER_ROLES: 'true',
    });
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toContain(`granted admin (global) to ${user.username} (${user.id})`);
    expect((await createRole()).status).toBe(201);
    const rows = await withDatabase(
      ENT_DB(),
      async (c) =>
        (
          await c.query(
            'SELECT role_id, scope_type, scope_id, created_by FROM role_assignments WHERE user_id = $1',
            [user.id],
          )
        ).rows,
    );
    expect(rows).toEqual([
      { role_id: ADMIN_ID, scope_type: 'global', scope_id: null, created_by: null },
    ]);
    const again = await run(['grant-admin', user.username], { FEATURE_USER_ROLES: 'true' });
    expect(again.code).toBe(0);
    expect(again.out).toContain('already holds admin');
  });

  it('fails with a message: unknown user, module off, no username, unknown command', async () => {
    const ghost = await run(['grant-admin', uniqueName('ghost')], { FEATURE_USER_ROLES: 'true' });
    expect(ghost.code).toBe(1);
    expect(ghost.err).toContain('no user named');
    const user = await registerUser(t.baseUrl);
    const off = await run(['grant-admin', user.username], { FEATURE_USER_ROLES: 'false' });
    expect(off.code).toBe(1);
    expect(off.err).toContain('FEATURE_USER_ROLES=true');
    expect(
      await withDatabase(
        ENT_DB(),
        async (c) =>
          (await c.query('SELECT 1 FROM role_assignments WHERE user_id = $1', [user.id])).rowCount,
      ),
    ).toBe(0);
    const none = await run(['grant-admin'], { FEATURE_USER_ROLES: 'true' });
    expect(none.code).toBe(1);
    expect(none.err).toContain('usage');
    const unknown = await run(['make-coffee'], { FEATURE_USER_ROLES: 'true' });
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('unknown command: make-coffee');
  });
});

describe('roles module off (no FEATURE_USER_ROLES)', () => {
  let t: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    t = await startTestApp(coreEnv());
    user = await registerUser(t.baseUrl);
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers none of its routes', async () => {
    const id = randomUUID();
    for (const [method, p, body] of [
      ['GET', '/api/roles', undefined],
      ['POST', '/api/roles', { name: 'x', permissions: [] }],
      ['PATCH', `/api/roles/${id}`, { name: 'x' }],
      ['DELETE', `/api/roles/${id}`, undefined],
      ['GET', '/api/permissions', undefined],
      ['POST', `/api/users/${user.id}/roles`, { roleId: id, scopeType: 'global' }],
      ['DELETE', `/api/users/${user.id}/roles`, { roleId: id, scopeType: 'global' }],
      ['GET', `/api/users/${user.id}/permissions`, undefined],
    ] as const) {
      const res = await http(t.baseUrl, method, p, { token: user.accessToken, body });
      expect([method, p, res.status]).toEqual([method, p, 404]);
    }
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    expect(Object.keys(doc.paths).filter((p) => /roles|permissions/.test(p))).toEqual([]);
  });

  it('has no tables in the core database', async () => {
    const tables = await tablesIn(process.env.CORE_DATABASE_URL!);
    expect(tables).toContain('users');
    expect(tables).not.toContain('roles');
    expect(tables).not.toContain('role_assignments');
  });
});
