import type { UserStatus } from '../../users/domain/user.js';

export interface SessionState {
  sessionId: string;
  userId: string;
  username: string;
  userStatus: UserStatus;
  revoked: boolean;
}

export type RotateResult =
  | { ok: true; userId: string; sessionId: string }
  | { ok: false; reason: 'invalid' | 'expired' | 'revoked' }
  | { ok: false; reason: 'reused'; userId: string; sessionId: string };

/**
 * Persistence port for login sessions (a refresh-token family each), their refresh tokens and
 * one-time WebSocket tickets. Only token hashes are stored.
 */
export abstract class SessionRepository {
  abstract createSession(
    userId: string,
    tokenId: string,
    tokenHash: string,
    expiresAt: Date,
  ): Promise<string>;
  /**
   * Atomically spends the presented token and stores its successor. Presenting an already spent
   * token revokes the whole family (reason 'reused').
   */
  abstract rotate(
    tokenId: string,
    tokenHash: string,
    next: { id: string; hash: string; expiresAt: Date },
  ): Promise<RotateResult>;
  /** The session a live (or spent) refresh token belongs to, if the hash matches. */
  abstract findSessionByToken(
    tokenId: string,
    tokenHash: string,
  ): Promise<{ sessionId: string; userId: string; revoked: boolean } | null>;
  abstract revokeSession(sessionId: string, reason: string): Promise<void>;
  abstract revokeAllForUser(userId: string, reason: string): Promise<string[]>;
  abstract getState(sessionId: string): Promise<SessionState | null>;
  abstract createWsTicket(
    ticketHash: string,
    sessionId: string,
    userId: string,
    expiresAt: Date,
  ): Promise<void>;
  /** Marks the ticket used and returns its owner; null if unknown, used or expired. */
  abstract consumeWsTicket(
    ticketHash: string,
  ): Promise<{ userId: string; sessionId: string } | null>;
  abstract purgeExpired(now: Date): Promise<void>;
}
