// In-memory fakes of the auth context's ports, for services' unit tests (not built into dist:
// *.fake.ts is excluded). They keep the SQL repositories' contracts as the services rely on them.
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../../../common/events/event-bus.js';
import { authConfig } from '../../../config/configuration.js';
import { AuthService } from '../auth.service.js';
import type { LoginThrottle } from '../login-throttle.service.js';
import { PasswordHasher } from '../../../common/security/password-hasher.js';
import {
  UserRepository,
  type NewUser,
  type ProfilePatch,
} from '../../users/domain/user.repository.js';
import {
  publicProfile,
  type PublicProfile,
  type User,
  type UserStatus,
} from '../../users/domain/user.js';
import { Errors } from '../../../common/errors/domain-error.js';
import {
  SessionRepository,
  type RotateResult,
  type SessionState,
} from '../domain/session.repository.js';
import { sameHash } from '../domain/tokens.js';

/** Users in memory, with the SQL repository's contract (usernames unique, case-insensitively). */
export class InMemoryUsers extends UserRepository {
  readonly byId = new Map<string, User>();
  create(u: NewUser): Promise<User> {
    const now = new Date();
    const user: User = {
      id: randomUUID(),
      username: u.username,
      email: u.email,
      passwordHash: u.passwordHash,
      avatarUrl: null,
      status: 'active',
      extensions: {},
      createdAt: now,
      updatedAt: now,
    };
    this.byId.set(user.id, user);
    return Promise.resolve(user);
  }
  findById(id: string): Promise<User | null> {
    return Promise.resolve(this.byId.get(id) ?? null);
  }
  findByLogin(login: string): Promise<User | null> {
    const l = login.toLowerCase();
    const found = [...this.byId.values()].find(
      (u) => u.username.toLowerCase() === l || u.email.toLowerCase() === l,
    );
    return Promise.resolve(found ?? null);
  }
  setStatus(id: string, status: UserStatus): Promise<void> {
    this.byId.get(id)!.status = status;
    return Promise.resolve();
  }
  findProfiles(ids: string[]): Promise<PublicProfile[]> {
    return Promise.resolve(
      ids.flatMap((id) => {
        const u = this.byId.get(id);
        return u ? [publicProfile(u)] : [];
      }),
    );
  }
  /** All or nothing, as the SQL one: the extensions merged from the stored ones, or a throw. */
  async updateProfile(id: string, patch: ProfilePatch): Promise<User> {
    this.profileWrites++;
    const u = this.byId.get(id);
    if (!u) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    const name = patch.username?.toLowerCase();
    if (
      name !== undefined &&
      [...this.byId.values()].some((o) => o.id !== id && o.username.toLowerCase() === name)
    )
      throw Errors.conflict('USERNAME_TAKEN', 'username taken');
    const next: User = {
      ...u,
      username: patch.username ?? u.username,
      avatarUrl: patch.avatarUrl === undefined ? u.avatarUrl : patch.avatarUrl,
      extensions: patch.extensions ? patch.extensions(u.extensions) : u.extensions,
      updatedAt: new Date(),
    };
    this.byId.set(id, next);
    return next;
  }
  /** Writes attempted through updateProfile (a refused patch must not get that far). */
  profileWrites = 0;
  searchActiveByPrefix(
    prefix: string,
    limit: number,
    after: string | null,
  ): Promise<{ items: PublicProfile[]; next: string | null }> {
    const p = prefix.toLowerCase();
    const found = [...this.byId.values()]
      .filter((u) => u.status === 'active' && u.username.toLowerCase().startsWith(p))
      .sort((a, b) => (a.username.toLowerCase() < b.username.toLowerCase() ? -1 : 1))
      .filter((u) => after === null || u.username.toLowerCase() > after);
    const items = found.slice(0, limit);
    return Promise.resolve({
      items: items.map(publicProfile),
      next: found.length > limit ? items[items.length - 1].username.toLowerCase() : null,
    });
  }
}

interface TokenRow {
  sessionId: string;
  hash: string;
  used: boolean;
  expiresAt: Date;
}

/**
 * Sessions as the SQL repository keeps them: a family of refresh tokens per session, only their
 * hashes stored; a spent token presented again revokes the family.
 */
export class InMemorySessions extends SessionRepository {
  readonly sessions = new Map<string, { userId: string; revoked: string | null }>();
  readonly tokens = new Map<string, TokenRow>();
  readonly tickets = new Map<string, { sessionId: string; userId: string; used: boolean }>();

  constructor(private readonly users: InMemoryUsers) {
    super();
  }

  createSession(userId: string, tokenId: string, hash: string, expiresAt: Date): Promise<string> {
    const sessionId = randomUUID();
    this.sessions.set(sessionId, { userId, revoked: null });
    this.tokens.set(tokenId, { sessionId, hash, used: false, expiresAt });
    return Promise.resolve(sessionId);
  }
  rotate(
    tokenId: string,
    hash: string,
    next: { id: string; hash: string; expiresAt: Date },
  ): Promise<RotateResult> {
    const row = this.tokens.get(tokenId);
    if (!row || !sameHash(row.hash, hash)) return Promise.resolve({ ok: false, reason: 'invalid' });
    const session = this.sessions.get(row.sessionId)!;
    if (session.revoked) return Promise.resolve({ ok: false, reason: 'revoked' });
    if (row.used) {
      session.revoked = 'refresh_token_reuse';
      const { userId } = session;
      return Promise.resolve({ ok: false, reason: 'reused', userId, sessionId: row.sessionId });
    }
    if (row.expiresAt.getTime() <= Date.now())
      return Promise.resolve({ ok: false, reason: 'expired' });
    row.used = true;
    this.tokens.set(next.id, { ...next, sessionId: row.sessionId, used: false });
    return Promise.resolve({ ok: true, userId: session.userId, sessionId: row.sessionId });
  }
  findSessionByToken(tokenId: string, hash: string) {
    const row = this.tokens.get(tokenId);
    if (!row || !sameHash(row.hash, hash)) return Promise.resolve(null);
    const s = this.sessions.get(row.sessionId)!;
    return Promise.resolve({ sessionId: row.sessionId, userId: s.userId, revoked: !!s.revoked });
  }
  revokeSession(sessionId: string, reason: string): Promise<void> {
    const s = this.sessions.get(sessionId);
    if (s && !s.revoked) s.revoked = reason;
    return Promise.resolve();
  }
  revokeAllForUser(userId: string, reason: string): Promise<string[]> {
    const ids: string[] = [];
    for (const [id, s] of this.sessions)
      if (s.userId === userId && !s.revoked) {
        s.revoked = reason;
        ids.push(id);
      }
    return Promise.resolve(ids);
  }
  async getState(sessionId: string): Promise<SessionState | null> {
    const s = this.sessions.get(sessionId);
    const user = s && (await this.users.findById(s.userId));
    if (!s || !user) return null;
    const { username, status: userStatus } = user;
    return { sessionId, userId: s.userId, username, userStatus, revoked: !!s.revoked };
  }
  createWsTicket(hash: string, sessionId: string, userId: string): Promise<void> {
    this.tickets.set(hash, { sessionId, userId, used: false });
    return Promise.resolve();
  }
  consumeWsTicket(hash: string) {
    const t = this.tickets.get(hash);
    if (!t || t.used) return Promise.resolve(null);
    t.used = true;
    return Promise.resolve({ userId: t.userId, sessionId: t.sessionId });
  }
  purgeExpired(): Promise<void> {
    return Promise.resolve();
  }
}

/** Plain "hashes" whose verifications the test can count. */
export class CountingHasher extends PasswordHasher {
  verifications = 0;
  hash(password: string): Promise<string> {
    return Promise.resolve(`hashed:${password}`);
  }
  verify(hash: string, password: string): Promise<boolean> {
    this.verifications++;
    return Promise.resolve(hash === `hashed:${password}`);
  }
}

/** The secret authServiceOn signs with (a test may sign its own tokens with it). */
export const FAKE_JWT_SECRET = 'x'.repeat(40) + '-in-memory-auth-fake';

/**
 * The real AuthService on in-memory users and sessions, its login throttle letting every
 * attempt in (the throttle has its own spec, login-throttle.service.spec.ts). Started: it
 * listens on `bus` for session.revoked as in the app.
 */
export function authServiceOn(deps: {
  users: InMemoryUsers;
  sessions: InMemorySessions;
  bus: EventBus;
  hasher?: PasswordHasher;
  env?: Record<string, string>;
}): AuthService {
  const throttle = {
    attemptFor: () => ({ key: Buffer.alloc(32), trustedDevice: false }),
    admit: () => Promise.resolve(),
    succeeded: () => Promise.resolve(),
    issueDeviceToken: () => 'device-token',
  } as unknown as LoginThrottle;
  const svc = new AuthService(
    deps.users,
    deps.sessions,
    deps.hasher ?? new CountingHasher(),
    new JwtService({ secret: FAKE_JWT_SECRET }),
    deps.bus,
    throttle,
    authConfig({ JWT_SECRET: FAKE_JWT_SECRET, ...deps.env }),
  );
  svc.onModuleInit();
  return svc;
}
