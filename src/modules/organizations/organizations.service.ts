import { Injectable, Logger } from '@nestjs/common';
import { AuthorizationService } from '../../common/authz/authorization.service.js';
import { decodeTimeIdCursor, encodeCursor } from '../../common/cursor.js';
import { DomainError, Errors } from '../../common/errors/domain-error.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import type { Room } from '../rooms/domain/room.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { buildDepartmentTree, type DepartmentNode } from './domain/department-tree.js';
import {
  canManage,
  checkMemberRemoval,
  decideMemberRole,
  type Department,
  type OrgActor,
  type OrgMember,
  type OrgRole,
  type Organization,
  type Position,
} from './domain/organization.js';
import {
  OrganizationRepository,
  type KeysetPage,
  type PositionCount,
} from './domain/organization.repository.js';
import { OrgErrorCodes } from './domain/organization-errors.js';

interface Caller {
  userId: string;
  username: string;
}

export interface OrgTree {
  org: Organization;
  role: OrgRole | null;
  departments: DepartmentNode[];
  positions: PositionCount[];
  unassignedMemberCount: number;
}

export interface MemberInput {
  role?: OrgRole;
  /** undefined: keep (none for a new member); null: clear. */
  departmentId?: string | null;
  positionId?: string | null;
}

const orgNotFound = () => Errors.notFound(OrgErrorCodes.notFound, 'organisation not found');

const toPage = <T>(p: KeysetPage<T>): Page<T> => ({
  items: p.items,
  nextCursor: p.next ? encodeCursor(p.next) : null,
});

/**
 * Organisations: their department tree, positions and members, and the removal of a member
 * from the organisation's rooms. Non-members who do not hold `org.manage` see no organisation
 * at all (404), so names and ids do not leak.
 */
@Injectable()
export class OrganizationsService {
  private readonly log = new Logger('OrganizationsService');

  constructor(
    private readonly orgs: OrganizationRepository,
    private readonly authz: AuthorizationService,
    private readonly rooms: RoomsService,
  ) {}

  async create(caller: Caller, name: string): Promise<{ org: Organization; role: OrgRole }> {
    return { org: await this.orgs.create(name, caller.userId), role: 'owner' };
  }

  async listMine(
    caller: Caller,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<{ org: Organization; role: OrgRole }>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    return toPage(await this.orgs.listForUser(caller.userId, limit, after));
  }

  async get(caller: Caller, orgId: string): Promise<{ org: Organization; role: OrgRole | null }> {
    const { org, actor } = await this.visible(caller, orgId);
    return { org, role: actor.role };
  }

  async tree(caller: Caller, orgId: string): Promise<OrgTree> {
    const { org, actor } = await this.visible(caller, orgId);
    const s = await this.orgs.structure(orgId);
    return {
      org,
      role: actor.role,
      departments: buildDepartmentTree(s.departments),
      positions: s.positions,
      unassignedMemberCount: s.unassignedMemberCount,
    };
  }

  // ---- departments ----

  async createDepartment(
    caller: Caller,
    orgId: string,
    input: { name: string; parentId?: string | null },
  ): Promise<Department> {
    await this.managed(caller, orgId);
    return this.orgs.createDepartment(orgId, {
      name: input.name,
      parentId: input.parentId ?? null,
    });
  }

  async updateDepartment(
    caller: Caller,
    orgId: string,
    departmentId: string,
    patch: { name?: string; parentId?: string | null },
  ): Promise<Department> {
    await this.managed(caller, orgId);
    return this.orgs.updateDepartment(orgId, departmentId, patch);
  }

  async deleteDepartment(caller: Caller, orgId: string, departmentId: string): Promise<void> {
    await this.managed(caller, orgId);
    await this.orgs.deleteDepartment(orgId, departmentId);
  }

  // ---- positions ----

  async createPosition(
    caller: Caller,
    orgId: string,
    input: { name: string; rank?: number },
  ): Promise<Position> {
    await this.managed(caller, orgId);
    return this.orgs.createPosition(orgId, { name: input.name, rank: input.rank ?? 0 });
  }

  async updatePosition(
    caller: Caller,
    orgId: string,
    positionId: string,
    patch: { name?: string; rank?: number },
  ): Promise<Position> {
    await this.managed(caller, orgId);
    return this.orgs.updatePosition(orgId, positionId, patch);
  }

  async deletePosition(caller: Caller, orgId: string, positionId: string): Promise<void> {
    await this.managed(caller, orgId);
    await this.orgs.deletePosition(orgId, positionId);
  }

  // ---- members ----

  async members(
    caller: Caller,
    orgId: string,
    q: { departmentId?: string; recursive?: boolean; limit?: number; cursor?: string },
  ): Promise<Page<OrgMember>> {
    await this.visible(caller, orgId);
    if (q.departmentId !== undefined && !(await this.orgs.findDepartment(orgId, q.departmentId)))
      throw Errors.notFound(OrgErrorCodes.departmentNotFound, 'department not found');
    const after = q.cursor ? decodeTimeIdCursor(q.cursor) : null;
    return toPage(
      await this.orgs.listMembers(
        orgId,
        { departmentId: q.departmentId, recursive: q.recursive ?? false },
        q.limit ?? DEFAULT_LIMIT,
        after,
      ),
    );
  }

  /** Adds a user to the organisation or changes their role, department or position. */
  async putMember(
    caller: Caller,
    orgId: string,
    userId: string,
    input: MemberInput,
  ): Promise<{ member: OrgMember; created: boolean }> {
    const { actor } = await this.managed(caller, orgId);
    return this.orgs.writeMember(orgId, userId, (current, owners) => ({
      role: decideMemberRole(actor, current?.role ?? null, input.role, owners),
      departmentId:
        input.departmentId !== undefined ? input.departmentId : (current?.departmentId ?? null),
      positionId: input.positionId !== undefined ? input.positionId : (current?.positionId ?? null),
    }));
  }

  /**
   * Removes a member (or lets a member leave), then takes them out of every room of the
   * organisation they are in: RoomsService.removeMember publishes member.left (kicked) on the
   * bus and every instance ends their subscriptions at once; from then on the core's membership
   * check refuses their reads and sends.
   */
  async removeMember(caller: Caller, orgId: string, userId: string): Promise<void> {
    const leaving = caller.userId === userId;
    const { actor } = await this.visible(caller, orgId, !leaving);
    if (!leaving && !canManage(actor))
      throw Errors.forbidden(
        'PERMISSION_DENIED',
        'removing members needs the org owner or admin role',
      );
    const removed = await this.orgs.removeMember(orgId, userId, (current, owners) =>
      checkMemberRemoval(actor, userId, current.role, owners),
    );
    // Also when they were no longer a member: a repeated DELETE then sweeps any org room a
    // failed earlier attempt (or a join racing the removal) left them in.
    await this.removeFromOrgRooms(orgId, userId, actor);
    if (!removed)
      throw Errors.notFound(
        OrgErrorCodes.notMember,
        'this user is not a member of the organisation',
      );
  }

  /** Every org room they are in; tries them all, then fails with the first error if any. */
  private async removeFromOrgRooms(orgId: string, userId: string, actor: OrgActor): Promise<void> {
    let failure: Error | null = null;
    for (const roomId of await this.orgs.roomIdsWithMember(orgId, userId)) {
      try {
        if (await this.kick(roomId, userId)) continue;
        // They own the room and are its last member: the room stays the organisation's, with
        // a successor as owner (the remover when a member, else the longest-standing owner).
        const heir =
          actor.userId !== userId && actor.role !== null
            ? actor.userId
            : await this.orgs.seniorOwner(orgId, userId);
        if (!heir) continue;
        await this.rooms.addMember(roomId, heir);
        await this.rooms.removeMember(roomId, userId);
      } catch (err) {
        // One room's failure must not leave them in the others.
        this.log.error(
          `removing ${userId} from org room ${roomId} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (failure !== null) throw failure;
  }

  /** Kicks; false when they are the owner and last member of the room (the core refuses). */
  private async kick(roomId: string, userId: string): Promise<boolean> {
    try {
      await this.rooms.removeMember(roomId, userId);
      return true;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'OWNER_LAST_MEMBER') return false;
      throw err;
    }
  }

  // ---- rooms ----

  async listRooms(
    caller: Caller,
    orgId: string,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<Room>> {
    await this.visible(caller, orgId);
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    return toPage(await this.orgs.listRooms(orgId, limit, after));
  }

  // ---- access ----

  /**
   * The organisation if the caller is a member or holds org.manage for it; else 404. The
   * permission is asked only when it can matter: for a non-member, or for a plain member when
   * `forManaging` (owners and admins manage anyway).
   */
  private async visible(
    caller: Caller,
    orgId: string,
    forManaging = false,
  ): Promise<{ org: Organization; actor: OrgActor }> {
    const found = await this.orgs.findWithRole(orgId, caller.userId);
    if (!found) throw orgNotFound();
    const ask = found.role === null || (forManaging && found.role === 'member');
    const actor: OrgActor = {
      userId: caller.userId,
      role: found.role,
      holdsManagePermission:
        ask && (await this.authz.can(caller.userId, 'org.manage', { type: 'org', id: orgId })),
    };
    if (actor.role === null && !actor.holdsManagePermission) throw orgNotFound();
    return { org: found.org, actor };
  }

  /** As visible(), and the caller may manage it (org owner/admin or org.manage); else 403. */
  private async managed(
    caller: Caller,
    orgId: string,
  ): Promise<{ org: Organization; actor: OrgActor }> {
    const v = await this.visible(caller, orgId, true);
    if (!canManage(v.actor))
      throw Errors.forbidden(
        'PERMISSION_DENIED',
        'this needs the org owner or admin role, or the org.manage permission',
      );
    return v;
  }
}
