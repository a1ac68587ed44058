// The department tree: the cycle rule for moves, and the nested view with member counts.
// No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import { OrgErrorCodes } from './organization-errors.js';

/**
 * Whether making `newParentId` the parent of `departmentId` would close a loop: true when the
 * department itself is `newParentId` or one of its ancestors. `parentOf` maps every department
 * of the organisation to its current parent (null for a root). Walks up at most once per
 * department, so a loop already in the data (which the rule prevents) cannot hang it.
 */
export function wouldCreateCycle(
  departmentId: string,
  newParentId: string | null,
  parentOf: ReadonlyMap<string, string | null>,
): boolean {
  const seen = new Set<string>();
  for (let at = newParentId; at !== null; at = parentOf.get(at) ?? null) {
    if (at === departmentId || seen.has(at)) return true;
    seen.add(at);
  }
  return false;
}

/** Refuses a move under oneself or one's own descendant: 409 DEPARTMENT_CYCLE. */
export function assertNoCycle(
  departmentId: string,
  newParentId: string | null,
  parentOf: ReadonlyMap<string, string | null>,
): void {
  if (wouldCreateCycle(departmentId, newParentId, parentOf))
    throw Errors.conflict(
      OrgErrorCodes.departmentCycle,
      'a department cannot be moved under itself or one of its sub-departments',
    );
}

/** One department as stored, with how many members it has directly. */
export interface DepartmentCount {
  id: string;
  name: string;
  parentId: string | null;
  memberCount: number;
}

export interface DepartmentNode extends DepartmentCount {
  /** Members of this department and of every department under it. */
  totalMemberCount: number;
  children: DepartmentNode[];
}

/**
 * Nests departments under their parents (children in input order) and adds up each subtree's
 * members. Iterative, so a deep tree does not exhaust the stack. A department whose parent is
 * missing from the input is treated as a root; departments caught in a loop (never stored, see
 * wouldCreateCycle) are left out.
 */
export function buildDepartmentTree(flat: readonly DepartmentCount[]): DepartmentNode[] {
  const nodes = new Map<string, DepartmentNode>();
  for (const d of flat) nodes.set(d.id, { ...d, totalMemberCount: d.memberCount, children: [] });
  const roots: DepartmentNode[] = [];
  for (const d of flat) {
    const node = nodes.get(d.id)!;
    const parent = d.parentId === null ? undefined : nodes.get(d.parentId);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  // Breadth-first from the roots; totals are then summed bottom-up in reverse order.
  const order: DepartmentNode[] = [...roots];
  for (let i = 0; i < order.length; i++) order.push(...order[i].children);
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    for (const c of n.children) n.totalMemberCount += c.totalMemberCount;
  }
  return roots;
}
