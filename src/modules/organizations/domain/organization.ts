// Organisations domain: plain types and the rules on who may change members and roles.
// No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import { OrgErrorCodes } from './organization-errors.js';

export const ORG_ROLES = ['owner', 'admin', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const ORG_NAME_MAX = 100;
export const DEPARTMENT_NAME_MAX = 100;
export const POSITION_NAME_MAX = 100;
export const POSITION_RANK_MIN = 0;
export const POSITION_RANK_MAX = 10000;

export interface Organization {
  id: string;
  name: string;
  createdBy: string;
  createdAt: Date;
  memberCount: number;
}

export interface OrgMember {
  orgId: string;
  userId: string;
  username: string;
  role: OrgRole;
  departmentId: string | null;
  positionId: string | null;
  joinedAt: Date;
}

export interface Department {
  id: string;
  orgId: string;
  parentId: string | null;
  name: string;
  createdAt: Date;
}

export interface Position {
  id: string;
  orgId: string;
  name: string;
  rank: number;
  createdAt: Date;
}

/**
 * The caller as an organisation sees them: their org role (null when not a member) and whether
 * they hold the `org.manage` permission for it (roles module or ADMIN_USERNAMES).
 */
export interface OrgActor {
  userId: string;
  role: OrgRole | null;
  holdsManagePermission: boolean;
}

/** Owners and admins manage departments, positions and members; so does an org.manage holder. */
export const canManage = (a: OrgActor): boolean =>
  a.role === 'owner' || a.role === 'admin' || a.holdsManagePermission;

export const isOrgRole = (v: unknown): v is OrgRole =>
  typeof v === 'string' && (ORG_ROLES as readonly string[]).includes(v);

function refuse(message: string): never {
  throw Errors.forbidden('PERMISSION_DENIED', message);
}

const OWNER_ONLY = 'only an owner of the organisation may grant or revoke the owner role';

/**
 * Decides the role a member ends up with when `actor` adds or updates them (PUT member).
 * `current` is their role now (null: not a member yet), `wanted` the role asked for (undefined:
 * keep it, or `member` for a new member), `owners` how many owners the organisation has now.
 */
export function decideMemberRole(
  actor: OrgActor,
  current: OrgRole | null,
  wanted: OrgRole | undefined,
  owners: number,
): OrgRole {
  if (!canManage(actor)) refuse('managing members needs the org owner or admin role');
  const next = wanted ?? current ?? 'member';
  const grantsOwner = next === 'owner' && current !== 'owner';
  const revokesOwner = current === 'owner' && next !== 'owner';
  if ((grantsOwner || revokesOwner) && actor.role !== 'owner') refuse(OWNER_ONLY);
  if (revokesOwner && owners <= 1)
    throw Errors.conflict(
      OrgErrorCodes.lastOwner,
      'the last owner of an organisation cannot be demoted',
    );
  return next;
}

/**
 * Checks that `actor` may remove `targetUserId` (whose role is `current`) from the organisation.
 * Anyone may leave; removing someone else needs the manage right, and removing an owner needs
 * an owner. The last owner never goes.
 */
export function checkMemberRemoval(
  actor: OrgActor,
  targetUserId: string,
  current: OrgRole,
  owners: number,
): void {
  const self = actor.userId === targetUserId;
  if (!self && !canManage(actor)) refuse('removing members needs the org owner or admin role');
  if (!self && current === 'owner' && actor.role !== 'owner') refuse(OWNER_ONLY);
  if (current === 'owner' && owners <= 1)
    throw Errors.conflict(
      OrgErrorCodes.lastOwner,
      'the last owner of an organisation cannot leave it or be removed',
    );
}
