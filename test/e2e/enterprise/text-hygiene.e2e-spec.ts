// Names and text shown to other people (rooms, organisations, departments, positions, roles,
// descriptions, moderation reasons, profile fields) get the hygiene usernames have: no control,
// bidi-override or zero-width characters, in any script; and a lone UTF-16 surrogate is refused
// in any text at all, over HTTP and WebSocket. Every module is on: their fields are covered too.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../../support/app.js';
import { allModulesEnv, withDatabase } from '../../support/flags.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  login,
  registerUser,
  uniqueName,
  type HttpResult,
  type TestUser,
} from '../../support/http.js';
import { connectWithTicket, type WsTestClient } from '../../support/ws-client.js';

/** Characters no name may hold, each named for the failure message. */
const BAD_IN_NAMES: [string, string][] = [
  ['RIGHT-TO-LEFT OVERRIDE', '\u202E'],
  ['LEFT-TO-RIGHT ISOLATE', '\u2066'],
  ['ZERO WIDTH SPACE', '\u200B'],
  ['ZERO WIDTH JOINER between letters', '\u200D'],
  ['BOM', '\uFEFF'],
  ['HANGUL FILLER', '\u3164'],
  ['BEL', '\u0007'],
  ['a line break', '\n'],
];
/** Characters no multi-line text may hold (line breaks are fine there). */
const BAD_IN_TEXT = BAD_IN_NAMES.filter(([, ch]) => ch !== '\n');
/** Clean names in several scripts, with emoji (a ZWJ sequence too) and Persian ZWNJ. */
const GOOD_NAMES = ['Café Ελληνικά 日本語', '👩‍💻 devs 🏳️‍🌈', 'می‌خواهم'];

/** A JSON body whose `field` holds a lone high surrogate (JSON.stringify escapes it as \ud800). */
const withLoneSurrogate = (body: Record<string, unknown>, field: string): string =>
  JSON.stringify({ ...body, [field]: 'ab\uD800cd' });

describe('text hygiene (every module on)', () => {
  const adminName = uniqueName('adm');
  let t: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let orgId: string;
  const open: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp(allModulesEnv({ ADMIN_USERNAMES: adminName }));
    admin = await registerUser(t.baseUrl, { username: adminName });
    alice = await registerUser(t.baseUrl);
    const org = await http(t.baseUrl, 'POST', '/api/orgs', {
      token: alice.accessToken,
      body: { name: uniqueName('Org') },
    });
    expect(org.status).toBe(201);
    orgId = org.body.id;
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

  const call = (user: TestUser, method: string, path: string, body: unknown) =>
    http(t.baseUrl, method, path, { token: user.accessToken, body });

  function expectRefused(res: HttpResult, field: string, what: string): void {
    try {
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Display-name fields: a request that sets the field to `value`, per endpoint. */
  const nameFields: [string, string, (value: string) => Promise<HttpResult>][] = [
    [
      'POST /api/rooms',
      'name',
      (v) => call(alice, 'POST', '/api/rooms', { name: v, isPrivate: false }),
    ],
    ['POST /api/orgs', 'name', (v) => call(alice, 'POST', '/api/orgs', { name: v })],
    [
      'POST /api/orgs/:id/departments',
      'name',
      (v) => call(alice, 'POST', `/api/orgs/${orgId}/departments`, { name: v }),
    ],
    [
      'POST /api/orgs/:id/positions',
      'name',
      (v) => call(alice, 'POST', `/api/orgs/${orgId}/positions`, { name: v }),
    ],
  ];

  it.each(nameFields)(
    '%s: a %s with invisible or control characters is refused',
    async (_route, field, send) => {
      for (const [what, ch] of BAD_IN_NAMES) {
        const res = await send(`ab${ch}cd`);
        expectRefused(res, field, what);
        expect(errorText(res)).toMatch(/U\+[0-9A-F]{4}/);
      }
    },
  );

  it.each(nameFields)(
    '%s: a %s in any script, with emoji, is accepted',
    async (_route, _field, send) => {
      for (const name of GOOD_NAMES) {
        const res = await send(`${name} ${uniqueName('n').slice(-8)}`);
        expect([200, 201]).toContain(res.status);
      }
    },
  );

  it('roles: name and description', async () => {
    for (const [what, ch] of BAD_IN_NAMES) {
      expectRefused(
        await call(admin, 'POST', '/api/roles', { name: `Ro${ch}le`, permissions: [] }),
        'name',
        what,
      );
    }
    for (const [what, ch] of BAD_IN_TEXT) {
      expectRefused(
        await call(admin, 'POST', '/api/roles', {
          name: uniqueName('Role'),
          description: `x${ch}y`,
          permissions: [],
        }),
        'description',
        what,
      );
    }
    const ok = await call(admin, 'POST', '/api/roles', {
      name: uniqueName('Role'),
      description: 'line one\nline two',
      permissions: [],
    });
    expect(ok.status).toBe(201);
  });

  it('rooms: a description may hold line breaks, not invisible characters; a refused PATCH changes nothing', async () => {
    const room = await createRoom(t.baseUrl, alice, { description: 'first\nsecond' });
    expect(room.description).toBe('first\nsecond');
    for (const [what, ch] of BAD_IN_TEXT)
      expectRefused(
        await call(alice, 'PATCH', `/api/rooms/${room.id}`, { description: `x${ch}y` }),
        'description',
        what,
      );
    for (const [what, ch] of BAD_IN_NAMES)
      expectRefused(
        await call(alice, 'PATCH', `/api/rooms/${room.id}`, { name: `ab${ch}${room.name}` }),
        'name',
        what,
      );
    const now = await call(alice, 'GET', `/api/rooms/${room.id}`, undefined);
    expect(now.body).toMatchObject({ name: room.name, description: 'first\nsecond' });
  });

  it('admin: moderation reasons (REST and the WebSocket message.delete)', async () => {
    const victim = await registerUser(t.baseUrl);
    for (const [what, ch] of BAD_IN_TEXT)
      expectRefused(
        await call(admin, 'POST', `/api/admin/users/${victim.id}/ban`, { reason: `spam${ch}` }),
        'reason',
        what,
      );
    // Nothing changed: the victim still logs in.
    expect((await login(t.baseUrl, victim.username, victim.password)).status).toBe(200);

    const room = await createRoom(t.baseUrl, alice);
    expectRefused(
      await call(admin, 'POST', `/api/admin/rooms/${room.id}/mutes`, {
        userId: victim.id,
        until: new Date(Date.now() + 3_600_000).toISOString(),
        reason: 'flood\u202Eing',
      }),
      'reason',
      'mute reason',
    );

    const ws = await connectWithTicket(t, admin);
    open.push(ws);
    const from = ws.frames.length;
    ws.send('message.delete', {
      roomId: room.id,
      messageId: '00000000-0000-4000-8000-000000000000',
      reason: 'off\u200Btopic',
    });
    const err = await ws.waitFor((f) => f.event === 'error', 5000, from);
    expect(err.data.code).toBe('VALIDATION_FAILED');
    expect(err.data.message).toContain('reason');
  });

  it('profile fields (extensions) shown to others get the same hygiene', async () => {
    const res = await call(alice, 'PATCH', '/api/users/me', {
      extensions: { title: 'CEO\u202E' },
    });
    expect(res.status).toBe(400);
    expect(errorText(res)).toContain('extensions.title');
  });

  describe('a lone UTF-16 surrogate in any text is refused', () => {
    it('over HTTP: room name, username, message content, a query', async () => {
      const room = await createRoom(t.baseUrl, alice);
      const cases: [string, string, string, string, string][] = [
        [
          'POST',
          '/api/rooms',
          withLoneSurrogate({ isPrivate: false }, 'name'),
          'name',
          alice.accessToken,
        ],
        [
          'POST',
          '/api/auth/register',
          withLoneSurrogate({ email: 'x@example.test', password: 'long enough pw' }, 'username'),
          'username',
          '',
        ],
        [
          'POST',
          `/api/rooms/${room.id}/messages`,
          withLoneSurrogate({ clientMsgId: 'ls-1' }, 'content'),
          'content',
          alice.accessToken,
        ],
      ];
      for (const [method, path, rawBody, field, token] of cases) {
        const res = await http(t.baseUrl, method, path, { rawBody, token: token || undefined });
        expectRefused(res, field, `${method} ${path}`);
        expect(errorText(res)).toMatch(/surrogate/);
      }
      const stored = await withDatabase(process.env.ENTERPRISE_DATABASE_URL!, (db) =>
        db.query('SELECT count(*)::int AS n FROM messages WHERE room_id = $1', [room.id]),
      );
      expect(stored.rows[0].n).toBe(0);
    });

    it('over WebSocket: an error frame naming the field; the connection stays open', async () => {
      const room = await createRoom(t.baseUrl, alice);
      const ws = await connectWithTicket(t, alice);
      open.push(ws);
      const from = ws.frames.length;
      ws.sendRaw(
        `{"event":"message.send","data":{"roomId":"${room.id}","clientMsgId":"ls-2","content":"ab\\ud800cd"}}`,
      );
      const err = await ws.waitFor((f) => f.event === 'error', 5000, from);
      expect(err.data.code).toBe('VALIDATION_FAILED');
      expect(err.data.message).toContain('content');
      expect(err.data.message).toMatch(/surrogate/);
      await ws.roundTrip();
      expect(ws.isOpen).toBe(true);
    });
  });
});
