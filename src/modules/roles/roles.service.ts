import { Injectable } from '@nestjs/common';
import {
  PERMISSIONS,
  type Permission,
  type PermissionScope,
} from '../../common/authz/permissions.js';
import { decodeCursor, encodeCursor } from '../../common/cursor.js';
import { Errors } from '../../common/errors/domain-error.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { RoomsService } from '../rooms/rooms.service.js';
import {
  ADMIN_ROLE_ID,
  assertEditable,
  assertMayManage,
  BUILT_IN_ROLES,
  checkableScope,
  MEMBER_ROLE_ID,
  parsePermissions,
  PERMISSION_DESCRIPTIONS,
  unionOf,
  type Role,
  type RoleAssignment,
} from './domain/role.js';
import { RoleRepository, type RoleListKey } from './domain/role.repository.js';
import { RolesPermissionResolver } from './roles-permission.resolver.js';
import { RoleErrorCodes } from './domain/role-errors.js';

/** Why a user holds a role in a scope. */
export type RoleSource = 'assignment' | 'implicit' | 'config';

export interface HeldRole {
  roleId: string;
  name: string;
  builtIn: boolean;
  scope: PermissionScope;
  source: RoleSource;
}

export interface EffectivePermissions {
  userId: string;
  scope: PermissionScope;
  roles: HeldRole[];
  permissions: Permission[];
}

@Injectable()
export class RolesService {
  constructor(
    private readonly roles: RoleRepository,
    private readonly resolver: RolesPermissionResolver,
    private readonly rooms: RoomsService,
  ) {}

  // ---- roles ----

  async list(limit = DEFAULT_LIMIT, cursor?: string): Promise<Page<Role>> {
    const after = cursor ? decodeListCursor(cursor) : null;
    const page = await this.roles.list(limit, after);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  async create(input: { name: string; description?: string; permissions: string[] }) {
    return this.roles.create({
      name: input.name,
      description: input.description ?? '',
      permissions: parsePermissions(input.permissions),
    });
  }

  async update(
    id: string,
    input: { name?: string; description?: string; permissions?: string[] },
  ): Promise<Role> {
    assertEditable(await this.requireRole(id));
    const updated = await this.roles.update(id, {
      name: input.name,
      description: input.description,
      permissions: input.permissions && parsePermissions(input.permissions),
    });
    if (!updated) throw Errors.notFound(RoleErrorCodes.notFound, 'role not found');
    return updated;
  }

  async delete(id: string): Promise<void> {
    assertEditable(await this.requireRole(id));
    if (!(await this.roles.delete(id)))
      throw Errors.notFound(RoleErrorCodes.notFound, 'role not found');
  }

  catalogue(): { name: Permission; description: string }[] {
    return PERMISSIONS.map((name) => ({ name, description: PERMISSION_DESCRIPTIONS[name] }));
  }

  // ---- assignments ----

  /**
   * Grants a role in a scope. The caller needs role.manage there and every permission the role
   * carries there (no handing out more than one holds). Idempotent.
   */
  async assign(
    callerId: string,
    userId: string,
    roleId: string,
    scope: PermissionScope,
  ): Promise<{ assignment: RoleAssignment; created: boolean }> {
    await this.authorizeManagement(callerId, userId, roleId, scope);
    return this.roles.assign({ userId, roleId, scope, createdBy: callerId });
  }

  async revoke(callerId: string, userId: string, roleId: string, scope: PermissionScope) {
    await this.authorizeManagement(callerId, userId, roleId, scope);
    if (!(await this.roles.revoke(userId, roleId, scope)))
      throw Errors.notFound(
        RoleErrorCodes.assignmentNotFound,
        'the user does not hold this role here',
      );
  }

  private async authorizeManagement(
    callerId: string,
    userId: string,
    roleId: string,
    scope: PermissionScope,
  ): Promise<void> {
    const caller = await this.effective(callerId, scope);
    if (!caller.permissions.includes('role.manage'))
      throw Errors.forbidden('PERMISSION_DENIED', 'this needs the role.manage permission');
    await this.requireScope(scope);
    if (!(await this.roles.findUser(userId)))
      throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    assertMayManage(caller.permissions, await this.requireRole(roleId));
  }

  /** A user's effective permissions in a scope, for themselves or a role manager there. */
  async permissionsOf(
    callerId: string,
    userId: string,
    scope: PermissionScope,
  ): Promise<EffectivePermissions> {
    if (callerId !== userId && !(await this.resolver.has(callerId, 'role.manage', scope)))
      throw Errors.forbidden(
        'PERMISSION_DENIED',
        "another user's permissions need the role.manage permission",
      );
    await this.requireScope(scope);
    if (!(await this.roles.findUser(userId)))
      throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    return this.effective(userId, scope);
  }

  /** The roles that apply to a user in a scope and the union of their permissions. */
  async effective(userId: string, scope: PermissionScope): Promise<EffectivePermissions> {
    const user = await this.roles.findUser(userId);
    if (!user) return { userId, scope, roles: [], permissions: [] };
    const held: (HeldRole & { permissions: readonly Permission[] })[] = [];
    if (this.resolver.isConfiguredAdmin(user.username))
      held.push({
        roleId: ADMIN_ROLE_ID,
        name: 'admin',
        builtIn: true,
        scope: { type: 'global' },
        source: 'config',
        permissions: BUILT_IN_ROLES.admin.permissions,
      });
    held.push({
      roleId: MEMBER_ROLE_ID,
      name: 'member',
      builtIn: true,
      scope: { type: 'global' },
      source: 'implicit',
      permissions: BUILT_IN_ROLES.member.permissions,
    });
    for (const a of await this.roles.applying(userId, checkableScope(scope)))
      held.push({
        roleId: a.roleId,
        name: a.roleName,
        builtIn: a.builtIn,
        scope: a.scope,
        source: 'assignment',
        permissions: a.permissions,
      });
    return {
      userId,
      scope,
      roles: held.map(({ permissions: _p, ...r }) => r),
      permissions: unionOf(held),
    };
  }

  private async requireRole(id: string): Promise<Role> {
    const role = await this.roles.findById(id);
    if (!role) throw Errors.notFound(RoleErrorCodes.notFound, 'role not found');
    return role;
  }

  /**
   * A room scope must name a room, an org scope an organisation. Organisations belong to
   * another module: without its table (never turned on here) an org id is taken as given.
   */
  private async requireScope(scope: PermissionScope): Promise<void> {
    if (scope.type === 'room' && !(await this.rooms.findRoom(scope.id)))
      throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    if (scope.type === 'org' && (await this.roles.orgExists(scope.id)) === false)
      throw Errors.notFound('ORG_NOT_FOUND', 'organisation not found');
  }
}

function decodeListCursor(cursor: string): RoleListKey {
  const [group, name] = decodeCursor(cursor, ['number', 'string']) as RoleListKey;
  if (group !== 0 && group !== 1)
    throw Errors.validation('VALIDATION_FAILED', 'cursor is not a valid cursor');
  return [group, name];
}
