// An organisation's online time per department. Pure functions, no framework imports.
import { onlineMs, type SessionSpan } from './online-time.js';

export interface DepartmentRef {
  id: string;
  parentId: string | null;
  name: string;
}

export interface OrgMemberRef {
  userId: string;
  /** Null: the member is in no department ("unassigned"). */
  departmentId: string | null;
}

export interface DepartmentOnline {
  /** Null for the members in no department. */
  departmentId: string | null;
  parentId: string | null;
  name: string;
  /** Members directly in this department. */
  memberCount: number;
  /** Of those, how many were online at all in the range. */
  activeMembers: number;
  /** Sum over the department's members of each one's online time (a member's devices count once). */
  ms: number;
}

export const UNASSIGNED = 'unassigned';

/**
 * Per department (direct members only: a parent does not include its sub-departments, the answer
 * carries `parentId` for clients that want subtree totals), plus one `unassigned` entry, always
 * last. Departments keep the given order; one with no members answers zeros.
 */
export function rollUpByDepartment(
  departments: readonly DepartmentRef[],
  members: readonly OrgMemberRef[],
  sessionsOf: (userId: string) => readonly SessionSpan[],
  range: { from: Date; to: Date },
  now: Date,
): DepartmentOnline[] {
  const rows = new Map<string | null, DepartmentOnline>();
  for (const d of departments)
    rows.set(d.id, {
      departmentId: d.id,
      parentId: d.parentId,
      name: d.name,
      memberCount: 0,
      activeMembers: 0,
      ms: 0,
    });
  const unassigned: DepartmentOnline = {
    departmentId: null,
    parentId: null,
    name: UNASSIGNED,
    memberCount: 0,
    activeMembers: 0,
    ms: 0,
  };
  for (const m of members) {
    // A department the list does not know (deleted meanwhile) counts as none.
    const row = (m.departmentId !== null ? rows.get(m.departmentId) : undefined) ?? unassigned;
    const ms = onlineMs(sessionsOf(m.userId), range, now);
    row.memberCount++;
    row.ms += ms;
    if (ms > 0) row.activeMembers++;
  }
  return [...rows.values(), unassigned];
}
