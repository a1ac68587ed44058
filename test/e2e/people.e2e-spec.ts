import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  errorText,
  expectError,
  http,
  registerUser,
  uniqueName,
  withDb,
  type TestUser,
} from '../support/http.js';

describe('people: profiles with extensions, lookup and search', () => {
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

  describe('extensions', () => {
    it('a new user has an empty extensions object and its user_extensions row', async () => {
      const u = await registerUser(t.baseUrl);
      expect((await getMe(u)).body.extensions).toEqual({});
      const rows = await withDb((c) =>
        c.query('SELECT data FROM user_extensions WHERE user_id = $1', [u.id]),
      );
      expect(rows.rows).toEqual([{ data: {} }]);
    });

    it('PATCH merges keys, null removes one; the result shows on GET /me and GET /users/:id', async () => {
      const u = await registerUser(t.baseUrl);
      const first = await patchMe(u, { extensions: { pronouns: 'she/her', floor: 3 } });
      expect(first.status).toBe(200);
      expect(first.body.extensions).toEqual({ pronouns: 'she/her', floor: 3 });
      const second = await patchMe(u, { extensions: { floor: null, remote: true } });
      expect(second.status).toBe(200);
      expect(second.body.extensions).toEqual({ pronouns: 'she/her', remote: true });
      expect((await getMe(u)).body.extensions).toEqual({ pronouns: 'she/her', remote: true });
      const other = await registerUser(t.baseUrl);
      const seen = await http(t.baseUrl, 'GET', `/api/users/${u.id}`, { token: other.accessToken });
      expect(seen.body.extensions).toEqual({ pronouns: 'she/her', remote: true });
    });

    it('concurrent patches of different keys both apply', async () => {
      const u = await registerUser(t.baseUrl);
      const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
      const results = await Promise.all(keys.map((k) => patchMe(u, { extensions: { [k]: k } })));
      expect(results.map((r) => r.status)).toEqual(keys.map(() => 200));
      expect((await getMe(u)).body.extensions).toEqual(Object.fromEntries(keys.map((k) => [k, k])));
    });

    it.each([
      ['a bad key', { 'Bad-Key': 'x' }],
      ['a nested object', { address: { city: 'Oslo' } }],
      ['an array', { tags: ['a', 'b'] }],
      ['a 300-character value', { bio: 'x'.repeat(300) }],
      [
        'over 4 KB in all',
        Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, 'y'.repeat(250)])),
      ],
      ['not an object', 'hello'],
      ['null', null],
    ])(
      '400 EXTENSIONS_INVALID for %s, and nothing changes (username included)',
      async (_l, extensions) => {
        const u = await registerUser(t.baseUrl);
        await patchMe(u, { extensions: { keep: 'me' } });
        const res = await patchMe(u, { username: uniqueName('nochange'), extensions });
        expectError(res, 400, 'EXTENSIONS_INVALID');
        expect(errorText(res)).toContain('extensions');
        expect((await getMe(u)).body).toMatchObject({
          username: u.username,
          extensions: { keep: 'me' },
        });
      },
    );

    it('a 33rd key is refused against the stored 32', async () => {
      const u = await registerUser(t.baseUrl);
      const full = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i]));
      expect((await patchMe(u, { extensions: full })).status).toBe(200);
      expectError(await patchMe(u, { extensions: { one_more: 1 } }), 400, 'EXTENSIONS_INVALID');
      expect(Object.keys((await getMe(u)).body.extensions)).toHaveLength(32);
    });
  });

  describe('GET /api/users/:id', () => {
    it('200 {id, username, avatarUrl, status, extensions}, never the email', async () => {
      const a = await registerUser(t.baseUrl);
      const b = await registerUser(t.baseUrl);
      const res = await http(t.baseUrl, 'GET', `/api/users/${b.id}`, { token: a.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: b.id,
        username: b.username,
        avatarUrl: null,
        status: 'active',
        extensions: {},
      });
      expect(JSON.stringify(res.body)).not.toContain(b.email);
    });

    it('404 USER_NOT_FOUND for an unknown id, 400 for a malformed one, 401 without a token', async () => {
      const a = await registerUser(t.baseUrl);
      expectError(
        await http(t.baseUrl, 'GET', `/api/users/00000000-0000-4000-8000-000000000000`, {
          token: a.accessToken,
        }),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await http(t.baseUrl, 'GET', `/api/users/not-a-uuid`, { token: a.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await http(t.baseUrl, 'GET', `/api/users/${a.id}`), 401, 'AUTH_REQUIRED');
    });
  });

  describe('GET /api/users?q=', () => {
    const search = (u: TestUser, query: string) =>
      http(t.baseUrl, 'GET', `/api/users?${query}`, { token: u.accessToken });

    it('active users whose username starts with q, any letter case, keyset-paginated', async () => {
      const prefix = `Pf${Date.now().toString(36)}`;
      const names = ['a', 'B', 'c', 'D', 'e'].map((s) => `${prefix}_${s}`);
      const users = [];
      for (const n of names) users.push(await registerUser(t.baseUrl, { username: n }));
      // Not a prefix match, and a disabled user: neither is listed.
      await registerUser(t.baseUrl, { username: `x${prefix}` });
      const disabled = await registerUser(t.baseUrl, { username: `${prefix}_f` });
      await withDb((c) =>
        c.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [disabled.id]),
      );

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await search(
          users[0],
          `q=${encodeURIComponent(prefix.toUpperCase())}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        for (const item of res.body.items) {
          expect(Object.keys(item).sort()).toEqual([
            'avatarUrl',
            'extensions',
            'id',
            'status',
            'username',
          ]);
          seen.push(item.username);
        }
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(names);
    });

    it('a % or _ in q is a literal character, not a wildcard', async () => {
      const u = await registerUser(t.baseUrl, { username: uniqueName('lit') });
      const res = await search(u, `q=${encodeURIComponent('li_')}`);
      expect(res.status).toBe(200);
      expect(res.body.items.every((i: { username: string }) => i.username.startsWith('li_'))).toBe(
        true,
      );
      const pct = await search(u, `q=${encodeURIComponent('%')}`);
      expect(pct.body.items).toEqual([]);
    });

    it.each([
      ['an empty q', 'q='],
      ['no q', ''],
      ['a 200-character q', `q=${'a'.repeat(200)}`],
      ['a blank q', 'q=%20%20'],
      ['a bad cursor', 'q=ab&cursor=nope'],
      ['limit 0', 'q=ab&limit=0'],
    ])('400 VALIDATION_FAILED for %s', async (_l, query) => {
      const u = await registerUser(t.baseUrl);
      expectError(await search(u, query), 400, 'VALIDATION_FAILED');
    });
  });
});
