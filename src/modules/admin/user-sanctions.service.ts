import { Injectable } from '@nestjs/common';
import { decodeTimeIdCursor, encodeCursor } from '../../common/cursor.js';
import { Errors } from '../../common/errors/domain-error.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { AuthService } from '../auth/auth.service.js';
import type { UserStatus } from '../users/domain/user.js';
import { SanctionRepository } from './domain/admin.repository.js';
import {
  checkReason,
  checkUntil,
  refuseSelf,
  SANCTION_MAX_MS,
  type AdminUser,
  type SanctionKind,
} from './domain/sanction.js';

/** Ban, disable and unban accounts; list users with the sanction in force. */
@Injectable()
export class UserSanctionsService {
  constructor(
    private readonly sanctions: SanctionRepository,
    private readonly auth: AuthService,
  ) {}

  async list(
    filter: { q?: string; status?: UserStatus },
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<AdminUser>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    const q = filter.q?.trim() || undefined;
    const page = await this.sanctions.listUsers({ q, status: filter.status }, limit, after);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /**
   * Bans or disables an account, optionally until a time. The status, the sanction and its
   * audit row change together; then every session and refresh token of the user is revoked
   * and their sockets close (4401) on every instance.
   */
  async impose(
    actorId: string,
    userId: string,
    kind: SanctionKind,
    input: { reason: string; until?: string | null },
  ): Promise<AdminUser> {
    const reason = checkReason(input.reason, true)!;
    const until =
      input.until === undefined || input.until === null
        ? null
        : checkUntil(input.until, new Date(), SANCTION_MAX_MS);
    refuseSelf(actorId, userId, kind === 'banned' ? 'ban' : 'disable');
    const user = await this.sanctions.impose(
      { userId, kind, reason, until, by: actorId },
      {
        actorId,
        action: kind === 'banned' ? 'user.ban' : 'user.disable',
        targetType: 'user',
        targetId: userId,
        reason,
        details: { until: until?.toISOString() ?? null },
      },
    );
    if (!user) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    await this.auth.setAccountStatus(userId, kind, kind);
    return user;
  }

  /** Lifts a ban or disable by hand: the account is active again (its user logs in anew). */
  async lift(actorId: string, userId: string, reasonIn?: string): Promise<AdminUser> {
    const reason = checkReason(reasonIn, false);
    refuseSelf(actorId, userId, 'unban');
    const result = await this.sanctions.lift(userId, {
      actorId,
      action: 'user.unban',
      targetType: 'user',
      targetId: userId,
      reason,
      details: {},
    });
    if (!result) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    if (result.before.status === 'active' && !result.before.sanction)
      throw Errors.conflict('USER_NOT_SANCTIONED', 'the user is neither banned nor disabled');
    await this.auth.setAccountStatus(userId, 'active', 'unbanned');
    return result.after;
  }
}
