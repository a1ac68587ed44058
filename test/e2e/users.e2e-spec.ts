import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  errorText,
  expectError,
  http,
  login,
  registerUser,
  uniqueName,
  type TestUser,
} from '../support/http.js';

const USER_KEYS = [
  'avatarUrl',
  'createdAt',
  'email',
  'extensions',
  'id',
  'status',
  'updatedAt',
  'username',
];

describe('REST users (/api/users/me)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const getMe = (u: TestUser) => http(t.baseUrl, 'GET', '/api/users/me', { token: u.accessToken });
  const patchMe = (u: TestUser, body: unknown) =>
    http(t.baseUrl, 'PATCH', '/api/users/me', { token: u.accessToken, body });

  describe('GET /api/users/me', () => {
    it('200 the caller as a User, without any password field', async () => {
      const u = await registerUser(t.baseUrl);
      const res = await getMe(u);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(USER_KEYS);
      expect(res.body).toMatchObject({
        id: u.id,
        username: u.username,
        email: u.email,
        avatarUrl: null,
        status: 'active',
      });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
      expect(new Date(res.body.updatedAt).toISOString()).toBe(res.body.updatedAt);
      expect(JSON.stringify(res.body)).not.toMatch(/password|argon2/i);
    });

    it('401 AUTH_REQUIRED without a token', async () => {
      expectError(await http(t.baseUrl, 'GET', '/api/users/me'), 401, 'AUTH_REQUIRED');
    });
  });

  describe('PATCH /api/users/me', () => {
    it('sets avatarUrl, then clears it with null', async () => {
      const u = await registerUser(t.baseUrl);
      const before = (await getMe(u)).body;
      const url = 'https://cdn.example.com/avatars/a.png?size=64';
      const set = await patchMe(u, { avatarUrl: url });
      expect(set.status).toBe(200);
      expect(Object.keys(set.body).sort()).toEqual(USER_KEYS);
      expect(set.body).toMatchObject({ id: u.id, username: u.username, avatarUrl: url });
      expect(set.body.createdAt).toBe(before.createdAt);
      expect(Date.parse(set.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
      expect((await getMe(u)).body.avatarUrl).toBe(url);

      const cleared = await patchMe(u, { avatarUrl: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.avatarUrl).toBeNull();
      expect((await getMe(u)).body.avatarUrl).toBeNull();
    });

    it('an empty patch changes nothing', async () => {
      const u = await registerUser(t.baseUrl);
      await patchMe(u, { avatarUrl: 'http://example.com/x.jpg' });
      const res = await patchMe(u, {});
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        username: u.username,
        avatarUrl: 'http://example.com/x.jpg',
      });
    });

    it('changes the username: the new one logs in, the old one no longer does', async () => {
      const u = await registerUser(t.baseUrl);
      const newName = uniqueName('renamed');
      const res = await patchMe(u, { username: newName });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: u.id, username: newName, email: u.email });
      expect((await getMe(u)).body.username).toBe(newName);
      const byNew = await login(t.baseUrl, newName, u.password);
      expect(byNew.status).toBe(200);
      expect(byNew.body.user.id).toBe(u.id);
      expectError(await login(t.baseUrl, u.username, u.password), 401, 'INVALID_CREDENTIALS');
      // The freed name can be registered by someone else.
      const successor = await registerUser(t.baseUrl, {
        username: u.username,
        email: `${uniqueName('succ')}@example.test`,
      });
      expect(successor.id).not.toBe(u.id);
    });

    it('a username taken by someone else (any letter case): 409 USERNAME_TAKEN, nothing changes', async () => {
      const owner = await registerUser(t.baseUrl, { username: uniqueName('Taken') });
      const u = await registerUser(t.baseUrl);
      for (const name of [owner.username, owner.username.toLowerCase()]) {
        expectError(await patchMe(u, { username: name }), 409, 'USERNAME_TAKEN');
      }
      // The conflict aborted the whole patch, avatarUrl included.
      const both = await patchMe(u, {
        username: owner.username,
        avatarUrl: 'https://example.com/a.png',
      });
      expectError(both, 409, 'USERNAME_TAKEN');
      expect((await getMe(u)).body).toMatchObject({ username: u.username, avatarUrl: null });
    });

    it('re-casing ones own username is not a conflict', async () => {
      const u = await registerUser(t.baseUrl, { username: uniqueName('case') });
      const res = await patchMe(u, { username: u.username.toUpperCase() });
      expect(res.status).toBe(200);
      expect(res.body.username).toBe(u.username.toUpperCase());
    });

    it.each([
      ['not a url', 'not a url'],
      ['no scheme', 'example.com/no-scheme.png'],
      ['a javascript: URL', 'javascript:alert(1)'],
      ['an ftp: URL', 'ftp://example.com/a.png'],
      ['over 2048 characters', `https://example.com/${'a'.repeat(2100)}`],
      ['holding a NUL character', 'https://example.com/a\u0000.png'],
      ['a number', 42],
    ])('400 VALIDATION_FAILED naming avatarUrl for %s', async (_label, avatarUrl) => {
      const u = await registerUser(t.baseUrl);
      const res = await patchMe(u, { avatarUrl });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('avatarUrl');
      expect((await getMe(u)).body.avatarUrl).toBeNull();
    });

    it.each([['ab'], ['has space'], ['x'.repeat(33)], [''], [123], [null]])(
      '400 VALIDATION_FAILED naming username for %p',
      async (username) => {
        const u = await registerUser(t.baseUrl);
        const res = await patchMe(u, { username });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toContain('username');
        expect((await getMe(u)).body.username).toBe(u.username);
      },
    );

    it.each([['email'], ['status'], ['password'], ['id']])(
      'refuses %s (not changeable here) with 400 naming it',
      async (field) => {
        const u = await registerUser(t.baseUrl);
        const res = await patchMe(u, { [field]: field === 'status' ? 'banned' : 'x@example.test' });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toContain(field);
        expect((await getMe(u)).body).toMatchObject({ email: u.email, status: 'active' });
      },
    );

    it('401 AUTH_REQUIRED without a token', async () => {
      expectError(
        await http(t.baseUrl, 'PATCH', '/api/users/me', { body: { avatarUrl: null } }),
        401,
        'AUTH_REQUIRED',
      );
    });
  });
});
