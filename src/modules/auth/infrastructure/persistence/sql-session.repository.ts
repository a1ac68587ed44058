import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import type { UserStatus } from '../../../users/domain/user.js';
import { sameHash } from '../../domain/tokens.js';
import {
  SessionRepository,
  type RotateResult,
  type SessionState,
} from '../../domain/session.repository.js';

interface TokenRow {
  session_id: string;
  user_id: string;
  token_hash: string;
  used_at: Date | null;
  expires_at: Date;
  revoked_at: Date | null;
}

/** Plain SQL: rotation needs a row lock and one transaction, which is clearest written out. */
@Injectable()
export class SqlSessionRepository extends SessionRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async createSession(
    userId: string,
    tokenId: string,
    tokenHash: string,
    expiresAt: Date,
  ): Promise<string> {
    return this.ds.transaction(async (m) => {
      const [s] = await m.query<{ id: string }[]>(
        `INSERT INTO auth_sessions (user_id) VALUES ($1) RETURNING id`,
        [userId],
      );
      await m.query(
        `INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
        [tokenId, s.id, tokenHash, expiresAt],
      );
      return s.id;
    });
  }

  async rotate(
    tokenId: string,
    tokenHash: string,
    next: { id: string; hash: string; expiresAt: Date },
  ): Promise<RotateResult> {
    return this.ds.transaction(async (m) => {
      const rows = await m.query<TokenRow[]>(
        `SELECT t.session_id, s.user_id, t.token_hash, t.used_at, t.expires_at, s.revoked_at
           FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id
          WHERE t.id = $1
          FOR UPDATE OF t, s`,
        [tokenId],
      );
      const row = rows[0];
      if (!row || !sameHash(row.token_hash, tokenHash)) return { ok: false, reason: 'invalid' };
      if (row.revoked_at) return { ok: false, reason: 'revoked' };
      if (row.used_at) {
        // A spent token came back: someone holds a copy. Kill the whole family.
        await m.query(
          `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'refresh_token_reuse' WHERE id = $1`,
          [row.session_id],
        );
        return { ok: false, reason: 'reused', userId: row.user_id, sessionId: row.session_id };
      }
      if (row.expires_at.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
      await m.query(`UPDATE refresh_tokens SET used_at = now(), replaced_by = $2 WHERE id = $1`, [
        tokenId,
        next.id,
      ]);
      await m.query(
        `INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
        [next.id, row.session_id, next.hash, next.expiresAt],
      );
      await m.query(`UPDATE auth_sessions SET last_used_at = now() WHERE id = $1`, [
        row.session_id,
      ]);
      return { ok: true, userId: row.user_id, sessionId: row.session_id };
    });
  }

  async findSessionByToken(
    tokenId: string,
    tokenHash: string,
  ): Promise<{ sessionId: string; userId: string; revoked: boolean } | null> {
    const rows = await this.ds.query<TokenRow[]>(
      `SELECT t.session_id, s.user_id, t.token_hash, s.revoked_at
         FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id WHERE t.id = $1`,
      [tokenId],
    );
    const row = rows[0];
    if (!row || !sameHash(row.token_hash, tokenHash)) return null;
    return { sessionId: row.session_id, userId: row.user_id, revoked: row.revoked_at !== null };
  }

  async revokeSession(sessionId: string, reason: string): Promise<void> {
    await this.ds.query(
      `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
      [sessionId, reason],
    );
  }

  async revokeAllForUser(userId: string, reason: string): Promise<string[]> {
    const rows = rowsOf<{ id: string }>(
      await this.ds.query(
        `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2
          WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
        [userId, reason],
      ),
    );
    return rows.map((r) => r.id);
  }

  async getState(sessionId: string): Promise<SessionState | null> {
    const rows = await this.ds.query<
      {
        id: string;
        user_id: string;
        revoked_at: Date | null;
        username: string;
        status: UserStatus;
      }[]
    >(
      `SELECT s.id, s.user_id, s.revoked_at, u.username, u.status
         FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
      [sessionId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      sessionId: r.id,
      userId: r.user_id,
      username: r.username,
      userStatus: r.status,
      revoked: r.revoked_at !== null,
    };
  }

  async createWsTicket(
    ticketHash: string,
    sessionId: string,
    userId: string,
    expiresAt: Date,
  ): Promise<void> {
    await this.ds.query(
      `INSERT INTO ws_tickets (ticket_hash, session_id, user_id, expires_at) VALUES ($1, $2, $3, $4)`,
      [ticketHash, sessionId, userId, expiresAt],
    );
  }

  async consumeWsTicket(ticketHash: string): Promise<{ userId: string; sessionId: string } | null> {
    // One statement: two instances racing on the same ticket cannot both win.
    const [row] = rowsOf<{ user_id: string; session_id: string }>(
      await this.ds.query(
        `UPDATE ws_tickets SET used_at = now()
          WHERE ticket_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING user_id, session_id`,
        [ticketHash],
      ),
    );
    return row ? { userId: row.user_id, sessionId: row.session_id } : null;
  }

  async purgeExpired(now: Date): Promise<void> {
    await this.ds.query(`DELETE FROM ws_tickets WHERE expires_at < $1 - interval '1 hour'`, [now]);
    await this.ds.query(`DELETE FROM refresh_tokens WHERE expires_at < $1 - interval '1 day'`, [
      now,
    ]);
  }
}
