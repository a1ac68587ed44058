import type { DepartmentRef, OrgMemberRef } from './department-rollup.js';

export type OrgRole = 'owner' | 'admin' | 'member';

/**
 * Read port on the organisations module's tables (used only when that module is on too). This
 * module owns none of them; it reads members and departments to roll online time up.
 */
export abstract class OrgDirectory {
  abstract exists(orgId: string): Promise<boolean>;
  /** The user's role in the organisation, or null when not a member. */
  abstract roleOf(orgId: string, userId: string): Promise<OrgRole | null>;
  /** The organisation's departments, by name. */
  abstract departments(orgId: string): Promise<DepartmentRef[]>;
  abstract members(orgId: string): Promise<OrgMemberRef[]>;
}
