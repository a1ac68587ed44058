// THE PERMISSION MATRIX: each built-in role (and ADMIN_USERNAMES, and a moderator of one room)
// against each guarded action, over real HTTP and a real WebSocket, with every module on. The
// table below is written out by hand: it is the specification, not derived from the code.
// Then, with the roles module off, the core's answers: room owners only, and the users named
// in ADMIN_USERNAMES hold every permission.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import {
  allModulesEnv,
  coreEnv,
  enterpriseEnv,
  FLAG_VARS,
  withDatabase,
} from '../../support/flags.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  uniqueName,
  type HttpResult,
  type TestUser,
} from '../../support/http.js';
import { WsTestClient } from '../../support/ws-client.js';

const ADMIN_ID = '00000000-0000-4000-8000-00000000ad01';
const MODERATOR_ID = '00000000-0000-4000-8000-00000000ad02';
const ENT_DB = () => process.env.ENTERPRISE_DATABASE_URL!;

/** How the actor came by their rights. */
type Grant =
  | 'admin'
  | 'moderator'
  | 'member'
  | 'ADMIN_USERNAMES'
  | 'moderator of the room'
  | 'moderator of another room';

/** What each action acts on: a fresh room owned by someone else, with a member and a message. */
interface Fixture {
  room: { id: string; description: string };
  owner: TestUser;
  target: TestUser;
  messageId: string;
}

/** An action's result, reduced to what the matrix judges. */
interface Outcome {
  status: number;
  code?: string;
  detail: string;
}

interface Action {
  /** What the actor tries, and the permission that guards it. */
  run(t: TestApp, actor: TestUser, f: Fixture): Promise<Outcome>;
  /** The answer when allowed. */
  ok: number;
  /** The answer when refused: the core's own where the core guards it. */
  refused: { status: number; code: string };
  /** After a refusal: nothing changed. */
  unchanged?(t: TestApp, f: Fixture): Promise<void>;
  /** Needs the roles module's routes (absent when it is off). */
  rolesRoute?: boolean;
}

const outcome = (res: HttpResult): Outcome => ({
  status: res.status,
  code: (res.body as { code?: string } | null)?.code,
  detail: JSON.stringify(res.body)?.slice(0, 300) ?? '',
});
const as = (t: TestApp, user: TestUser, method: string, path: string, body?: unknown) =>
  http(t.baseUrl, method, path, { token: user.accessToken, body });
const dbOne = (sql: string, params: unknown[]) =>
  withDatabase(
    ENT_DB(),
    async (c) => (await c.query(sql, params)).rows[0] as Record<string, unknown> | undefined,
  );

const ACTIONS = {
  // ---- core rules that consult the permission (rooms.service ownedRoom) ----
  'room.update.any: PATCH /api/rooms/:id (not the owner)': {
    run: async (t, actor, f) =>
      outcome(await as(t, actor, 'PATCH', `/api/rooms/${f.room.id}`, { description: 'matrix' })),
    ok: 200,
    refused: { status: 403, code: 'NOT_ROOM_OWNER' },
    unchanged: async (_t, f) =>
      expect(
        (await dbOne('SELECT description FROM rooms WHERE id = $1', [f.room.id]))?.description,
      ).toBe(f.room.description),
  },
  'room.delete.any: DELETE /api/rooms/:id (not the owner)': {
    run: async (t, actor, f) => outcome(await as(t, actor, 'DELETE', `/api/rooms/${f.room.id}`)),
    ok: 204,
    refused: { status: 403, code: 'NOT_ROOM_OWNER' },
    unchanged: async (_t, f) =>
      expect(await dbOne('SELECT id FROM rooms WHERE id = $1', [f.room.id])).toBeDefined(),
  },
  // ---- roles ----
  'role.manage: POST /api/roles': {
    run: async (t, actor) =>
      outcome(
        await as(t, actor, 'POST', '/api/roles', { name: uniqueName('mx'), permissions: [] }),
      ),
    ok: 201,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
    rolesRoute: true,
  },
  'role.manage: POST /api/users/:id/roles (moderator of the room)': {
    run: async (t, actor, f) =>
      outcome(
        await as(t, actor, 'POST', `/api/users/${f.target.id}/roles`, {
          roleId: MODERATOR_ID,
          scopeType: 'room',
          scopeId: f.room.id,
        }),
      ),
    ok: 201,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
    rolesRoute: true,
    unchanged: async (_t, f) =>
      expect(
        await dbOne('SELECT id FROM role_assignments WHERE user_id = $1', [f.target.id]),
      ).toBeUndefined(),
  },
  // ---- advanced admin ----
  'user.ban: POST /api/admin/users/:id/ban': {
    run: async (t, actor, f) =>
      outcome(
        await as(t, actor, 'POST', `/api/admin/users/${f.target.id}/ban`, { reason: 'matrix' }),
      ),
    ok: 200,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
    unchanged: async (t, f) =>
      expect((await as(t, f.target, 'GET', '/api/users/me')).status).toBe(200),
  },
  'message.delete.any: DELETE /api/admin/rooms/:roomId/messages/:messageId': {
    run: async (t, actor, f) =>
      outcome(
        await as(t, actor, 'DELETE', `/api/admin/rooms/${f.room.id}/messages/${f.messageId}`, {}),
      ),
    ok: 200,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
    unchanged: async (_t, f) =>
      expect(
        (await dbOne('SELECT deleted_at FROM messages WHERE id = $1', [f.messageId]))?.deleted_at,
      ).toBeNull(),
  },
  'message.delete.any: WebSocket message.delete': {
    run: async (t, actor, f) => {
      const ws = await WsTestClient.connect(t.wsUrl, { token: actor.accessToken });
      try {
        const answer = await ws.request(
          'message.delete',
          { roomId: f.room.id, messageId: f.messageId },
          'message.delete.ack',
        );
        return answer.event === 'message.delete.ack'
          ? { status: 200, detail: JSON.stringify(answer.data) }
          : {
              // An error frame: its code, with the status the same error has over HTTP.
              status: answer.data.code === 'PERMISSION_DENIED' ? 403 : 0,
              code: answer.data.code,
              detail: JSON.stringify(answer.data),
            };
      } finally {
        ws.close();
      }
    },
    ok: 200,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
    unchanged: async (_t, f) =>
      expect(
        (await dbOne('SELECT deleted_at FROM messages WHERE id = $1', [f.messageId]))?.deleted_at,
      ).toBeNull(),
  },
  'member.mute: POST /api/admin/rooms/:roomId/mutes': {
    run: async (t, actor, f) =>
      outcome(
        await as(t, actor, 'POST', `/api/admin/rooms/${f.room.id}/mutes`, {
          userId: f.target.id,
          until: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      ),
    ok: 201,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
    unchanged: async (t, f) =>
      expect(
        (
          await as(t, f.target, 'POST', `/api/rooms/${f.room.id}/messages`, {
            content: 'still here',
          })
        ).status,
      ).toBe(201),
  },
  'member.kick: POST /api/admin/rooms/:roomId/kick/:userId': {
    run: async (t, actor, f) =>
      outcome(await as(t, actor, 'POST', `/api/admin/rooms/${f.room.id}/kick/${f.target.id}`, {})),
    ok: 204,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
    unchanged: async (_t, f) =>
      expect(
        await dbOne('SELECT 1 AS x FROM room_members WHERE room_id = $1 AND user_id = $2', [
          f.room.id,
          f.target.id,
        ]),
      ).toBeDefined(),
  },
  'audit.read: GET /api/admin/audit': {
    run: async (t, actor) => outcome(await as(t, actor, 'GET', '/api/admin/audit')),
    ok: 200,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
  },
  // ---- organisations ----
  'org.manage: POST /api/orgs/:id/departments (not in the org)': {
    run: async (t, actor, f) => {
      const org = await as(t, f.owner, 'POST', '/api/orgs', { name: uniqueName('org') });
      expect(org.status).toBe(201);
      (f as Fixture & { orgId?: string }).orgId = org.body.id;
      return outcome(
        await as(t, actor, 'POST', `/api/orgs/${org.body.id}/departments`, { name: 'Matrix' }),
      );
    },
    ok: 201,
    // Non-members without org.manage do not see the organisation at all.
    refused: { status: 404, code: 'ORG_NOT_FOUND' },
    unchanged: async (_t, f) => {
      const orgId = (f as Fixture & { orgId?: string }).orgId;
      expect(
        await dbOne('SELECT id FROM org_departments WHERE org_id = $1', [orgId]),
      ).toBeUndefined();
    },
  },
  // ---- online statistics ----
  'stats.read: GET /api/stats/online?userId= (another user)': {
    run: async (t, actor, f) =>
      outcome(await as(t, actor, 'GET', `/api/stats/online?userId=${f.target.id}`)),
    ok: 200,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
  },
  // ---- bots ----
  'bot.manage: GET /api/bots/:id (not its owner)': {
    run: async (t, actor, f) => {
      const bot = await as(t, f.owner, 'POST', '/api/bots', { name: uniqueName('bot') });
      expect(bot.status).toBe(201);
      return outcome(await as(t, actor, 'GET', `/api/bots/${bot.body.id}`));
    },
    ok: 200,
    refused: { status: 403, code: 'PERMISSION_DENIED' },
  },
} satisfies Record<string, Action>;

type ActionName = keyof typeof ACTIONS;
const Y = true;
const N = false;

// prettier-ignore
/** [grant, action, allowed]: THE PERMISSION MATRIX. */
const MATRIX: [Grant, ActionName, boolean][] = [
  // admin: every permission, everywhere
  ['admin', 'room.update.any: PATCH /api/rooms/:id (not the owner)', Y],
  ['admin', 'room.delete.any: DELETE /api/rooms/:id (not the owner)', Y],
  ['admin', 'role.manage: POST /api/roles', Y],
  ['admin', 'role.manage: POST /api/users/:id/roles (moderator of the room)', Y],
  ['admin', 'user.ban: POST /api/admin/users/:id/ban', Y],
  ['admin', 'message.delete.any: DELETE /api/admin/rooms/:roomId/messages/:messageId', Y],
  ['admin', 'message.delete.any: WebSocket message.delete', Y],
  ['admin', 'member.mute: POST /api/admin/rooms/:roomId/mutes', Y],
  ['admin', 'member.kick: POST /api/admin/rooms/:roomId/kick/:userId', Y],
  ['admin', 'audit.read: GET /api/admin/audit', Y],
  ['admin', 'org.manage: POST /api/orgs/:id/departments (not in the org)', Y],
  ['admin', 'stats.read: GET /api/stats/online?userId= (another user)', Y],
  ['admin', 'bot.manage: GET /api/bots/:id (not its owner)', Y],
  // moderator (global): rooms, messages, members, audit; not users, roles or organisations
  ['moderator', 'room.update.any: PATCH /api/rooms/:id (not the owner)', Y],
  ['moderator', 'room.delete.any: DELETE /api/rooms/:id (not the owner)', Y],
  ['moderator', 'role.manage: POST /api/roles', N],
  ['moderator', 'role.manage: POST /api/users/:id/roles (moderator of the room)', N],
  ['moderator', 'user.ban: POST /api/admin/users/:id/ban', N],
  ['moderator', 'message.delete.any: DELETE /api/admin/rooms/:roomId/messages/:messageId', Y],
  ['moderator', 'message.delete.any: WebSocket message.delete', Y],
  ['moderator', 'member.mute: POST /api/admin/rooms/:roomId/mutes', Y],
  ['moderator', 'member.kick: POST /api/admin/rooms/:roomId/kick/:userId', Y],
  ['moderator', 'audit.read: GET /api/admin/audit', Y],
  ['moderator', 'org.manage: POST /api/orgs/:id/departments (not in the org)', N],
  ['moderator', 'stats.read: GET /api/stats/online?userId= (another user)', Y],
  ['moderator', 'bot.manage: GET /api/bots/:id (not its owner)', N],
  // member (everyone, implicitly): none of these
  ['member', 'room.update.any: PATCH /api/rooms/:id (not the owner)', N],
  ['member', 'room.delete.any: DELETE /api/rooms/:id (not the owner)', N],
  ['member', 'role.manage: POST /api/roles', N],
  ['member', 'role.manage: POST /api/users/:id/roles (moderator of the room)', N],
  ['member', 'user.ban: POST /api/admin/users/:id/ban', N],
  ['member', 'message.delete.any: DELETE /api/admin/rooms/:roomId/messages/:messageId', N],
  ['member', 'message.delete.any: WebSocket message.delete', N],
  ['member', 'member.mute: POST /api/admin/rooms/:roomId/mutes', N],
  ['member', 'member.kick: POST /api/admin/rooms/:roomId/kick/:userId', N],
  ['member', 'audit.read: GET /api/admin/audit', N],
  ['member', 'org.manage: POST /api/orgs/:id/departments (not in the org)', N],
  ['member', 'stats.read: GET /api/stats/online?userId= (another user)', N],
  ['member', 'bot.manage: GET /api/bots/:id (not its owner)', N],
  // ADMIN_USERNAMES: a global admin without any assignment
  ['ADMIN_USERNAMES', 'room.update.any: PATCH /api/rooms/:id (not the owner)', Y],
  ['ADMIN_USERNAMES', 'room.delete.any: DELETE /api/rooms/:id (not the owner)', Y],
  ['ADMIN_USERNAMES', 'role.manage: POST /api/roles', Y],
  ['ADMIN_USERNAMES', 'role.manage: POST /api/users/:id/roles (moderator of the room)', Y],
  ['ADMIN_USERNAMES', 'user.ban: POST /api/admin/users/:id/ban', Y],
  ['ADMIN_USERNAMES', 'message.delete.any: DELETE /api/admin/rooms/:roomId/messages/:messageId', Y],
  ['ADMIN_USERNAMES', 'message.delete.any: WebSocket message.delete', Y],
  ['ADMIN_USERNAMES', 'member.mute: POST /api/admin/rooms/:roomId/mutes', Y],
  ['ADMIN_USERNAMES', 'member.kick: POST /api/admin/rooms/:roomId/kick/:userId', Y],
  ['ADMIN_USERNAMES', 'audit.read: GET /api/admin/audit', Y],
  ['ADMIN_USERNAMES', 'org.manage: POST /api/orgs/:id/departments (not in the org)', Y],
  ['ADMIN_USERNAMES', 'stats.read: GET /api/stats/online?userId= (another user)', Y],
  ['ADMIN_USERNAMES', 'bot.manage: GET /api/bots/:id (not its owner)', Y],
  // moderator of this room only: the room's actions here, nothing global
  ['moderator of the room', 'room.update.any: PATCH /api/rooms/:id (not the owner)', Y],
  ['moderator of the room', 'room.delete.any: DELETE /api/rooms/:id (not the owner)', Y],
  ['moderator of the room', 'role.manage: POST /api/users/:id/roles (moderator of the room)', N],
  ['moderator of the room', 'user.ban: POST /api/admin/users/:id/ban', N],
  ['moderator of the room', 'message.delete.any: DELETE /api/admin/rooms/:roomId/messages/:messageId', Y],
  ['moderator of the room', 'message.delete.any: WebSocket message.delete', Y],
  ['moderator of the room', 'member.mute: POST /api/admin/rooms/:roomId/mutes', Y],
  ['moderator of the room', 'member.kick: POST /api/admin/rooms/:roomId/kick/:userId', Y],
  ['moderator of the room', 'audit.read: GET /api/admin/audit', N],
  ['moderator of the room', 'stats.read: GET /api/stats/online?userId= (another user)', N],
  // moderator of room B acting in room A: nothing
  ['moderator of another room', 'room.update.any: PATCH /api/rooms/:id (not the owner)', N],
  ['moderator of another room', 'room.delete.any: DELETE /api/rooms/:id (not the owner)', N],
  ['moderator of another room', 'message.delete.any: DELETE /api/admin/rooms/:roomId/messages/:messageId', N],
  ['moderator of another room', 'message.delete.any: WebSocket message.delete', N],
  ['moderator of another room', 'member.mute: POST /api/admin/rooms/:roomId/mutes', N],
  ['moderator of another room', 'member.kick: POST /api/admin/rooms/:roomId/kick/:userId', N],
];

/** Fresh room (owned by `owner`) with `target` and `actor` as members and one message. */
async function makeFixture(t: TestApp, owner: TestUser, actor: TestUser): Promise<Fixture> {
  const room = await createRoom(t.baseUrl, owner, { description: 'as made' });
  const target = await registerUser(t.baseUrl);
  for (const u of [target, actor]) expect((await joinRoom(t.baseUrl, u, room.id)).status).toBe(200);
  const msg = await as(t, owner, 'POST', `/api/rooms/${room.id}/messages`, { content: 'hello' });
  expect(msg.status).toBe(201);
  return { room, owner, target, messageId: msg.body.id };
}

/** Runs one row: the actor tries the action; allowed → its success, refused → its refusal, no change. */
async function check(t: TestApp, action: Action, actor: TestUser, f: Fixture, allowed: boolean) {
  const out = await action.run(t, actor, f);
  if (allowed) {
    expect({ status: out.status, detail: out.detail }).toEqual({
      status: action.ok,
      detail: out.detail,
    });
  } else {
    expect({ status: out.status, code: out.code, detail: out.detail }).toEqual({
      ...action.refused,
      detail: out.detail,
    });
    await action.unchanged?.(t, f);
  }
}

describe('permission matrix, roles module on (every module on)', () => {
  let t: TestApp;
  const rootName = uniqueName('root');
  let root: TestUser;
  let owner: TestUser;
  const actors = new Map<Grant, TestUser>();

  beforeAll(async () => {
    t = await startTestApp(allModulesEnv({ ADMIN_USERNAMES: rootName }));
    root = await registerUser(t.baseUrl, { username: rootName });
    owner = await registerUser(t.baseUrl);
    actors.set('ADMIN_USERNAMES', root);
    // Global grants go through the roles API, as an operator would do it.
    for (const [grant, roleId] of [
      ['admin', ADMIN_ID],
      ['moderator', MODERATOR_ID],
      ['member', null],
    ] as const) {
      const user = await registerUser(t.baseUrl);
      if (roleId) {
        const res = await as(t, root, 'POST', `/api/users/${user.id}/roles`, {
          roleId,
          scopeType: 'global',
        });
        expect(res.status).toBe(201);
      }
      actors.set(grant, user);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('the table covers every action for every global grant', () => {
    for (const grant of ['admin', 'moderator', 'member', 'ADMIN_USERNAMES'] as const)
      expect(
        MATRIX.filter(([g]) => g === grant)
          .map(([, a]) => a)
          .sort(),
      ).toEqual(Object.keys(ACTIONS).sort());
  });

  it.each(MATRIX)('%s → %s: allowed %s', async (grant, name, allowed) => {
    const action: Action = ACTIONS[name];
    let actor = actors.get(grant);
    if (!actor) {
      // Room-scoped grants: a fresh actor, moderator of this fixture's room or of another one.
      actor = await registerUser(t.baseUrl);
      const f = await makeFixture(t, owner, actor);
      const scopeId =
        grant === 'moderator of the room' ? f.room.id : (await createRoom(t.baseUrl, owner)).id;
      const res = await as(t, root, 'POST', `/api/users/${actor.id}/roles`, {
        roleId: MODERATOR_ID,
        scopeType: 'room',
        scopeId,
      });
      expect(res.status).toBe(201);
      return check(t, action, actor, f, allowed);
    }
    return check(t, action, actor, await makeFixture(t, owner, actor), allowed);
  });

  it('a guarded route or frame with a malformed room id: 400 for an admin, 403 for others, never 500', async () => {
    const admin = actors.get('admin')!;
    const member = actors.get('member')!;
    const path = `/api/admin/rooms/not-a-uuid/messages/${owner.id}`;
    expectError(await as(t, admin, 'DELETE', path, {}), 400, 'VALIDATION_FAILED');
    expectError(await as(t, member, 'DELETE', path, {}), 403, 'PERMISSION_DENIED');
    for (const [actor, code] of [
      [admin, 'VALIDATION_FAILED'],
      [member, 'PERMISSION_DENIED'],
    ] as const) {
      const ws = await WsTestClient.connect(t.wsUrl, { token: actor.accessToken });
      try {
        const answer = await ws.request(
          'message.delete',
          { roomId: "x' OR 1=1", messageId: owner.id },
          'message.delete.ack',
        );
        expect([answer.event, answer.data.code, answer.data.ref]).toEqual([
          'error',
          code,
          'message.delete',
        ]);
        expect(ws.isOpen).toBe(true);
      } finally {
        ws.close();
      }
    }
  });

  it('a room-scoped moderator sees the kick take effect in their room, and is refused next door', async () => {
    const mod = await registerUser(t.baseUrl);
    const a = await makeFixture(t, owner, mod);
    const b = await makeFixture(t, owner, mod);
    await as(t, root, 'POST', `/api/users/${mod.id}/roles`, {
      roleId: MODERATOR_ID,
      scopeType: 'room',
      scopeId: a.room.id,
    });
    expect(
      (await as(t, mod, 'POST', `/api/admin/rooms/${a.room.id}/kick/${a.target.id}`, {})).status,
    ).toBe(204);
    expect(
      await dbOne('SELECT 1 AS x FROM room_members WHERE room_id = $1 AND user_id = $2', [
        a.room.id,
        a.target.id,
      ]),
    ).toBeUndefined();
    expectError(
      await as(t, mod, 'POST', `/api/admin/rooms/${b.room.id}/kick/${b.target.id}`, {}),
      403,
      'PERMISSION_DENIED',
    );
    // Revoked: refused in room A too.
    const revoked = await http(t.baseUrl, 'DELETE', `/api/users/${mod.id}/roles`, {
      token: root.accessToken,
      body: { roleId: MODERATOR_ID, scopeType: 'room', scopeId: a.room.id },
    });
    expect(revoked.status).toBe(204);
    expectError(
      await as(t, mod, 'PATCH', `/api/rooms/${a.room.id}`, { description: 'x' }),
      403,
      'NOT_ROOM_OWNER',
    );
  });
});

describe('permission matrix, roles module off', () => {
  // Every other module on: their guards fall back to ADMIN_USERNAMES (every permission) and
  // nobody else holds any; the core's own rules are unchanged.
  let t: TestApp;
  const rootName = uniqueName('root');
  let root: TestUser;
  let owner: TestUser;
  let member: TestUser;
  beforeAll(async () => {
    const others = FLAG_VARS.filter((f) => f !== 'FEATURE_USER_ROLES');
    t = await startTestApp(enterpriseEnv([...others], { ADMIN_USERNAMES: rootName }));
    root = await registerUser(t.baseUrl, { username: rootName });
    [owner, member] = await Promise.all([registerUser(t.baseUrl), registerUser(t.baseUrl)]);
  });
  afterAll(async () => {
    await t.close();
  });

  const offRows = (Object.keys(ACTIONS) as ActionName[])
    .filter((name) => !(ACTIONS[name] as Action).rolesRoute)
    .flatMap((name): [string, ActionName, boolean][] => [
      ['ADMIN_USERNAMES', name, true],
      ['a plain user', name, false],
    ]);

  it.each(offRows)('%s → %s: allowed %s', async (who, name, allowed) => {
    const actor = who === 'ADMIN_USERNAMES' ? root : member;
    await check(t, ACTIONS[name], actor, await makeFixture(t, owner, actor), allowed);
  });

  it('the roles routes are not there', async () => {
    expectError(await as(t, root, 'POST', '/api/roles', { name: 'x', permissions: [] }), 404);
    expectError(await as(t, root, 'GET', `/api/users/${root.id}/permissions`), 404);
  });
});

describe('every module off: the core rules alone', () => {
  let t: TestApp;
  const rootName = uniqueName('root');
  beforeAll(async () => {
    t = await startTestApp(coreEnv({ ADMIN_USERNAMES: rootName }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('a non-owner member gets 403 NOT_ROOM_OWNER; the owner and ADMIN_USERNAMES may change and delete', async () => {
    const [owner, member, root] = await Promise.all([
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl, { username: rootName }),
    ]);
    const room = await createRoom(t.baseUrl, owner);
    expect((await joinRoom(t.baseUrl, member, room.id)).status).toBe(200);
    expectError(
      await as(t, member, 'PATCH', `/api/rooms/${room.id}`, { description: 'x' }),
      403,
      'NOT_ROOM_OWNER',
    );
    expectError(await as(t, member, 'DELETE', `/api/rooms/${room.id}`), 403, 'NOT_ROOM_OWNER');
    expect(
      (await as(t, owner, 'PATCH', `/api/rooms/${room.id}`, { description: 'mine' })).status,
    ).toBe(200);
    const byRoot = await as(t, root, 'PATCH', `/api/rooms/${room.id}`, { description: 'root' });
    expect([byRoot.status, byRoot.body.description]).toEqual([200, 'root']);
    expect((await as(t, root, 'DELETE', `/api/rooms/${room.id}`)).status).toBe(204);
    expectError(await as(t, owner, 'GET', `/api/rooms/${room.id}`), 404, 'ROOM_NOT_FOUND');
    // The module's WebSocket event is absent too.
    const ws = await WsTestClient.connect(t.wsUrl, { token: member.accessToken });
    try {
      const answer = await ws.request(
        'message.delete',
        { roomId: room.id, messageId: room.id },
        'message.delete.ack',
      );
      expect(answer.data.code).toBe('UNKNOWN_EVENT');
    } finally {
      ws.close();
    }
  });
});
