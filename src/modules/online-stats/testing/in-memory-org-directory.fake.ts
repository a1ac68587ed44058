import type { DepartmentRef, OrgMemberRef } from '../domain/department-rollup.js';
import { OrgDirectory, type OrgRole } from '../domain/org-directory.js';

/** Organisations in memory, as the organisations module's tables answer the read port. */
export class InMemoryOrgDirectory extends OrgDirectory {
  private readonly orgs = new Map<
    string,
    { departments: DepartmentRef[]; members: (OrgMemberRef & { role: OrgRole })[] }
  >();

  addOrg(orgId: string, departments: DepartmentRef[] = []): this {
    this.orgs.set(orgId, { departments, members: [] });
    return this;
  }

  addMember(
    orgId: string,
    userId: string,
    role: OrgRole,
    departmentId: string | null = null,
  ): this {
    this.orgs.get(orgId)!.members.push({ userId, role, departmentId });
    return this;
  }

  exists(orgId: string): Promise<boolean> {
    return Promise.resolve(this.orgs.has(orgId));
  }

  roleOf(orgId: string, userId: string): Promise<OrgRole | null> {
    const m = this.orgs.get(orgId)?.members.find((x) => x.userId === userId);
    return Promise.resolve(m?.role ?? null);
  }

  departments(orgId: string): Promise<DepartmentRef[]> {
    return Promise.resolve(this.orgs.get(orgId)?.departments ?? []);
  }

  members(orgId: string): Promise<OrgMemberRef[]> {
    return Promise.resolve(
      (this.orgs.get(orgId)?.members ?? []).map(({ userId, departmentId }) => ({
        userId,
        departmentId,
      })),
    );
  }
}
