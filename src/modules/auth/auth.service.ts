import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { authConfig, type AuthConfig } from '../../config/configuration.js';
import { Errors } from '../../common/errors/domain-error.js';
import { EventBus } from '../../common/events/event-bus.js';
import { canAuthenticate, type User, type UserStatus } from '../users/domain/user.js';
import { UserRepository } from '../users/domain/user.repository.js';
import { PasswordHasher } from '../../common/security/password-hasher.js';
import { SessionRepository, type SessionState } from './domain/session.repository.js';
import { newOpaqueToken, parseOpaqueToken } from './domain/tokens.js';
import { LoginThrottle } from './login-throttle.service.js';
import type { CallerAuthenticator } from './caller-authenticator.js';
import type { Principal } from './principal.js';

export interface AuthResult {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  /** On register and login: lets this client past the back-off strangers cause (LoginThrottle). */
  deviceToken?: string;
}

interface AccessClaims {
  sub: string;
  sid: string;
  usr: string;
  typ: 'access';
}

const STATE_CACHE_MS = 2000;

@Injectable()
export class AuthService implements CallerAuthenticator, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AuthService');
  /** Session checks per request are a PK lookup; a 2 s cache keeps them off the hot path. */
  private readonly stateCache = new Map<string, { state: SessionState | null; at: number }>();
  private dummyHash: Promise<string> | null = null;
  private unsubscribe: (() => void) | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly bus: EventBus,
    private readonly throttle: LoginThrottle,
    @Inject(authConfig.KEY) private readonly cfg: AuthConfig,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(
      (e) => {
        if (e.type === 'session.revoked') {
          if (e.sessionId) this.stateCache.delete(e.sessionId);
          else this.stateCache.clear();
        }
      },
      (h) => h.type === 'session.revoked',
    );
    this.purgeTimer = setInterval(() => {
      this.sessions
        .purgeExpired(new Date())
        .catch((err: unknown) => this.logger.warn({ err: String(err) }, 'purge failed'));
    }, 10 * 60_000);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  async register(input: {
    username: string;
    email: string;
    password: string;
  }): Promise<AuthResult> {
    const passwordHash = await this.hasher.hash(input.password);
    const user = await this.users.create({
      username: input.username,
      email: input.email,
      passwordHash,
    });
    return {
      ...(await this.startSession(user)),
      deviceToken: this.throttle.issueDeviceToken(user.id),
    };
  }

  async login(login: string, password: string, deviceToken?: string): Promise<AuthResult> {
    const user = await this.users.findByLogin(login);
    // Per-account back-off before any password is checked; unknown logins are counted alike.
    const attempt = this.throttle.attemptFor(login, user?.id ?? null, deviceToken);
    await this.throttle.admit(attempt);
    // Verify against a dummy hash when the user is unknown so timing does not reveal existence.
    const ok = user
      ? await this.hasher.verify(user.passwordHash, password)
      : (await this.hasher.verify(await this.getDummyHash(), password), false);
    if (!user || !ok) throw Errors.unauthorized('INVALID_CREDENTIALS', 'invalid login or password');
    await this.throttle.succeeded(attempt);
    if (!canAuthenticate(user))
      throw Errors.forbidden('USER_DISABLED', `account is ${user.status}`);
    return {
      ...(await this.startSession(user)),
      deviceToken: this.throttle.issueDeviceToken(user.id),
    };
  }

  async refresh(refreshToken: string): Promise<AuthResult> {
    const parsed = parseOpaqueToken(refreshToken);
    if (!parsed) throw Errors.unauthorized('REFRESH_TOKEN_INVALID', 'refresh token is invalid');
    const next = newOpaqueToken();
    const result = await this.sessions.rotate(parsed.id, parsed.hash, {
      id: next.id,
      hash: next.hash,
      expiresAt: new Date(Date.now() + this.cfg.refreshTtlSec * 1000),
    });
    if (!result.ok) {
      if (result.reason === 'reused') {
        this.logger.warn(
          { userId: result.userId, sessionId: result.sessionId },
          'refresh token reuse: session revoked',
        );
        await this.announceRevoked(result.userId, result.sessionId, 'refresh_token_reuse');
        throw Errors.unauthorized(
          'REFRESH_TOKEN_REUSED',
          'refresh token was already used; the session is revoked',
        );
      }
      if (result.reason === 'revoked')
        throw Errors.unauthorized('SESSION_REVOKED', 'session has been revoked');
      if (result.reason === 'expired')
        throw Errors.unauthorized('REFRESH_TOKEN_INVALID', 'refresh token has expired');
      throw Errors.unauthorized('REFRESH_TOKEN_INVALID', 'refresh token is invalid');
    }
    const user = await this.users.findById(result.userId);
    if (!user || !canAuthenticate(user)) {
      await this.sessions.revokeSession(result.sessionId, 'user_disabled');
      throw Errors.forbidden('USER_DISABLED', 'account is not active');
    }
    return {
      user,
      accessToken: await this.signAccess(user, result.sessionId),
      refreshToken: next.value,
      expiresIn: this.cfg.accessTtlSec,
    };
  }

  async logout(refreshToken: string): Promise<void> {
    const parsed = parseOpaqueToken(refreshToken);
    if (!parsed) throw Errors.unauthorized('REFRESH_TOKEN_INVALID', 'refresh token is invalid');
    const session = await this.sessions.findSessionByToken(parsed.id, parsed.hash);
    if (!session) throw Errors.unauthorized('REFRESH_TOKEN_INVALID', 'refresh token is invalid');
    if (session.revoked) return; // already logged out: idempotent
    await this.sessions.revokeSession(session.sessionId, 'logout');
    await this.announceRevoked(session.userId, session.sessionId, 'logout');
  }

  async issueWsTicket(principal: Principal): Promise<{ ticket: string; expiresIn: number }> {
    const t = newOpaqueToken();
    await this.sessions.createWsTicket(
      t.hash,
      principal.sessionId,
      principal.userId,
      new Date(Date.now() + this.cfg.wsTicketTtlSec * 1000),
    );
    return { ticket: t.value, expiresIn: this.cfg.wsTicketTtlSec };
  }

  /** Verifies an access JWT and that its session and user are still live. */
  async authenticateAccessToken(token: string): Promise<Principal> {
    let claims: AccessClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessClaims>(token, { algorithms: ['HS256'] });
    } catch (err) {
      if ((err as { name?: string }).name === 'TokenExpiredError')
        throw Errors.unauthorized('TOKEN_EXPIRED', 'access token has expired');
      throw Errors.unauthorized('TOKEN_INVALID', 'access token is invalid');
    }
    if (claims.typ !== 'access' || typeof claims.sid !== 'string' || typeof claims.sub !== 'string')
      throw Errors.unauthorized('TOKEN_INVALID', 'access token is invalid');
    return this.principalForSession(claims.sid, claims.sub);
  }

  /** Redeems a one-time WebSocket ticket (30 s, single use across all instances). */
  async redeemWsTicket(ticket: string): Promise<Principal> {
    const parsed = parseOpaqueToken(ticket);
    const owner = parsed ? await this.sessions.consumeWsTicket(parsed.hash) : null;
    if (!owner) throw Errors.unauthorized('TOKEN_INVALID', 'ticket is invalid, used or expired');
    return this.principalForSession(owner.sessionId, owner.userId);
  }

  private async principalForSession(sessionId: string, userId: string): Promise<Principal> {
    const state = await this.sessionState(sessionId);
    if (!state || state.userId !== userId)
      throw Errors.unauthorized('TOKEN_INVALID', 'access token is invalid');
    // The account's status first: a banned or disabled user's sessions are revoked too, and
    // the answer they need is 403 USER_DISABLED (logging in again will not help), not a 401.
    if (state.userStatus !== 'active')
      throw Errors.forbidden('USER_DISABLED', `account is ${state.userStatus}`);
    if (state.revoked) throw Errors.unauthorized('SESSION_REVOKED', 'session has been revoked');
    return { userId: state.userId, username: state.username, sessionId: state.sessionId };
  }

  private async sessionState(sessionId: string): Promise<SessionState | null> {
    const hit = this.stateCache.get(sessionId);
    if (hit && Date.now() - hit.at < STATE_CACHE_MS) return hit.state;
    const state = await this.sessions.getState(sessionId);
    if (this.stateCache.size > 50_000) this.stateCache.clear();
    this.stateCache.set(sessionId, { state, at: Date.now() });
    return state;
  }

  /**
   * Sets an account's status (the admin module's ban, unban, disable). Anything but `active`
   * revokes every session and refresh token of the user and ends their sockets and cached
   * sessions on every instance (session.revoked for all their sessions).
   */
  async setAccountStatus(userId: string, status: UserStatus, reason: string): Promise<void> {
    await this.users.setStatus(userId, status);
    // This instance answers with the new status at once. Reactivated: sessions stay revoked
    // (the user logs in again); other instances' 2 s session-state cache expires by itself.
    if (status === 'active') return this.stateCache.clear();
    await this.sessions.revokeAllForUser(userId, reason);
    this.stateCache.clear();
    await this.bus.publish({ type: 'session.revoked', userId, sessionId: null, reason });
  }

  private async announceRevoked(userId: string, sessionId: string, reason: string): Promise<void> {
    this.stateCache.delete(sessionId);
    await this.bus.publish({ type: 'session.revoked', userId, sessionId, reason });
  }

  private async startSession(user: User): Promise<AuthResult> {
    const refresh = newOpaqueToken();
    const sessionId = await this.sessions.createSession(
      user.id,
      refresh.id,
      refresh.hash,
      new Date(Date.now() + this.cfg.refreshTtlSec * 1000),
    );
    return {
      user,
      accessToken: await this.signAccess(user, sessionId),
      refreshToken: refresh.value,
      expiresIn: this.cfg.accessTtlSec,
    };
  }

  private signAccess(user: User, sessionId: string): Promise<string> {
    const claims: AccessClaims = {
      sub: user.id,
      sid: sessionId,
      usr: user.username,
      typ: 'access',
    };
    return this.jwt.signAsync(claims, { expiresIn: this.cfg.accessTtlSec, algorithm: 'HS256' });
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.hasher.hash('timing-equaliser-' + Math.random());
    return this.dummyHash;
  }
}
