import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  joinRoom,
  registerUser,
  uniqueName,
  type HttpResult,
  type TestUser,
} from '../support/http.js';

const ROOM_KEYS = [
  'createdAt',
  'description',
  'id',
  'isPrivate',
  'kind',
  'lastEventSeq',
  'lastSeq',
  'memberCount',
  'name',
  'orgId',
  'ownerId',
  'retentionDays',
  'updatedAt',
];
const MEMBERSHIP_KEYS = ['joinedAt', 'lastReadSeq', 'role', 'roomId', 'userId', 'username'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor as the service encodes them (base64url JSON), with any content. */
const cursorOf = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');

describe('REST rooms (/api/rooms/*)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  beforeAll(async () => {
    t = await startTestApp();
    [alice, bob, carol] = await Promise.all([
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
    ]);
  });
  afterAll(async () => {
    await t.close();
  });

  const req = (user: TestUser | null, method: string, path: string, body?: unknown) =>
    http(t.baseUrl, method, path, { token: user?.accessToken, body });
  const getRoom = (user: TestUser, id: string) => req(user, 'GET', `/api/rooms/${id}`);
  const patchRoom = (user: TestUser, id: string, body: unknown) =>
    req(user, 'PATCH', `/api/rooms/${id}`, body);
  const leave = (user: TestUser, id: string) => req(user, 'POST', `/api/rooms/${id}/leave`);
  const members = (user: TestUser, id: string, query = '') =>
    req(user, 'GET', `/api/rooms/${id}/members${query}`);
  const list = (user: TestUser, query: string) => req(user, 'GET', `/api/rooms${query}`);

  /** Follows nextCursor to the end; answers every page. */
  async function allPages(
    fetchPage: (cursor: string | null) => Promise<HttpResult>,
  ): Promise<HttpResult['body'][][]> {
    const pages: HttpResult['body'][][] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const res = await fetchPage(cursor);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      pages.push(res.body.items);
      cursor = res.body.nextCursor;
      if (cursor === null) return pages;
      expect(typeof cursor).toBe('string');
    }
    throw new Error('pagination did not end');
  }

  describe('POST /api/rooms', () => {
    it('201 a public room: the creator is its owner and first member', async () => {
      const name = uniqueName('pub');
      const res = await req(alice, 'POST', '/api/rooms', {
        name,
        description: 'all welcome',
        isPrivate: false,
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(ROOM_KEYS);
      expect(res.body).toMatchObject({
        name,
        description: 'all welcome',
        ownerId: alice.id,
        isPrivate: false,
        memberCount: 1,
        lastSeq: 0,
      });
      expect(res.body.id).toMatch(UUID_RE);
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
      expect(new Date(res.body.updatedAt).toISOString()).toBe(res.body.updatedAt);

      const m = await members(alice, res.body.id);
      expect(m.status).toBe(200);
      expect(m.body.items).toHaveLength(1);
      expect(m.body.items[0]).toMatchObject({
        roomId: res.body.id,
        userId: alice.id,
        username: alice.username,
        role: 'owner',
      });
      expect((await getRoom(alice, res.body.id)).body).toEqual(res.body);
    });

    it('201 a private room with a password, which is never returned; description defaults to ""', async () => {
      const res = await req(alice, 'POST', '/api/rooms', {
        name: uniqueName('priv'),
        isPrivate: true,
        password: 'hunter22',
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(ROOM_KEYS);
      expect(res.body).toMatchObject({
        isPrivate: true,
        ownerId: alice.id,
        memberCount: 1,
        description: '',
      });
      expect(JSON.stringify(res.body)).not.toMatch(/hunter22|password|argon/i);
    });

    it('a private room without a password: 400 ROOM_PASSWORD_REQUIRED', async () => {
      const res = await req(alice, 'POST', '/api/rooms', {
        name: uniqueName('nopw'),
        isPrivate: true,
      });
      expectError(res, 400, 'ROOM_PASSWORD_REQUIRED');
      expect(errorText(res)).toContain('password');
    });

    it('a public room with a password: 400 naming password', async () => {
      const res = await req(alice, 'POST', '/api/rooms', {
        name: uniqueName('pubpw'),
        isPrivate: false,
        password: 'hunter22',
      });
      expectError(res, 400);
      expect(errorText(res)).toContain('password');
    });

    it('a taken name (any letter case, surrounding blanks trimmed): 409 ROOM_NAME_TAKEN', async () => {
      const room = await createRoom(t.baseUrl, alice, { name: uniqueName('Dup') });
      for (const name of [room.name, room.name.toLowerCase(), `  ${room.name.toUpperCase()}  `]) {
        expectError(
          await req(bob, 'POST', '/api/rooms', { name, isPrivate: false }),
          409,
          'ROOM_NAME_TAKEN',
        );
      }
      expectError(
        await req(bob, 'POST', '/api/rooms', {
          name: room.name,
          isPrivate: true,
          password: 'hunter22',
        }),
        409,
        'ROOM_NAME_TAKEN',
      );
    });

    it('trims the name', async () => {
      const name = uniqueName('trim');
      const room = await createRoom(t.baseUrl, alice, { name: `  ${name}  ` });
      expect(room.name).toBe(name);
    });

    it.each([
      ['name', 'missing', { isPrivate: false }],
      ['name', 'empty', { name: '', isPrivate: false }],
      ['name', 'blank', { name: '   ', isPrivate: false }],
      ['name', 'over 100 characters', { name: 'n'.repeat(101), isPrivate: false }],
      ['name', 'not a string', { name: 7, isPrivate: false }],
      ['name', 'holding a NUL character', { name: 'a\u0000b', isPrivate: false }],
      ['isPrivate', 'missing', { name: 'x' }],
      ['isPrivate', 'not a boolean', { name: 'x', isPrivate: 'yes' }],
      [
        'description',
        'over 1000 characters',
        { name: 'x', isPrivate: false, description: 'd'.repeat(1001) },
      ],
      [
        'description',
        'holding a NUL character',
        { name: 'x', isPrivate: false, description: '\u0000' },
      ],
      ['password', 'too short', { name: 'x', isPrivate: true, password: 'abc' }],
      ['password', 'null', { name: 'x', isPrivate: true, password: null }],
      ['ownerId', 'given (unknown field)', { name: 'x', isPrivate: false, ownerId: randomUUID() }],
    ])('400 naming %s when it is %s', async (field, _what, body) => {
      const b: Record<string, unknown> = { ...body };
      if (b.name === 'x') b.name = uniqueName('bad');
      const res = await req(alice, 'POST', '/api/rooms', b);
      expectError(res, 400);
      expect(['VALIDATION_FAILED', 'ROOM_PASSWORD_REQUIRED']).toContain(res.body.code);
      expect(errorText(res)).toContain(field);
    });

    it('401 without a token', async () => {
      expectError(
        await req(null, 'POST', '/api/rooms', { name: uniqueName('anon'), isPrivate: false }),
        401,
        'AUTH_REQUIRED',
      );
    });
  });

  describe('GET /api/rooms', () => {
    it("lists public rooms and the caller's own private rooms, never others' private rooms", async () => {
      const p = uniqueName('vis');
      const alicePub = await createRoom(t.baseUrl, alice, { name: `${p}-alice-pub` });
      const alicePriv = await createRoom(t.baseUrl, alice, {
        name: `${p}-alice-priv`,
        isPrivate: true,
        password: 'pw-alice',
      });
      const bobPriv = await createRoom(t.baseUrl, bob, {
        name: `${p}-bob-priv`,
        isPrivate: true,
        password: 'pw-bob1',
      });
      const bobPub = await createRoom(t.baseUrl, bob, { name: `${p}-bob-pub` });
      const q = `?q=${encodeURIComponent(p)}`;

      const ids = async (u: TestUser) => {
        const res = await list(u, q);
        expect(res.status).toBe(200);
        expect(res.body.nextCursor).toBeNull();
        for (const r of res.body.items) expect(Object.keys(r).sort()).toEqual(ROOM_KEYS);
        return res.body.items.map((r: { id: string }) => r.id);
      };
      // Newest first.
      expect(await ids(alice)).toEqual([bobPub.id, alicePriv.id, alicePub.id]);
      expect(await ids(bob)).toEqual([bobPub.id, bobPriv.id, alicePub.id]);
      expect(await ids(carol)).toEqual([bobPub.id, alicePub.id]);
      // Joining a private room makes it the caller's own.
      expect((await joinRoom(t.baseUrl, carol, alicePriv.id, 'pw-alice')).status).toBe(200);
      expect(await ids(carol)).toEqual([bobPub.id, alicePriv.id, alicePub.id]);
    });

    it('q filters by a case-insensitive substring of the name, with % and _ taken literally', async () => {
      const p = uniqueName('qf');
      const a = await createRoom(t.baseUrl, alice, { name: `${p}-Apple` });
      const b = await createRoom(t.baseUrl, alice, { name: `${p}-apricot` });
      const pct = await createRoom(t.baseUrl, alice, { name: `${p}-100%` });
      const digits = await createRoom(t.baseUrl, alice, { name: `${p}-1000` });
      const names = async (q: string) => {
        const res = await list(bob, `?q=${encodeURIComponent(q)}`);
        expect(res.status).toBe(200);
        return res.body.items.map((r: { id: string }) => r.id).sort();
      };
      expect(await names(p)).toEqual([a.id, b.id, pct.id, digits.id].sort());
      expect(await names(`${p}-AP`)).toEqual([a.id, b.id].sort());
      expect(await names(`${p.toUpperCase()}-apple`)).toEqual([a.id]);
      expect(await names(`${p}-100%`)).toEqual([pct.id]);
      expect(await names(`${p}-1_0`)).toEqual([]);
      expect(await names(`${p}-nothing-like-this`)).toEqual([]);
    });

    it('keyset-paginates with limit and cursor: default 50, no duplicates, no misses, newest first', async () => {
      const p = uniqueName('page');
      const created: string[] = [];
      for (let i = 0; i < 53; i++)
        created.push((await createRoom(t.baseUrl, bob, { name: `${p}-${i}` })).id);
      const newestFirst = [...created].reverse();
      const q = `q=${encodeURIComponent(p)}`;

      const byDefault = await allPages((c) =>
        list(alice, `?${q}${c ? `&cursor=${encodeURIComponent(c)}` : ''}`),
      );
      expect(byDefault.map((pg) => pg.length)).toEqual([50, 3]);
      expect(byDefault.flat().map((r) => r.id)).toEqual(newestFirst);

      const by20 = await allPages((c) =>
        list(alice, `?${q}&limit=20${c ? `&cursor=${encodeURIComponent(c)}` : ''}`),
      );
      expect(by20.map((pg) => pg.length)).toEqual([20, 20, 13]);
      expect(by20.flat().map((r) => r.id)).toEqual(newestFirst);

      // An exact multiple ends with nextCursor null on the last full page.
      const byOneBig = await allPages((c) =>
        list(alice, `?${q}&limit=53${c ? `&cursor=${encodeURIComponent(c)}` : ''}`),
      );
      expect(byOneBig.map((pg) => pg.length)).toEqual([53]);

      const max = await list(alice, `?${q}&limit=200`);
      expect(max.status).toBe(200);
      expect(max.body.items).toHaveLength(53);
    });

    it.each([
      ['limit', '?limit=201'],
      ['limit', '?limit=0'],
      ['limit', '?limit=-5'],
      ['limit', '?limit=abc'],
      ['limit', '?limit=1.5'],
      ['cursor', '?cursor=not-a-cursor'],
      ['cursor', `?cursor=${Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url')}`],
      ['cursor', `?cursor=${Buffer.from(JSON.stringify([1, 2, 3])).toString('base64url')}`],
      ['cursor', `?cursor=${cursorOf(['2024-02-31T00:00:00.000000Z', randomUUID()])}`],
      ['cursor', `?cursor=${cursorOf(['0000-01-01T00:00:00.000000Z', randomUUID()])}`],
      ['cursor', `?cursor=${cursorOf(['2024-01-01T00:00:00.000000Z', 'not-a-uuid'])}`],
      ['q', '?q=%00'],
      ['q', `?q=${'q'.repeat(101)}`],
    ])('400 naming %s for %s', async (field, query) => {
      const res = await list(alice, query);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
    });

    it('a well-formed cursor naming any real position is accepted (a leap day too)', async () => {
      const cursor = cursorOf(['2024-02-29T12:00:00.123456Z', randomUUID()]);
      const res = await list(alice, `?q=${uniqueName('none')}&cursor=${cursor}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [], nextCursor: null });
    });
  });

  describe('GET /api/rooms/:id', () => {
    it('200 for a public room (member or not) and for a private room one is in; 404 for a private room one is not in', async () => {
      const pub = await createRoom(t.baseUrl, alice);
      const priv = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      expect((await getRoom(alice, pub.id)).body).toEqual(pub);
      expect((await getRoom(bob, pub.id)).status).toBe(200);
      expect((await getRoom(alice, priv.id)).body).toEqual(priv);
      expectError(await getRoom(bob, priv.id), 404, 'ROOM_NOT_FOUND');
    });

    it('a private room one does not see answers exactly like an unknown id', async () => {
      const priv = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      const hidden = await getRoom(bob, priv.id);
      const unknown = await getRoom(bob, randomUUID());
      expectError(hidden, 404, 'ROOM_NOT_FOUND');
      expectError(unknown, 404, 'ROOM_NOT_FOUND');
      expect(hidden.body.message).toBe(unknown.body.message);
    });

    it('a malformed id: 400 naming id', async () => {
      const res = await getRoom(alice, 'not-a-uuid');
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('id');
    });
  });

  describe('PATCH /api/rooms/:id', () => {
    it('the owner updates name and description', async () => {
      const room = await createRoom(t.baseUrl, alice, { description: 'old' });
      const name = uniqueName('renamed');
      const res = await patchRoom(alice, room.id, { name, description: 'new' });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(ROOM_KEYS);
      expect(res.body).toMatchObject({
        id: room.id,
        name,
        description: 'new',
        ownerId: alice.id,
        isPrivate: false,
      });
      expect(res.body.createdAt).toBe(room.createdAt);
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(room.updatedAt));
      expect((await getRoom(bob, room.id)).body).toMatchObject({ name, description: 'new' });
    });

    it('owner only: a member gets 403 NOT_ROOM_OWNER, a stranger 403 (public) or 404 (private)', async () => {
      const pub = await createRoom(t.baseUrl, alice);
      const priv = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      await joinRoom(t.baseUrl, bob, pub.id);
      expectError(await patchRoom(bob, pub.id, { description: 'mine now' }), 403, 'NOT_ROOM_OWNER');
      expectError(await patchRoom(carol, pub.id, { description: 'mine now' }), 403);
      expectError(
        await patchRoom(carol, priv.id, { description: 'mine now' }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await patchRoom(alice, randomUUID(), { description: 'x' }),
        404,
        'ROOM_NOT_FOUND',
      );
      expect((await getRoom(alice, pub.id)).body.description).toBe('');
    });

    it('switching to private requires a password; with one, the room hides and needs it', async () => {
      const room = await createRoom(t.baseUrl, alice);
      expectError(
        await patchRoom(alice, room.id, { isPrivate: true }),
        400,
        'ROOM_PASSWORD_REQUIRED',
      );
      expect((await getRoom(bob, room.id)).body.isPrivate).toBe(false);

      const res = await patchRoom(alice, room.id, { isPrivate: true, password: 'now-secret' });
      expect(res.status).toBe(200);
      expect(res.body.isPrivate).toBe(true);
      expectError(await getRoom(bob, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(await joinRoom(t.baseUrl, bob, room.id), 403, 'ROOM_PASSWORD_INVALID');
      expect((await joinRoom(t.baseUrl, bob, room.id, 'now-secret')).status).toBe(200);
    });

    it('changing a private room password: the old one stops working, the new one works', async () => {
      const room = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'first-pw' });
      expect((await patchRoom(alice, room.id, { password: 'second-pw' })).status).toBe(200);
      expectError(
        await joinRoom(t.baseUrl, bob, room.id, 'first-pw'),
        403,
        'ROOM_PASSWORD_INVALID',
      );
      expect((await joinRoom(t.baseUrl, bob, room.id, 'second-pw')).status).toBe(200);
    });

    it('switching to public drops the password: anyone joins without one, and going private again needs a new one', async () => {
      const room = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      const res = await patchRoom(alice, room.id, { isPrivate: false });
      expect(res.status).toBe(200);
      expect(res.body.isPrivate).toBe(false);
      expect((await getRoom(bob, room.id)).status).toBe(200);
      expect((await joinRoom(t.baseUrl, bob, room.id)).status).toBe(200);
      expectError(
        await patchRoom(alice, room.id, { isPrivate: true }),
        400,
        'ROOM_PASSWORD_REQUIRED',
      );
    });

    it('a password on a public room: 400', async () => {
      const room = await createRoom(t.baseUrl, alice);
      const res = await patchRoom(alice, room.id, { password: 'whatever' });
      expectError(res, 400);
      expect(errorText(res)).toContain('password');
    });

    it('renaming onto a taken name: 409 ROOM_NAME_TAKEN', async () => {
      const taken = await createRoom(t.baseUrl, bob);
      const room = await createRoom(t.baseUrl, alice);
      expectError(
        await patchRoom(alice, room.id, { name: taken.name.toUpperCase() }),
        409,
        'ROOM_NAME_TAKEN',
      );
      expect((await getRoom(alice, room.id)).body.name).toBe(room.name);
    });

    it.each([
      ['name', { name: null }],
      ['name', { name: '  ' }],
      ['description', { description: null }],
      ['isPrivate', { isPrivate: null }],
      ['isPrivate', { isPrivate: 'true' }],
      ['ownerId', { ownerId: randomUUID() }],
      ['memberCount', { memberCount: 99 }],
      ['name', { name: 'a\u0000' }],
    ])('400 naming %s for %p', async (field, body) => {
      const room = await createRoom(t.baseUrl, alice, { description: 'keep' });
      const res = await patchRoom(alice, room.id, body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
      expect((await getRoom(alice, room.id)).body).toEqual(room);
    });

    it('400 naming password for a null password on a private room', async () => {
      const room = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      const res = await patchRoom(alice, room.id, { password: null });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('password');
      expect((await joinRoom(t.baseUrl, bob, room.id, 'secret-pw')).status).toBe(200);
    });

    it('a malformed id: 400 naming id', async () => {
      const res = await patchRoom(alice, 'nope', { description: 'x' });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('id');
    });
  });

  describe('DELETE /api/rooms/:id', () => {
    it('owner only: 403 for a member, 404 for a stranger to a private room', async () => {
      const pub = await createRoom(t.baseUrl, alice);
      const priv = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      await joinRoom(t.baseUrl, bob, pub.id);
      expectError(await req(bob, 'DELETE', `/api/rooms/${pub.id}`), 403, 'NOT_ROOM_OWNER');
      expectError(await req(carol, 'DELETE', `/api/rooms/${pub.id}`), 403);
      expectError(await req(carol, 'DELETE', `/api/rooms/${priv.id}`), 404, 'ROOM_NOT_FOUND');
      expect((await getRoom(alice, pub.id)).status).toBe(200);
      expect((await getRoom(alice, priv.id)).status).toBe(200);
    });

    it('204, then the room is gone everywhere (404)', async () => {
      const room = await createRoom(t.baseUrl, alice);
      await joinRoom(t.baseUrl, bob, room.id);
      const res = await req(alice, 'DELETE', `/api/rooms/${room.id}`);
      expect(res.status).toBe(204);
      expect(res.body).toBeNull();
      expectError(await getRoom(alice, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(await getRoom(bob, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(await req(alice, 'DELETE', `/api/rooms/${room.id}`), 404, 'ROOM_NOT_FOUND');
      expectError(await joinRoom(t.baseUrl, carol, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(await members(bob, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(await req(bob, 'GET', `/api/rooms/${room.id}/messages`), 404, 'ROOM_NOT_FOUND');
      const ids = (await list(alice, `?q=${encodeURIComponent(room.name)}`)).body.items.map(
        (r: { id: string }) => r.id,
      );
      expect(ids).not.toContain(room.id);
    });

    it('a malformed id: 400 naming id', async () => {
      const res = await req(alice, 'DELETE', '/api/rooms/123');
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('id');
    });
  });

  describe('POST /api/rooms/:id/join', () => {
    it('200 a membership for a public room; joining twice is idempotent', async () => {
      const room = await createRoom(t.baseUrl, alice);
      const res = await joinRoom(t.baseUrl, bob, room.id);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(MEMBERSHIP_KEYS);
      expect(res.body).toMatchObject({
        roomId: room.id,
        userId: bob.id,
        username: bob.username,
        role: 'member',
      });
      expect(new Date(res.body.joinedAt).toISOString()).toBe(res.body.joinedAt);
      expect((await getRoom(bob, room.id)).body.memberCount).toBe(2);

      const again = await joinRoom(t.baseUrl, bob, room.id);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(res.body);
      expect((await getRoom(bob, room.id)).body.memberCount).toBe(2);
      expect((await members(bob, room.id)).body.items).toHaveLength(2);

      // The owner "joining" keeps being the owner.
      const owner = await joinRoom(t.baseUrl, alice, room.id);
      expect(owner.status).toBe(200);
      expect(owner.body).toMatchObject({ userId: alice.id, role: 'owner' });
      expect((await getRoom(alice, room.id)).body).toMatchObject({
        ownerId: alice.id,
        memberCount: 2,
      });
    });

    it('a private room: the right password joins (200); a wrong or missing one is 403 ROOM_PASSWORD_INVALID', async () => {
      const room = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'right-pw' });
      expectError(
        await joinRoom(t.baseUrl, bob, room.id, 'wrong-pw'),
        403,
        'ROOM_PASSWORD_INVALID',
      );
      expectError(await joinRoom(t.baseUrl, bob, room.id), 403, 'ROOM_PASSWORD_INVALID');
      expectError(await joinRoom(t.baseUrl, bob, room.id, ''), 403, 'ROOM_PASSWORD_INVALID');
      const nullPw = await req(bob, 'POST', `/api/rooms/${room.id}/join`, { password: null });
      expectError(nullPw, 400, 'VALIDATION_FAILED');
      expect(errorText(nullPw)).toContain('password');
      expectError(await getRoom(bob, room.id), 404, 'ROOM_NOT_FOUND');
      const res = await joinRoom(t.baseUrl, bob, room.id, 'right-pw');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ roomId: room.id, userId: bob.id, role: 'member' });
      expect((await getRoom(bob, room.id)).body).toMatchObject({ isPrivate: true, memberCount: 2 });
      // Already a member: idempotent, no password needed.
      expect((await joinRoom(t.baseUrl, bob, room.id)).status).toBe(200);
    });

    it('repeated wrong passwords (default 5 per 300 s): 429 ROOM_JOIN_THROTTLED with Retry-After, even for the right one', async () => {
      const room = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'right-pw' });
      const guesser = await registerUser(t.baseUrl);
      for (let i = 0; i < 5; i++) {
        expectError(
          await joinRoom(t.baseUrl, guesser, room.id, `guess-${i}`),
          403,
          'ROOM_PASSWORD_INVALID',
        );
      }
      const throttled = await joinRoom(t.baseUrl, guesser, room.id, 'right-pw');
      expectError(throttled, 429, 'ROOM_JOIN_THROTTLED');
      const retryAfter = Number(throttled.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(300);
      expectError(await getRoom(guesser, room.id), 404, 'ROOM_NOT_FOUND');
      // Someone else is not throttled by it.
      expect((await joinRoom(t.baseUrl, carol, room.id, 'right-pw')).status).toBe(200);
    });

    it('404 for an unknown room, 400 naming id for a malformed one', async () => {
      expectError(await joinRoom(t.baseUrl, bob, randomUUID()), 404, 'ROOM_NOT_FOUND');
      const res = await joinRoom(t.baseUrl, bob, 'xyz');
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('id');
    });
  });

  describe('POST /api/rooms/:id/leave', () => {
    it('204; the member is gone from the room and its content', async () => {
      const room = await createRoom(t.baseUrl, alice);
      await joinRoom(t.baseUrl, bob, room.id);
      const res = await leave(bob, room.id);
      expect(res.status).toBe(204);
      expect(res.body).toBeNull();
      expect((await getRoom(alice, room.id)).body.memberCount).toBe(1);
      expect(
        (await members(alice, room.id)).body.items.map((m: { userId: string }) => m.userId),
      ).toEqual([alice.id]);
      expectError(await members(bob, room.id), 403, 'NOT_ROOM_MEMBER');
      expectError(await leave(bob, room.id), 403, 'NOT_ROOM_MEMBER');
    });

    it('leaving a private room hides it again', async () => {
      const room = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      await joinRoom(t.baseUrl, bob, room.id, 'secret-pw');
      expect((await leave(bob, room.id)).status).toBe(204);
      expectError(await getRoom(bob, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(await leave(bob, room.id), 404, 'ROOM_NOT_FOUND');
    });

    it('the owner leaving hands the room to the longest-standing member', async () => {
      const owner = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner);
      await joinRoom(t.baseUrl, carol, room.id); // longest-standing
      await joinRoom(t.baseUrl, bob, room.id);
      expect((await leave(owner, room.id)).status).toBe(204);

      const after = await getRoom(bob, room.id);
      expect(after.body).toMatchObject({ ownerId: carol.id, memberCount: 2 });
      const m = await members(carol, room.id);
      expect(m.body.items.map((x: { userId: string; role: string }) => [x.userId, x.role])).toEqual(
        [
          [carol.id, 'owner'],
          [bob.id, 'member'],
        ],
      );
      // The new owner has the owner's powers; the old one has none.
      expect((await patchRoom(carol, room.id, { description: 'carol rules' })).status).toBe(200);
      expectError(
        await patchRoom(bob, room.id, { description: 'bob rules' }),
        403,
        'NOT_ROOM_OWNER',
      );
      expectError(await patchRoom(owner, room.id, { description: 'back' }), 403);
    });

    it('the owner as last member: 409 OWNER_LAST_MEMBER and nothing changes', async () => {
      const room = await createRoom(t.baseUrl, alice);
      const res = await leave(alice, room.id);
      expectError(res, 409, 'OWNER_LAST_MEMBER');
      const after = await getRoom(alice, room.id);
      expect(after.body).toMatchObject({ ownerId: alice.id, memberCount: 1 });
      const m = await members(alice, room.id);
      expect(m.body.items).toHaveLength(1);
      expect(m.body.items[0]).toMatchObject({ userId: alice.id, role: 'owner' });
    });

    it('404 for an unknown room, 400 naming id for a malformed one', async () => {
      expectError(await leave(bob, randomUUID()), 404, 'ROOM_NOT_FOUND');
      const res = await leave(bob, 'abc');
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('id');
    });
  });

  describe('GET /api/rooms/:id/members', () => {
    it('the page size defaults to 50', async () => {
      const owner = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner);
      const joiners = await Promise.all(Array.from({ length: 50 }, () => registerUser(t.baseUrl)));
      for (const u of joiners) expect((await joinRoom(t.baseUrl, u, room.id)).status).toBe(200);
      const first = await members(owner, room.id);
      expect(first.body.items).toHaveLength(50);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const rest = await members(
        owner,
        room.id,
        `?cursor=${encodeURIComponent(first.body.nextCursor)}`,
      );
      expect(rest.body.items).toHaveLength(1);
      expect(rest.body.nextCursor).toBeNull();
      const seen = [...first.body.items, ...rest.body.items].map(
        (m: { userId: string }) => m.userId,
      );
      expect(new Set(seen)).toEqual(new Set([owner.id, ...joiners.map((u) => u.id)]));
      expect((await getRoom(owner, room.id)).body.memberCount).toBe(51);
    });

    it('members only: 403 NOT_ROOM_MEMBER on a public room, 404 on a private one', async () => {
      const pub = await createRoom(t.baseUrl, alice);
      const priv = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'secret-pw' });
      expectError(await members(bob, pub.id), 403, 'NOT_ROOM_MEMBER');
      expectError(await members(bob, priv.id), 404, 'ROOM_NOT_FOUND');
      expectError(await members(bob, randomUUID()), 404, 'ROOM_NOT_FOUND');
      const bad = await members(bob, 'bad-id');
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect(errorText(bad)).toContain('id');
    });

    it('keyset-paginates in joining order with no duplicates or misses', async () => {
      const owner = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner);
      const joiners: TestUser[] = [];
      for (let i = 0; i < 4; i++) {
        const u = await registerUser(t.baseUrl);
        expect((await joinRoom(t.baseUrl, u, room.id)).status).toBe(200);
        joiners.push(u);
      }
      const pages = await allPages((c) =>
        members(joiners[3], room.id, `?limit=2${c ? `&cursor=${encodeURIComponent(c)}` : ''}`),
      );
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      const all = pages.flat();
      for (const m of all) expect(Object.keys(m).sort()).toEqual(MEMBERSHIP_KEYS);
      expect(all.map((m) => m.userId)).toEqual([owner.id, ...joiners.map((u) => u.id)]);
      expect(all.map((m) => m.role)).toEqual(['owner', 'member', 'member', 'member', 'member']);
      expect(all.map((m) => m.username)).toEqual([
        owner.username,
        ...joiners.map((u) => u.username),
      ]);
      const whole = await members(owner, room.id);
      expect(whole.body.items.map((m: { userId: string }) => m.userId)).toEqual(
        all.map((m) => m.userId),
      );
      expect(whole.body.nextCursor).toBeNull();
    });

    it.each([
      ['limit', '?limit=201'],
      ['limit', '?limit=0'],
      ['cursor', '?cursor=garbage'],
      ['cursor', `?cursor=${cursorOf(['2023-02-29T10:00:00.000000Z', randomUUID()])}`],
    ])('400 naming %s for %s', async (field, query) => {
      const room = await createRoom(t.baseUrl, alice);
      const res = await members(alice, room.id, query);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
    });
  });
});

describe('REST rooms: join throttling window (ROOM_JOIN_MAX_FAILURES=2, ROOM_JOIN_FAILURE_WINDOW_SEC=10)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A window long enough that three joins fit in it on a busy machine (password hashing is
    // slow there); the test then waits, by polling, for it to pass.
    t = await startTestApp({ ROOM_JOIN_MAX_FAILURES: '2', ROOM_JOIN_FAILURE_WINDOW_SEC: '10' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('throttles after the configured failures, and lets the right password in once the window has passed', async () => {
    const owner = await registerUser(t.baseUrl);
    const guesser = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, owner, { isPrivate: true, password: 'right-pw' });
    expectError(
      await joinRoom(t.baseUrl, guesser, room.id, 'nope-1'),
      403,
      'ROOM_PASSWORD_INVALID',
    );
    expectError(
      await joinRoom(t.baseUrl, guesser, room.id, 'nope-2'),
      403,
      'ROOM_PASSWORD_INVALID',
    );
    const throttled = await joinRoom(t.baseUrl, guesser, room.id, 'right-pw');
    expectError(throttled, 429, 'ROOM_JOIN_THROTTLED');
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    const throttledAt = Date.now();

    const res = await waitFor(
      async () => {
        const r = await joinRoom(t.baseUrl, guesser, room.id, 'right-pw');
        return r.status === 429 ? null : r;
      },
      'the join window to pass',
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(res.status).toBe(200);
    // Not let in before the window said so (Retry-After is rounded up to whole seconds).
    expect(Date.now() - throttledAt).toBeGreaterThanOrEqual((retryAfter - 1) * 1000);
    expect(res.body).toMatchObject({ roomId: room.id, userId: guesser.id, role: 'member' });
  });
});
