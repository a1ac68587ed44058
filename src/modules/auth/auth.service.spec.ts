import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import {
  authServiceOn,
  CountingHasher,
  FAKE_JWT_SECRET,
  InMemorySessions,
  InMemoryUsers,
} from './testing/in-memory-auth.fake.js';
import { codeOf, recordingBus } from '../../common/testing/unit-kit.fake.js';

function setup() {
  const users = new InMemoryUsers();
  const sessions = new InMemorySessions(users);
  const hasher = new CountingHasher();
  const jwt = new JwtService({ secret: FAKE_JWT_SECRET });
  const { bus, published } = recordingBus();
  const svc = authServiceOn({
    users,
    sessions,
    bus,
    hasher,
    env: { REFRESH_TOKEN_TTL_SEC: '3600' },
  });
  const revoked = () =>
    published.flatMap((e) => (e.type === 'session.revoked' ? [[e.sessionId, e.reason]] : []));
  return { svc, users, sessions, hasher, jwt, published, revoked };
}

const alice = { username: 'alice', email: 'alice@example.test', password: 'correct horse' };

describe('AuthService: sessions and rotating refresh tokens', () => {
  it('register starts a session: its access token authenticates, its refresh token is stored hashed only', async () => {
    const { svc, sessions } = setup();
    const r = await svc.register(alice);
    const me = await svc.authenticateAccessToken(r.accessToken);
    expect(me).toEqual({ userId: r.user.id, username: 'alice', sessionId: expect.any(String) });
    const [tokenId, secret] = r.refreshToken.split('.');
    const stored = sessions.tokens.get(tokenId)!;
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify([...sessions.tokens.values()])).not.toContain(secret);
    expect(r.user.passwordHash).not.toBe(alice.password);
    svc.onModuleDestroy();
  });

  it('refresh hands out a new token and spends the old; the old one again revokes the whole session', async () => {
    const { svc, revoked } = setup();
    const first = await svc.register(alice);
    const second = await svc.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await svc.refresh(second.refreshToken);
    const { sessionId } = await svc.authenticateAccessToken(third.accessToken);

    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(await codeOf(svc.refresh(first.refreshToken))).toBe('REFRESH_TOKEN_REUSED');
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    expect(revoked()).toEqual([[sessionId, 'refresh_token_reuse']]);
    // The family is dead: the newest token and every access token of the session, at once.
    expect(await codeOf(svc.refresh(third.refreshToken))).toBe('SESSION_REVOKED');
    expect(await codeOf(svc.authenticateAccessToken(third.accessToken))).toBe('SESSION_REVOKED');
    svc.onModuleDestroy();
  });

  it('refuses a malformed, unknown, tampered or expired refresh token without revoking anything', async () => {
    const { svc, sessions, revoked } = setup();
    const r = await svc.register(alice);
    const [id, secret] = r.refreshToken.split('.');
    const tampered = `${id}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const t of ['', 'nonsense', `${randomUUID()}.${secret}`, tampered])
      expect(await codeOf(svc.refresh(t))).toBe('REFRESH_TOKEN_INVALID');
    sessions.tokens.get(id)!.expiresAt = new Date(Date.now() - 1);
    expect(await codeOf(svc.refresh(r.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect(revoked()).toEqual([]);
    await svc.authenticateAccessToken(r.accessToken); // the session itself still stands
    svc.onModuleDestroy();
  });

  it('logout revokes the session and says so once; logging out again changes nothing', async () => {
    const { svc, revoked } = setup();
    const r = await svc.register(alice);
    const { sessionId } = await svc.authenticateAccessToken(r.accessToken); // now cached
    await svc.logout(r.refreshToken);
    await svc.logout(r.refreshToken);
    expect(revoked()).toEqual([[sessionId, 'logout']]);
    expect(await codeOf(svc.authenticateAccessToken(r.accessToken))).toBe('SESSION_REVOKED');
    expect(await codeOf(svc.refresh(r.refreshToken))).toBe('SESSION_REVOKED');
    expect(await codeOf(svc.logout('nonsense'))).toBe('REFRESH_TOKEN_INVALID');
    svc.onModuleDestroy();
  });
});

describe('AuthService: login', () => {
  it('a wrong password and an unknown login get the same answer, and both check a password', async () => {
    const { svc, hasher } = setup();
    await svc.register(alice);
    const before = hasher.verifications;
    expect(await codeOf(svc.login('alice', 'wrong password'))).toBe('INVALID_CREDENTIALS');
    expect(await codeOf(svc.login('nobody', 'wrong password'))).toBe('INVALID_CREDENTIALS');
    expect(hasher.verifications - before).toBe(2);
    const ok = await svc.login('ALICE@example.test', alice.password);
    expect(ok.user.username).toBe('alice');
    expect(ok.deviceToken).toBe('device-token');
    svc.onModuleDestroy();
  });

  it('a disabled account hears so only with the right password', async () => {
    const { svc, users } = setup();
    const r = await svc.register(alice);
    await users.setStatus(r.user.id, 'disabled');
    expect(await codeOf(svc.login('alice', 'wrong password'))).toBe('INVALID_CREDENTIALS');
    expect(await codeOf(svc.login('alice', alice.password))).toBe('USER_DISABLED');
    svc.onModuleDestroy();
  });
});

describe('AuthService: account status and tokens', () => {
  it('a ban revokes every session of the user at once; unbanning does not bring them back', async () => {
    const { svc, revoked } = setup();
    const a = await svc.register(alice);
    const b = await svc.login('alice', alice.password);
    await svc.authenticateAccessToken(a.accessToken); // cached: a ban must not wait for the cache
    await svc.setAccountStatus(a.user.id, 'banned', 'banned');
    expect(revoked()).toEqual([[null, 'banned']]);
    for (const t of [a.accessToken, b.accessToken])
      expect(await codeOf(svc.authenticateAccessToken(t))).toBe('USER_DISABLED');
    expect(await codeOf(svc.refresh(b.refreshToken))).toBe('SESSION_REVOKED');

    await svc.setAccountStatus(a.user.id, 'active', 'unbanned');
    expect(revoked()).toHaveLength(1);
    expect(await codeOf(svc.authenticateAccessToken(a.accessToken))).toBe('SESSION_REVOKED');
    await svc.login('alice', alice.password); // a new login works again
    svc.onModuleDestroy();
  });

  it('a WebSocket ticket is good once, for its session', async () => {
    const { svc } = setup();
    const r = await svc.register(alice);
    const principal = await svc.authenticateAccessToken(r.accessToken);
    const { ticket } = await svc.issueWsTicket(principal);
    expect(await svc.redeemWsTicket(ticket)).toEqual(principal);
    expect(await codeOf(svc.redeemWsTicket(ticket))).toBe('TOKEN_INVALID');
    expect(await codeOf(svc.redeemWsTicket('nonsense'))).toBe('TOKEN_INVALID');
    svc.onModuleDestroy();
  });

  it('access tokens: expired, forged, of another kind or of another user are refused', async () => {
    const { svc, jwt } = setup();
    const r = await svc.register(alice);
    const { sessionId } = await svc.authenticateAccessToken(r.accessToken);
    const claims = { sub: r.user.id, sid: sessionId, usr: 'alice', typ: 'access' };
    const now = Math.floor(Date.now() / 1000);
    const expired = await jwt.signAsync({ ...claims, exp: now - 10 });
    const forged = await new JwtService({ secret: 'y'.repeat(48) }).signAsync(claims);
    const refreshKind = await jwt.signAsync({ ...claims, typ: 'refresh' });
    const otherUser = await jwt.signAsync({ ...claims, sub: randomUUID() });
    expect(await codeOf(svc.authenticateAccessToken(expired))).toBe('TOKEN_EXPIRED');
    for (const t of [forged, refreshKind, otherUser, 'not.a.jwt'])
      expect(await codeOf(svc.authenticateAccessToken(t))).toBe('TOKEN_INVALID');
    svc.onModuleDestroy();
  });
});
