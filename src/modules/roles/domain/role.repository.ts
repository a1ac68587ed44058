import type { Permission, PermissionScope } from '../../../common/authz/permissions.js';
import type { Role, RoleAssignment } from './role.js';

export interface NewRole {
  name: string;
  description: string;
  permissions: Permission[];
}

export interface RolePatch {
  name?: string;
  description?: string;
  permissions?: Permission[];
}

/** An assignment that applies in a scope, with the permissions its role carries. */
export interface ApplyingAssignment extends RoleAssignment {
  builtIn: boolean;
  permissions: Permission[];
}

/** Keyset position in the roles list: built-ins first (0), then custom roles (1), by name. */
export type RoleListKey = [number, string];

/** Persistence port for roles and their assignments; one method per use case. */
export abstract class RoleRepository {
  /** Built-in roles first, then custom ones, each by lower-case name. */
  abstract list(
    limit: number,
    after: RoleListKey | null,
  ): Promise<{ items: Role[]; next: RoleListKey | null }>;
  abstract findById(id: string): Promise<Role | null>;
  /** ROLE_NAME_TAKEN when another role has the name (case-insensitively). */
  abstract create(role: NewRole): Promise<Role>;
  /** ROLE_NAME_TAKEN as for create; null when the role is gone. */
  abstract update(id: string, patch: RolePatch): Promise<Role | null>;
  /** Deletes the role and its assignments; false when there was no such role. */
  abstract delete(id: string): Promise<boolean>;

  /** Assigns (idempotent): `created` is false when the user already held the role there. */
  abstract assign(a: {
    userId: string;
    roleId: string;
    scope: PermissionScope;
    createdBy: string | null;
  }): Promise<{ assignment: RoleAssignment; created: boolean }>;
  /** False when there was no such assignment. */
  abstract revoke(userId: string, roleId: string, scope: PermissionScope): Promise<boolean>;

  /**
   * One read for a permission check: the user's name (null when there is no such user) and
   * whether an assignment that applies in the scope grants the permission. A room scope counts
   * the room's organisation's assignments, and every scope counts global ones.
   */
  abstract check(
    userId: string,
    permission: Permission,
    scope: PermissionScope,
  ): Promise<{ username: string | null; granted: boolean }>;
  /** The user's assignments that apply in the scope (as for `check`), widest scope first. */
  abstract applying(userId: string, scope: PermissionScope): Promise<ApplyingAssignment[]>;

  /**
   * Whether an organisation exists: null when there is no organisations table (that module has
   * never been on here), so org ids cannot be checked.
   */
  abstract orgExists(id: string): Promise<boolean | null>;

  abstract findUser(id: string): Promise<{ id: string; username: string } | null>;
  /** Case-insensitive, as usernames are unique. */
  abstract findUserByUsername(username: string): Promise<{ id: string; username: string } | null>;
}
