// Roles domain: roles as named sets of permissions, assignments in a scope, and the rules on
// them. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import {
  GLOBAL_SCOPE,
  isPermission,
  PERMISSIONS,
  type Permission,
  type PermissionScope,
} from '../../../common/authz/permissions.js';
import { RoleErrorCodes } from './role-errors.js';

export interface Role {
  id: string;
  name: string;
  description: string;
  builtIn: boolean;
  permissions: Permission[];
  createdAt: Date;
  updatedAt: Date;
}

export type ScopeType = PermissionScope['type'];
export const SCOPE_TYPES: readonly ScopeType[] = ['global', 'org', 'room'];

export interface RoleAssignment {
  id: string;
  userId: string;
  roleId: string;
  roleName: string;
  scope: PermissionScope;
  createdBy: string | null;
  createdAt: Date;
}

/** The built-in roles, seeded by the roles migration with these fixed ids; never editable. */
export const BUILT_IN_ROLES = {
  admin: {
    id: '00000000-0000-4000-8000-00000000ad01',
    description: 'Every permission',
    permissions: [...PERMISSIONS] as Permission[],
  },
  moderator: {
    id: '00000000-0000-4000-8000-00000000ad02',
    description: 'Keeps rooms in order: edits and deletes rooms and messages, kicks and mutes',
    permissions: [
      'room.update.any',
      'room.delete.any',
      'message.delete.any',
      'member.kick',
      'member.mute',
      'audit.read',
      'stats.read',
    ] as Permission[],
  },
  member: {
    id: '00000000-0000-4000-8000-00000000ad03',
    description: 'What every signed-in user holds (implicitly, everywhere)',
    permissions: ['room.create'] as Permission[],
  },
} as const;

export type BuiltInRoleName = keyof typeof BUILT_IN_ROLES;
export const ADMIN_ROLE_ID = BUILT_IN_ROLES.admin.id;
export const MEMBER_ROLE_ID = BUILT_IN_ROLES.member.id;

/** What each permission lets its holder do (GET /api/permissions). */
export const PERMISSION_DESCRIPTIONS: Record<Permission, string> = {
  'room.create': 'Create rooms',
  'room.update.any': "Change any room's settings, not only one's own",
  'room.delete.any': 'Delete any room, not only one owns',
  'message.delete.any': "Delete anyone's messages",
  'member.kick': 'Remove members from rooms',
  'member.mute': 'Stop members from sending messages for a while',
  'user.ban': 'Ban and unban user accounts',
  'org.manage': 'Manage organisations, their departments, positions and members',
  'role.manage': 'Create, change and delete roles; assign and revoke them',
  'audit.read': 'Read the audit log',
  'stats.read': 'Read usage and online statistics',
  'bot.manage': 'Create and manage bots',
};

export const ROLE_NAME_MAX = 64;
export const ROLE_DESCRIPTION_MAX = 500;
/** Letters, digits, spaces and `_ . -`, starting with a letter or digit. */
export const ROLE_NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u;

/**
 * The permissions of a new or changed role, deduplicated and in catalogue order. An unknown
 * name is a 400 that names it (the catalogue is fixed by the code, so the database holds no
 * check of its own).
 */
export function parsePermissions(list: readonly string[]): Permission[] {
  const unknown = list.filter((p) => !isPermission(p));
  if (unknown.length > 0)
    throw Errors.validation(
      'VALIDATION_FAILED',
      `permissions contains unknown permission${unknown.length > 1 ? 's' : ''}: ${[...new Set(unknown)].join(', ')}`,
    );
  const wanted = new Set(list);
  return PERMISSIONS.filter((p) => wanted.has(p));
}

/** Built-in roles are fixed: their names and permissions are what the code relies on. */
export function assertEditable(role: Role): void {
  if (role.builtIn)
    throw Errors.forbidden(
      RoleErrorCodes.builtIn,
      `the built-in role ${role.name} cannot be changed`,
    );
}

/** A scope from the API's `scopeType` + `scopeId`: an id for org and room, none for global. */
export function scopeOf(scopeType: ScopeType, scopeId: string | undefined | null): PermissionScope {
  if (scopeType === 'global') {
    if (scopeId !== undefined && scopeId !== null)
      throw Errors.validation('VALIDATION_FAILED', 'scopeId must be left out for scopeType global');
    return { type: 'global' };
  }
  if (scopeId === undefined || scopeId === null)
    throw Errors.validation('VALIDATION_FAILED', `scopeId is required for scopeType ${scopeType}`);
  return { type: scopeType, id: scopeId };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The scope to check in. A permission guard reads the scope's id from a route param or a
 * frame's data before any validation ran; an id that is not a UUID names nothing, so only the
 * global assignments can apply (and the database is never asked to compare it to a uuid).
 */
export function checkableScope(scope: PermissionScope): PermissionScope {
  return scope.type === 'global' || UUID_RE.test(scope.id) ? scope : GLOBAL_SCOPE;
}

export const scopeIdOf = (s: PermissionScope): string | null => (s.type === 'global' ? null : s.id);

/** The union of the roles' permissions, in catalogue order. */
export function unionOf(roles: readonly { permissions: readonly Permission[] }[]): Permission[] {
  const held = new Set<Permission>();
  for (const r of roles) for (const p of r.permissions) held.add(p);
  return PERMISSIONS.filter((p) => held.has(p));
}

/**
 * Who may grant or revoke a role in a scope: one who holds role.manage there, and every
 * permission the role carries there too, so a room's role manager cannot hand out more than
 * they have (granting `admin` globally therefore needs a global admin).
 */
export function assertMayManage(callerPermissions: readonly Permission[], role: Role): void {
  const held = new Set(callerPermissions);
  if (!held.has('role.manage'))
    throw Errors.forbidden('PERMISSION_DENIED', 'this needs the role.manage permission');
  const missing = role.permissions.filter((p) => !held.has(p));
  if (missing.length > 0)
    throw Errors.forbidden(
      'PERMISSION_DENIED',
      `role ${role.name} carries permissions you do not hold in this scope: ${missing.join(', ')}`,
    );
}
