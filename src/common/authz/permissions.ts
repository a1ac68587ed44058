// The permission catalogue and the resolver port. Framework-free.

/** Every named permission the service checks. The roles module's roles are sets of these. */
export const PERMISSIONS = [
  'room.create',
  'room.update.any',
  'room.delete.any',
  'message.delete.any',
  'member.kick',
  'member.mute',
  'user.ban',
  'org.manage',
  'role.manage',
  'audit.read',
  'stats.read',
  'bot.manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const isPermission = (v: unknown): v is Permission =>
  typeof v === 'string' && (PERMISSIONS as readonly string[]).includes(v);

/** Where a permission is asked for; a room or org check also counts the wider scopes. */
export type PermissionScope =
  { type: 'global' } | { type: 'org'; id: string } | { type: 'room'; id: string };

export const GLOBAL_SCOPE: PermissionScope = { type: 'global' };

/** Answers "may this user do this here?" (the roles module implements it). */
export interface PermissionResolver {
  has(userId: string, permission: Permission, scope: PermissionScope): Promise<boolean>;
}
