import { Injectable, Optional } from '@nestjs/common';
import { AuthorizationService } from '../../common/authz/authorization.service.js';
import { Errors } from '../../common/errors/domain-error.js';
import { UserRepository } from '../users/domain/user.repository.js';
import { rollUpByDepartment, type DepartmentOnline } from './domain/department-rollup.js';
import {
  DAY_MS,
  MAX_RANGE_MS,
  checkRange,
  onlineTime,
  type Granularity,
  type OnlineTime,
} from './domain/online-time.js';
import { OrgDirectory } from './domain/org-directory.js';
import { SessionLedger } from './domain/session-ledger.js';

/** Without `from`, a question covers this much before `to`. */
export const DEFAULT_RANGE_MS = 7 * DAY_MS;

export interface RangeInput {
  from?: string;
  to?: string;
}

/** `to` defaults to now, `from` to a week before `to`. */
function resolveRange(q: RangeInput, maxMs: number): { from: Date; to: Date } {
  const to = q.to !== undefined ? new Date(q.to) : new Date();
  const from = q.from !== undefined ? new Date(q.from) : new Date(to.getTime() - DEFAULT_RANGE_MS);
  checkRange(from, to, maxMs);
  return { from, to };
}

/** Online time: a user's per period, an organisation's per department. */
@Injectable()
export class OnlineTimeService {
  constructor(
    private readonly ledger: SessionLedger,
    private readonly authz: AuthorizationService,
    private readonly users: UserRepository,
    // Present only when the organisations module is on as well.
    @Optional() private readonly orgs?: OrgDirectory,
  ) {}

  /** The user themself, or a holder of stats.read. */
  async forUser(
    callerId: string,
    q: RangeInput & { userId?: string; groupBy?: Granularity },
  ): Promise<{ userId: string; from: Date; to: Date; groupBy: Granularity } & OnlineTime> {
    const groupBy = q.groupBy ?? 'day';
    const range = resolveRange(q, MAX_RANGE_MS[groupBy]);
    const userId = q.userId ?? callerId;
    if (userId !== callerId && !(await this.authz.can(callerId, 'stats.read')))
      throw Errors.forbidden(
        'PERMISSION_DENIED',
        "another user's online time needs the stats.read permission",
      );
    if (!(await this.users.findById(userId)))
      throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    const sessions = await this.ledger.sessionsOf([userId], range.from, range.to);
    return {
      userId,
      ...range,
      groupBy,
      ...onlineTime(sessions.get(userId) ?? [], range, groupBy, new Date()),
    };
  }

  /** The organisation's owners and admins, or a holder of stats.read for it. */
  async forOrg(
    callerId: string,
    orgId: string,
    q: RangeInput,
  ): Promise<{ orgId: string; from: Date; to: Date; items: DepartmentOnline[] }> {
    const dir = this.orgs;
    if (!dir) throw Errors.notFound('NOT_FOUND', 'organisations are not enabled');
    const range = resolveRange(q, MAX_RANGE_MS.day);
    const notFound = () => Errors.notFound('ORG_NOT_FOUND', 'organisation not found');
    if (!(await dir.exists(orgId))) throw notFound();
    const role = await dir.roleOf(orgId, callerId);
    if (
      role !== 'owner' &&
      role !== 'admin' &&
      !(await this.authz.can(callerId, 'stats.read', { type: 'org', id: orgId }))
    ) {
      // As in the organisations module: to outsiders an organisation is as absent as an unknown id.
      if (role === null) throw notFound();
      throw Errors.forbidden(
        'PERMISSION_DENIED',
        "an organisation's online time is for its owners and admins, or needs stats.read",
      );
    }
    const [departments, members] = await Promise.all([dir.departments(orgId), dir.members(orgId)]);
    const sessions = await this.ledger.sessionsOf(
      members.map((m) => m.userId),
      range.from,
      range.to,
    );
    const items = rollUpByDepartment(
      departments,
      members,
      (u) => sessions.get(u) ?? [],
      range,
      new Date(),
    );
    return { orgId, ...range, items };
  }
}
