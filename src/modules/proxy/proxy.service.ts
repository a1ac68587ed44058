import { Injectable } from '@nestjs/common';
import { decodeTimeIdCursor, encodeCursor } from '../../common/cursor.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { UsersService } from '../users/users.service.js';
import {
  assertParty,
  checkGrantRooms,
  checkParties,
  grantWindow,
  type AuditEntry,
  type ProxyGrant,
} from './domain/proxy-grant.js';
import { ProxyRepository, type GrantFilter, type KeysetPage } from './domain/proxy.repository.js';

interface Caller {
  userId: string;
}

export interface GrantInput {
  proxyUserId: string;
  roomIds?: string[] | null;
  startsAt?: string;
  endsAt?: string | null;
}

const toPage = <T>(p: KeysetPage<T>): Page<T> => ({
  items: p.items,
  nextCursor: p.next ? encodeCursor(p.next) : null,
});

/** Granting, listing and revoking the right to send on someone's behalf, and its audit trail. */
@Injectable()
export class ProxyService {
  constructor(
    private readonly repo: ProxyRepository,
    private readonly users: UsersService,
  ) {}

  async grant(caller: Caller, input: GrantInput): Promise<ProxyGrant> {
    checkParties(caller.userId, input.proxyUserId);
    const window = grantWindow(input, new Date());
    await this.users.getById(input.proxyUserId); // USER_NOT_FOUND
    const roomIds = input.roomIds ?? null;
    if (roomIds !== null)
      checkGrantRooms(roomIds, await this.repo.roomAccess(caller.userId, roomIds));
    return this.repo.create({
      grantorId: caller.userId,
      proxyUserId: input.proxyUserId,
      roomIds,
      ...window,
    });
  }

  async list(
    caller: Caller,
    filter: GrantFilter,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<ProxyGrant>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    return toPage(await this.repo.listFor(caller.userId, filter, limit, after));
  }

  async get(caller: Caller, id: string): Promise<ProxyGrant> {
    const grant = await this.repo.findById(id);
    assertParty(grant, caller.userId);
    return grant;
  }

  /**
   * The grantor withdraws the grant, or the proxy renounces it. Effective for the next send on
   * every instance (the per-send check reads the database). Revoking again changes nothing.
   */
  async revoke(caller: Caller, id: string): Promise<void> {
    assertParty(await this.repo.findById(id), caller.userId);
    await this.repo.revoke(id, caller.userId);
  }

  async audit(
    caller: Caller,
    grantId: string | undefined,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<AuditEntry>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    if (grantId !== undefined) assertParty(await this.repo.findById(grantId), caller.userId);
    return toPage(await this.repo.listAudit(caller.userId, grantId ?? null, limit, after));
  }
}
