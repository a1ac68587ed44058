import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DepartmentRef, OrgMemberRef } from '../../domain/department-rollup.js';
import { OrgDirectory, type OrgRole } from '../../domain/org-directory.js';

/** Reads the organisations module's tables (organizations, org_departments, org_members). */
@Injectable()
export class SqlOrgDirectory extends OrgDirectory {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async exists(orgId: string): Promise<boolean> {
    const rows = await this.ds.query<unknown[]>(`SELECT 1 FROM organizations WHERE id = $1`, [
      orgId,
    ]);
    return rows.length > 0;
  }

  async roleOf(orgId: string, userId: string): Promise<OrgRole | null> {
    const rows = await this.ds.query<{ role: OrgRole }[]>(
      `SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2`,
      [orgId, userId],
    );
    return rows[0]?.role ?? null;
  }

  async departments(orgId: string): Promise<DepartmentRef[]> {
    const rows = await this.ds.query<{ id: string; parent_id: string | null; name: string }[]>(
      `SELECT id, parent_id, name FROM org_departments WHERE org_id = $1 ORDER BY lower(name), id`,
      [orgId],
    );
    return rows.map((r) => ({ id: r.id, parentId: r.parent_id, name: r.name }));
  }

  async members(orgId: string): Promise<OrgMemberRef[]> {
    const rows = await this.ds.query<{ user_id: string; department_id: string | null }[]>(
      `SELECT user_id, department_id FROM org_members WHERE org_id = $1`,
      [orgId],
    );
    return rows.map((r) => ({ userId: r.user_id, departmentId: r.department_id }));
  }
}
