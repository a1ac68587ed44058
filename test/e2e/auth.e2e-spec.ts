import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  errorText,
  expectError,
  http,
  login,
  registerUser,
  uniqueName,
  withDb,
  type HttpResult,
  type TestUser,
} from '../support/http.js';
import { UpgradeRefused, WsTestClient } from '../support/ws-client.js';

const JWT_SECRET = `e2e-auth-${randomBytes(32).toString('base64url')}`;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const b64url = (v: unknown) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An HS256 JWT signed here, with node:crypto only (no JWT library between the test and the wire). */
function signJwt(
  payload: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const alg = header.alg === 'HS512' ? 'sha512' : 'sha256';
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  return `${signingInput}.${createHmac(alg, secret).update(signingInput).digest('base64url')}`;
}

interface AccessClaims {
  sub: string;
  sid: string;
  usr: string;
  typ: string;
  iat: number;
  exp: number;
}

function claimsOf(jwt: string): AccessClaims {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as AccessClaims;
}

const nowSec = () => Math.floor(Date.now() / 1000);

describe('REST auth (/api/auth/*)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET });
  });
  afterAll(async () => {
    await t.close();
  });

  const me = (token?: string, headers?: Record<string, string>) =>
    http(t.baseUrl, 'GET', '/api/users/me', { token, headers });
  const refresh = (refreshToken: unknown) =>
    http(t.baseUrl, 'POST', '/api/auth/refresh', { body: { refreshToken } });
  const logout = (body: unknown) => http(t.baseUrl, 'POST', '/api/auth/logout', { body });

  /** `deviceToken` (login back-off, issue 11) comes with a register or a login, not a refresh. */
  function expectAuthResult(
    res: HttpResult,
    user: { username: string; email: string },
    withDeviceToken = true,
  ): void {
    expect(Object.keys(res.body).sort()).toEqual([
      'accessToken',
      ...(withDeviceToken ? ['deviceToken'] : []),
      'expiresIn',
      'refreshToken',
      'user',
    ]);
    if (withDeviceToken) expect(typeof res.body.deviceToken).toBe('string');
    const u = res.body.user;
    expect(Object.keys(u).sort()).toEqual([
      'avatarUrl',
      'createdAt',
      'email',
      'extensions',
      'id',
      'status',
      'updatedAt',
      'username',
    ]);
    expect(u).toMatchObject({
      username: user.username,
      email: user.email.toLowerCase(),
      avatarUrl: null,
      status: 'active',
    });
    expect(u.id).toMatch(UUID_RE);
    expect(u.createdAt).toMatch(ISO_RE);
    expect(u.updatedAt).toMatch(ISO_RE);
    expect(res.body.accessToken.split('.')).toHaveLength(3);
    expect(typeof res.body.refreshToken).toBe('string');
    expect(res.body.refreshToken.length).toBeGreaterThanOrEqual(32);
    expect(res.body.expiresIn).toBe(900);
    const claims = claimsOf(res.body.accessToken);
    expect(claims).toMatchObject({ sub: u.id, usr: u.username, typ: 'access' });
    expect(claims.exp - claims.iat).toBe(900);
  }

  describe('POST /api/auth/register', () => {
    it('answers 201 {user, accessToken, refreshToken, expiresIn, deviceToken} and never the password', async () => {
      const username = uniqueName('reg');
      const password = 'a very secret passphrase';
      const res = await http(t.baseUrl, 'POST', '/api/auth/register', {
        body: { username, email: `${username}@Example.TEST`, password },
      });
      expect(res.status).toBe(201);
      expectAuthResult(res, { username, email: `${username}@example.test` });
      expect(res.body.user).not.toHaveProperty('password');
      expect(res.body.user).not.toHaveProperty('passwordHash');
      expect(JSON.stringify(res.body)).not.toContain(password);
      expect(JSON.stringify(res.body)).not.toContain('argon2');

      const whoami = await me(res.body.accessToken);
      expect(whoami.status).toBe(200);
      expect(whoami.body).toEqual(res.body.user);
    });

    it('stores an argon2id hash of the password and only a digest of the refresh token', async () => {
      const u = await registerUser(t.baseUrl, { password: 'stored-as-argon2id' });
      const secretPart = u.refreshToken.split('.').pop()!;
      const rows = await withDb(async (db) => {
        const user = await db.query<{ password_hash: string }>(
          'SELECT password_hash FROM users WHERE id = $1',
          [u.id],
        );
        const tokens = await db.query<{ token_hash: string }>(
          `SELECT t.token_hash FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id WHERE s.user_id = $1`,
          [u.id],
        );
        return { user: user.rows, tokens: tokens.rows };
      });
      expect(rows.user).toHaveLength(1);
      expect(rows.user[0].password_hash.startsWith('$argon2id$')).toBe(true);
      expect(rows.user[0].password_hash).not.toContain(u.password);
      expect(rows.tokens).toHaveLength(1);
      expect(rows.tokens[0].token_hash).not.toBe(u.refreshToken);
      expect(rows.tokens[0].token_hash).not.toContain(secretPart);
    });

    it('refuses a username taken in any letter case: 409 USERNAME_TAKEN', async () => {
      const first = await registerUser(t.baseUrl, { username: uniqueName('Dup') });
      const res = await http(t.baseUrl, 'POST', '/api/auth/register', {
        body: {
          username: first.username.toUpperCase(),
          email: `${uniqueName('other')}@example.test`,
          password: 'long enough pw',
        },
      });
      expectError(res, 409, 'USERNAME_TAKEN');
    });

    it('refuses an email taken in any letter case: 409 EMAIL_TAKEN', async () => {
      const first = await registerUser(t.baseUrl);
      const res = await http(t.baseUrl, 'POST', '/api/auth/register', {
        body: {
          username: uniqueName('other'),
          email: first.email.toUpperCase(),
          password: 'long enough pw',
        },
      });
      expectError(res, 409, 'EMAIL_TAKEN');
    });

    const valid = () => {
      const username = uniqueName('val');
      return { username, email: `${username}@example.test`, password: 'long enough pw' };
    };
    it.each([
      ['username', 'missing', (b: Record<string, unknown>) => delete b.username],
      ['username', 'too short', (b: Record<string, unknown>) => (b.username = 'ab')],
      ['username', 'too long', (b: Record<string, unknown>) => (b.username = 'x'.repeat(33))],
      ['username', 'with a space', (b: Record<string, unknown>) => (b.username = 'has space')],
      ['username', 'not a string', (b: Record<string, unknown>) => (b.username = 12345)],
      ['email', 'missing', (b: Record<string, unknown>) => delete b.email],
      ['email', 'not an email', (b: Record<string, unknown>) => (b.email = 'not-an-email')],
      ['password', 'missing', (b: Record<string, unknown>) => delete b.password],
      ['password', 'too short', (b: Record<string, unknown>) => (b.password = 'short')],
      ['password', 'too long', (b: Record<string, unknown>) => (b.password = 'p'.repeat(129))],
      ['password', 'null', (b: Record<string, unknown>) => (b.password = null)],
    ])('400 VALIDATION_FAILED naming %s when it is %s', async (field, _what, mutate) => {
      const body: Record<string, unknown> = valid();
      mutate(body);
      const res = await http(t.baseUrl, 'POST', '/api/auth/register', { body });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
    });

    it('refuses an unknown extra field with 400 naming it (no mass assignment)', async () => {
      const res = await http(t.baseUrl, 'POST', '/api/auth/register', {
        body: { ...valid(), status: 'banned' },
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('status');
      const res2 = await http(t.baseUrl, 'POST', '/api/auth/register', {
        body: { ...valid(), isAdmin: true },
      });
      expectError(res2, 400, 'VALIDATION_FAILED');
      expect(errorText(res2)).toContain('isAdmin');
    });

    it('answers a malformed JSON body with 400 MALFORMED_JSON', async () => {
      const res = await http(t.baseUrl, 'POST', '/api/auth/register', {
        rawBody: '{"username": "abc", "email": ',
      });
      expectError(res, 400, 'MALFORMED_JSON');
    });
  });

  describe('POST /api/auth/login', () => {
    it('logs in by username and by email (any letter case), 200 with a working new session', async () => {
      const u = await registerUser(t.baseUrl, { username: uniqueName('Login') });
      for (const name of [u.username, u.username.toLowerCase(), u.email, u.email.toUpperCase()]) {
        const res = await login(t.baseUrl, name, u.password);
        expect(res.status).toBe(200);
        expectAuthResult(res, u);
        expect(res.body.user.id).toBe(u.id);
        expect(res.body.refreshToken).not.toBe(u.refreshToken);
        expect(claimsOf(res.body.accessToken).sid).not.toBe(claimsOf(u.accessToken).sid);
        const whoami = await me(res.body.accessToken);
        expect(whoami.status).toBe(200);
        expect(whoami.body.id).toBe(u.id);
      }
    });

    it('answers wrong password and unknown user alike: 401 INVALID_CREDENTIALS with the same message', async () => {
      const u = await registerUser(t.baseUrl);
      const wrongPassword = await login(t.baseUrl, u.username, 'not the password');
      const wrongPasswordByEmail = await login(t.baseUrl, u.email, 'not the password');
      const unknownUser = await login(t.baseUrl, uniqueName('ghost'), 'not the password');
      const unknownEmail = await login(
        t.baseUrl,
        `${uniqueName('ghost')}@example.test`,
        u.password,
      );
      for (const res of [wrongPassword, wrongPasswordByEmail, unknownUser, unknownEmail])
        expectError(res, 401, 'INVALID_CREDENTIALS');
      expect(unknownUser.body.message).toBe(wrongPassword.body.message);
      expect(unknownEmail.body.message).toBe(wrongPassword.body.message);
      expect(wrongPasswordByEmail.body.message).toBe(wrongPassword.body.message);
    });

    it('400 VALIDATION_FAILED naming the missing field', async () => {
      const noPassword = await http(t.baseUrl, 'POST', '/api/auth/login', {
        body: { login: 'someone' },
      });
      expectError(noPassword, 400, 'VALIDATION_FAILED');
      expect(errorText(noPassword)).toContain('password');
      const noLogin = await http(t.baseUrl, 'POST', '/api/auth/login', {
        body: { password: 'whatever123' },
      });
      expectError(noLogin, 400, 'VALIDATION_FAILED');
      expect(errorText(noLogin)).toContain('login');
      // PostgreSQL text cannot hold NUL: refused as input, not failing in the database.
      for (const login of ['ab\u0000c', 'a\u0000@example.test']) {
        const nul = await http(t.baseUrl, 'POST', '/api/auth/login', {
          body: { login, password: 'whatever123' },
        });
        expectError(nul, 400, 'VALIDATION_FAILED');
        expect(errorText(nul)).toContain('login');
      }
    });

    it('a disabled account cannot log in, refresh, or use its access token (403 USER_DISABLED)', async () => {
      const u = await registerUser(t.baseUrl);
      await withDb((db) => db.query(`UPDATE users SET status = 'disabled' WHERE id = $1`, [u.id]));
      expectError(await login(t.baseUrl, u.username, u.password), 403, 'USER_DISABLED');
      // A wrong password still says nothing about the account.
      expectError(await login(t.baseUrl, u.username, 'wrong password'), 401, 'INVALID_CREDENTIALS');
      // The access token was never used, so no session state is cached for it.
      expectError(await me(u.accessToken), 403, 'USER_DISABLED');
      expectError(await refresh(u.refreshToken), 403, 'USER_DISABLED');
    });
  });

  describe('POST /api/auth/refresh', () => {
    it('rotates: a new working pair, and the presented refresh token is spent', async () => {
      const u = await registerUser(t.baseUrl);
      const res = await refresh(u.refreshToken);
      expect(res.status).toBe(200);
      expectAuthResult(res, u, false);
      expect(res.body.user.id).toBe(u.id);
      expect(res.body.refreshToken).not.toBe(u.refreshToken);
      expect(claimsOf(res.body.accessToken).sid).toBe(claimsOf(u.accessToken).sid); // same login
      expect((await me(res.body.accessToken)).status).toBe(200);
      // The new refresh token rotates again.
      const again = await refresh(res.body.refreshToken);
      expect(again.status).toBe(200);
      expect(again.body.refreshToken).not.toBe(res.body.refreshToken);
    });

    it("reusing a spent refresh token: 401 REFRESH_TOKEN_REUSED and that login's whole family is revoked; other logins live on", async () => {
      const u = await registerUser(t.baseUrl);
      const other = await login(t.baseUrl, u.username, u.password); // a second, independent login
      expect(other.status).toBe(200);

      const r1 = u.refreshToken;
      const second = await refresh(r1);
      expect(second.status).toBe(200);
      const third = await refresh(second.body.refreshToken);
      expect(third.status).toBe(200);
      const newestAccess: string = third.body.accessToken;
      const newestRefresh: string = third.body.refreshToken;
      expect((await me(newestAccess)).status).toBe(200); // live (and now in the session cache)

      const reuse = await refresh(r1);
      expectError(reuse, 401, 'REFRESH_TOKEN_REUSED');

      // The newest refresh token of that family is dead too, and so are its access tokens.
      const newest = await refresh(newestRefresh);
      expect(newest.status).toBe(401);
      expect(['SESSION_REVOKED', 'REFRESH_TOKEN_REUSED', 'REFRESH_TOKEN_INVALID']).toContain(
        newest.body.code,
      );
      expectError(await me(newestAccess), 401, 'SESSION_REVOKED');
      expectError(await me(u.accessToken), 401, 'SESSION_REVOKED');
      expectError(
        await http(t.baseUrl, 'POST', '/api/auth/ws-ticket', { token: newestAccess }),
        401,
        'SESSION_REVOKED',
      );

      // The user's other login is untouched.
      expect((await me(other.body.accessToken)).status).toBe(200);
      const otherRefreshed = await refresh(other.body.refreshToken);
      expect(otherRefreshed.status).toBe(200);
      expect((await me(otherRefreshed.body.accessToken)).status).toBe(200);
      // And the user can still log in afresh.
      expect((await login(t.baseUrl, u.username, u.password)).status).toBe(200);
    });

    it('refuses garbage, forged and unknown tokens with 401 REFRESH_TOKEN_INVALID', async () => {
      const u = await registerUser(t.baseUrl);
      const [id, secret] = u.refreshToken.split('.');
      const forgedSecret = `${id}.${randomBytes(32).toString('base64url')}`;
      const unknownId = `${randomUUID()}.${secret}`;
      for (const token of ['garbage', `${id}.`, forgedSecret, unknownId]) {
        expectError(await refresh(token), 401, 'REFRESH_TOKEN_INVALID');
      }
      // None of that disturbed the real token.
      expect((await refresh(u.refreshToken)).status).toBe(200);
    });

    it('400 VALIDATION_FAILED naming refreshToken when it is missing or not a string', async () => {
      for (const body of [{}, { refreshToken: 42 }, { refreshToken: '' }]) {
        const res = await http(t.baseUrl, 'POST', '/api/auth/refresh', { body });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toContain('refreshToken');
      }
    });
  });

  describe('POST /api/auth/logout', () => {
    it('204, then that refresh token and its access token are refused; other logins are not', async () => {
      const u = await registerUser(t.baseUrl);
      const other = await login(t.baseUrl, u.username, u.password);
      expect((await me(u.accessToken)).status).toBe(200);

      const res = await logout({ refreshToken: u.refreshToken });
      expect(res.status).toBe(204);
      expect(res.body).toBeNull();

      const after = await refresh(u.refreshToken);
      expect(after.status).toBe(401);
      expect(['SESSION_REVOKED', 'REFRESH_TOKEN_INVALID']).toContain(after.body.code);
      expectError(await me(u.accessToken), 401, 'SESSION_REVOKED');

      expect((await me(other.body.accessToken)).status).toBe(200);
      expect((await refresh(other.body.refreshToken)).status).toBe(200);
    });

    it('logging out with a rotated-away (spent) token still ends the login', async () => {
      const u = await registerUser(t.baseUrl);
      const next = await refresh(u.refreshToken);
      expect((await logout({ refreshToken: next.body.refreshToken })).status).toBe(204);
      expectError(await me(next.body.accessToken), 401, 'SESSION_REVOKED');
    });

    it('refuses a garbage or unknown token (401) and a missing one (400)', async () => {
      expectError(await logout({ refreshToken: 'garbage' }), 401, 'REFRESH_TOKEN_INVALID');
      expectError(
        await logout({ refreshToken: `${randomUUID()}.${randomBytes(32).toString('base64url')}` }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
      const missing = await logout({});
      expectError(missing, 400, 'VALIDATION_FAILED');
      expect(errorText(missing)).toContain('refreshToken');
      expectError(await logout({ refreshToken: ['a'] }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST /api/auth/ws-ticket', () => {
    it('200 {ticket, expiresIn: 30}: a one-time ticket that opens /ws once', async () => {
      const u = await registerUser(t.baseUrl);
      const res = await http(t.baseUrl, 'POST', '/api/auth/ws-ticket', { token: u.accessToken });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['expiresIn', 'ticket']);
      expect(res.body.expiresIn).toBe(30);
      expect(typeof res.body.ticket).toBe('string');
      expect(res.body.ticket.length).toBeGreaterThanOrEqual(32);
      const second = await http(t.baseUrl, 'POST', '/api/auth/ws-ticket', { token: u.accessToken });
      expect(second.body.ticket).not.toBe(res.body.ticket);

      const ws = await WsTestClient.connect(t.wsUrl, { ticket: res.body.ticket });
      ws.close();
      const reused = await WsTestClient.connect(t.wsUrl, { ticket: res.body.ticket }).then(
        (c) => {
          c.close();
          return 'accepted';
        },
        (err: unknown) => err,
      );
      expect(reused).toBeInstanceOf(UpgradeRefused);
      expect((reused as UpgradeRefused).status).toBe(401);
    });

    it('needs an access token: 401 AUTH_REQUIRED', async () => {
      expectError(await http(t.baseUrl, 'POST', '/api/auth/ws-ticket'), 401, 'AUTH_REQUIRED');
    });
  });

  describe('access tokens', () => {
    let u: TestUser;
    let claims: AccessClaims;
    beforeAll(async () => {
      u = await registerUser(t.baseUrl);
      claims = claimsOf(u.accessToken);
    });
    const fresh = () => ({
      sub: claims.sub,
      sid: claims.sid,
      usr: claims.usr,
      typ: 'access',
      iat: nowSec(),
      exp: nowSec() + 600,
    });

    it('a token signed here with the configured secret and the same claims is accepted (control)', async () => {
      const res = await me(signJwt(fresh(), JWT_SECRET));
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(u.id);
    });

    it('missing: 401 AUTH_REQUIRED (also for a non-Bearer scheme)', async () => {
      expectError(await me(), 401, 'AUTH_REQUIRED');
      expectError(
        await me(undefined, { authorization: `Basic ${b64url('a:b')}` }),
        401,
        'AUTH_REQUIRED',
      );
      expectError(await me(undefined, { authorization: 'Bearer' }), 401, 'AUTH_REQUIRED');
    });

    it('signed with another secret: 401 TOKEN_INVALID', async () => {
      const forged = signJwt(fresh(), `another-secret-${randomBytes(32).toString('base64url')}`);
      expectError(await me(forged), 401, 'TOKEN_INVALID');
    });

    it('expired: 401 TOKEN_EXPIRED', async () => {
      const expired = signJwt({ ...fresh(), iat: nowSec() - 3600, exp: nowSec() - 60 }, JWT_SECRET);
      expectError(await me(expired), 401, 'TOKEN_EXPIRED');
    });

    it('alg "none" (unsigned) and other algorithms than HS256 are refused: 401 TOKEN_INVALID', async () => {
      const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(fresh())}.`;
      expectError(await me(none), 401, 'TOKEN_INVALID');
      const noneUpper = `${b64url({ alg: 'NONE', typ: 'JWT' })}.${b64url(fresh())}.`;
      expectError(await me(noneUpper), 401, 'TOKEN_INVALID');
      const hs512 = signJwt(fresh(), JWT_SECRET, { alg: 'HS512', typ: 'JWT' });
      expectError(await me(hs512), 401, 'TOKEN_INVALID');
    });

    it('tampered, malformed, wrong-type or foreign-session tokens: 401 TOKEN_INVALID', async () => {
      const other = await registerUser(t.baseUrl);
      const [h, , s] = u.accessToken.split('.');
      const tampered = `${h}.${b64url({ ...claimsOf(u.accessToken), sub: other.id })}.${s}`;
      const wrongType = signJwt({ ...fresh(), typ: 'refresh' }, JWT_SECRET);
      const noSid = signJwt(
        { sub: claims.sub, usr: claims.usr, typ: 'access', iat: nowSec(), exp: nowSec() + 600 },
        JWT_SECRET,
      );
      const foreignSession = signJwt({ ...fresh(), sub: other.id }, JWT_SECRET); // u's session, other's id
      const unknownSession = signJwt({ ...fresh(), sid: randomUUID() }, JWT_SECRET);
      for (const token of [
        'garbage',
        'a.b.c',
        tampered,
        wrongType,
        noSid,
        foreignSession,
        unknownSession,
      ]) {
        expectError(await me(token), 401, 'TOKEN_INVALID');
      }
    });
  });
});
