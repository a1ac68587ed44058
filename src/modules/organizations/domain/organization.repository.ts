import type { KeysetPage } from '../../rooms/domain/room.repository.js';
import type { Room } from '../../rooms/domain/room.js';
import type { DepartmentCount } from './department-tree.js';
import type { Department, Organization, OrgMember, OrgRole, Position } from './organization.js';

export type { KeysetPage };

/** What a member's row becomes after an add or update. */
export interface MemberWrite {
  role: OrgRole;
  departmentId: string | null;
  positionId: string | null;
}

export interface PositionCount {
  id: string;
  name: string;
  rank: number;
  memberCount: number;
}

export interface OrgStructure {
  /** Ordered by name, then id. */
  departments: DepartmentCount[];
  /** Ordered by rank, then name. */
  positions: PositionCount[];
  unassignedMemberCount: number;
}

export interface MemberFilter {
  departmentId?: string;
  /** With departmentId: the members of its sub-departments too. */
  recursive: boolean;
}

/**
 * Persistence port for organisations, their structure and members; one method per use case.
 * Every change to an organisation's structure or members runs with the organisation's row
 * locked, so the rules checked inside (no cycle, a last owner stays) hold under concurrency.
 */
export abstract class OrganizationRepository {
  /** Creates the organisation with its creator as owner; ORG_NAME_TAKEN on a duplicate name. */
  abstract create(name: string, createdBy: string): Promise<Organization>;
  /** The organisation and the user's role in it (null: not a member), in one read. */
  abstract findWithRole(
    orgId: string,
    userId: string,
  ): Promise<{ org: Organization; role: OrgRole | null } | null>;
  abstract roleOf(orgId: string, userId: string): Promise<OrgRole | null>;
  /** The user's organisations, newest first. */
  abstract listForUser(
    userId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<{ org: Organization; role: OrgRole }>>;

  /** DEPARTMENT_NOT_FOUND when the parent is not this organisation's; *_NAME_TAKEN on siblings. */
  abstract createDepartment(
    orgId: string,
    input: { name: string; parentId: string | null },
  ): Promise<Department>;
  /** Renames and/or moves (parentId null: to the top); DEPARTMENT_CYCLE for a loop. */
  abstract updateDepartment(
    orgId: string,
    departmentId: string,
    patch: { name?: string; parentId?: string | null },
  ): Promise<Department>;
  /** DEPARTMENT_NOT_EMPTY while it has sub-departments; its members keep no department. */
  abstract deleteDepartment(orgId: string, departmentId: string): Promise<void>;
  abstract findDepartment(orgId: string, departmentId: string): Promise<Department | null>;

  abstract createPosition(orgId: string, input: { name: string; rank: number }): Promise<Position>;
  abstract updatePosition(
    orgId: string,
    positionId: string,
    patch: { name?: string; rank?: number },
  ): Promise<Position>;
  /** Its holders keep no position. */
  abstract deletePosition(orgId: string, positionId: string): Promise<void>;

  /** Departments with direct member counts, positions with holder counts. */
  abstract structure(orgId: string): Promise<OrgStructure>;

  /**
   * Adds or updates a member. `decide` sees their current row (null: not a member) and the
   * organisation's owner count, under the lock, and answers the new row or throws to refuse.
   * USER_NOT_FOUND for an unknown user; DEPARTMENT_NOT_FOUND / POSITION_NOT_FOUND when the
   * department or position is not this organisation's.
   */
  abstract writeMember(
    orgId: string,
    userId: string,
    decide: (current: OrgMember | null, owners: number) => MemberWrite,
  ): Promise<{ member: OrgMember; created: boolean }>;
  /**
   * Removes a member after `check` (under the lock) did not throw; false when they were not one.
   */
  abstract removeMember(
    orgId: string,
    userId: string,
    check: (current: OrgMember, owners: number) => void,
  ): Promise<boolean>;
  /** Members in joining order. */
  abstract listMembers(
    orgId: string,
    filter: MemberFilter,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<OrgMember>>;

  /** The organisation's rooms, newest first. */
  abstract listRooms(
    orgId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<Room>>;
  /** Ids of the organisation's rooms the user is a member of. */
  abstract roomIdsWithMember(orgId: string, userId: string): Promise<string[]>;
  /** The longest-standing owner other than `userId`, or null. */
  abstract seniorOwner(orgId: string, exceptUserId: string): Promise<string | null>;
}
