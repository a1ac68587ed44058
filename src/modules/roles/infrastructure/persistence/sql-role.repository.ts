import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import {
  isPermission,
  type Permission,
  type PermissionScope,
} from '../../../../common/authz/permissions.js';
import { Errors } from '../../../../common/errors/domain-error.js';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import { scopeIdOf, type Role, type RoleAssignment, type ScopeType } from '../../domain/role.js';
import {
  RoleRepository,
  type ApplyingAssignment,
  type NewRole,
  type RoleListKey,
  type RolePatch,
} from '../../domain/role.repository.js';
import { RoleErrorCodes } from '../../domain/role-errors.js';

interface RoleRow {
  id: string;
  name: string;
  description: string;
  built_in: boolean;
  permissions: string[];
  created_at: Date;
  updated_at: Date;
}

interface AssignmentRow {
  id: string;
  user_id: string;
  role_id: string;
  role_name: string;
  scope_type: ScopeType;
  scope_id: string | null;
  created_by: string | null;
  created_at: Date;
}

const ROLE_COLS = `id, name, description, built_in, permissions, created_at, updated_at`;
const NIL_UUID = `'00000000-0000-0000-0000-000000000000'::uuid`;

// Names a catalogue no longer has (a permission dropped from the code) are ignored, not fatal.
const toRole = (r: RoleRow): Role => ({
  id: r.id,
  name: r.name,
  description: r.description,
  builtIn: r.built_in,
  permissions: r.permissions.filter(isPermission),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toScope = (type: ScopeType, id: string | null): PermissionScope =>
  type === 'global' ? { type } : { type, id: id! };

const toAssignment = (r: AssignmentRow): RoleAssignment => ({
  id: r.id,
  userId: r.user_id,
  roleId: r.role_id,
  roleName: r.role_name,
  scope: toScope(r.scope_type, r.scope_id),
  createdBy: r.created_by,
  createdAt: r.created_at,
});

function mapNameConflict(err: unknown): never {
  if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === '23505')
    throw Errors.conflict(RoleErrorCodes.nameTaken, 'a role with this name already exists');
  throw err;
}

/**
 * The assignments of user $1 that apply in the scope ($2 type, $3 id): global ones, ones in
 * the scope itself, and for a room its organisation's (rooms.org_id).
 */
const APPLYING = `
  a.user_id = $1
  AND (a.scope_type = 'global'
       OR (a.scope_type = $2 AND a.scope_id = $3::uuid)
       OR ($2 = 'room' AND a.scope_type = 'org'
           AND a.scope_id = (SELECT rm.org_id FROM rooms rm WHERE rm.id = $3::uuid)))`;

@Injectable()
export class SqlRoleRepository extends RoleRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async list(
    limit: number,
    after: RoleListKey | null,
  ): Promise<{ items: Role[]; next: RoleListKey | null }> {
    const params: unknown[] = [limit + 1];
    let where = '';
    if (after) {
      params.push(after[0] === 1, after[1]);
      where = `WHERE (NOT built_in, lower(name) COLLATE "C") > ($2::boolean, $3::text COLLATE "C")`;
    }
    // Byte order ("C"): the same on every server, whatever its locale.
    const rows = await this.ds.query<RoleRow[]>(
      `SELECT ${ROLE_COLS} FROM roles ${where} ORDER BY NOT built_in, lower(name) COLLATE "C" LIMIT $1`,
      params,
    );
    const items = rows.slice(0, limit).map(toRole);
    const last = items[items.length - 1];
    const next: RoleListKey | null =
      rows.length > limit && last ? [last.builtIn ? 0 : 1, last.name.toLowerCase()] : null;
    return { items, next };
  }

  async findById(id: string): Promise<Role | null> {
    const rows = await this.ds.query<RoleRow[]>(`SELECT ${ROLE_COLS} FROM roles WHERE id = $1`, [
      id,
    ]);
    return rows[0] ? toRole(rows[0]) : null;
  }

  async create(role: NewRole): Promise<Role> {
    try {
      const [row] = await this.ds.query<RoleRow[]>(
        `INSERT INTO roles (name, description, permissions) VALUES ($1, $2, $3) RETURNING ${ROLE_COLS}`,
        [role.name, role.description, role.permissions],
      );
      return toRole(row);
    } catch (err) {
      mapNameConflict(err);
    }
  }

  async update(id: string, patch: RolePatch): Promise<Role | null> {
    try {
      const result: unknown = await this.ds.query(
        `UPDATE roles SET
           name = coalesce($2, name),
           description = coalesce($3, description),
           permissions = coalesce($4::text[], permissions),
           updated_at = now()
         WHERE id = $1 AND NOT built_in
         RETURNING ${ROLE_COLS}`,
        [id, patch.name ?? null, patch.description ?? null, patch.permissions ?? null],
      );
      const [row] = rowsOf<RoleRow>(result);
      return row ? toRole(row) : null;
    } catch (err) {
      mapNameConflict(err);
    }
  }

  async delete(id: string): Promise<boolean> {
    // The assignments go with it (ON DELETE CASCADE).
    const result: unknown = await this.ds.query(
      `DELETE FROM roles WHERE id = $1 AND NOT built_in RETURNING id`,
      [id],
    );
    return rowsOf(result).length > 0;
  }

  async assign(a: {
    userId: string;
    roleId: string;
    scope: PermissionScope;
    createdBy: string | null;
  }): Promise<{ assignment: RoleAssignment; created: boolean }> {
    const scopeId = scopeIdOf(a.scope);
    const inserted = await this.ds.query<AssignmentRow[]>(
      `WITH ins AS (
         INSERT INTO role_assignments (user_id, role_id, scope_type, scope_id, created_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id, role_id, scope_type, (coalesce(scope_id, ${NIL_UUID}))) DO NOTHING
         RETURNING *)
       SELECT ins.*, r.name AS role_name FROM ins JOIN roles r ON r.id = ins.role_id`,
      [a.userId, a.roleId, a.scope.type, scopeId, a.createdBy],
    );
    if (inserted[0]) return { assignment: toAssignment(inserted[0]), created: true };
    const existing = await this.ds.query<AssignmentRow[]>(
      `SELECT a.*, r.name AS role_name FROM role_assignments a JOIN roles r ON r.id = a.role_id
        WHERE a.user_id = $1 AND a.role_id = $2 AND a.scope_type = $3
          AND coalesce(a.scope_id, ${NIL_UUID}) = coalesce($4::uuid, ${NIL_UUID})`,
      [a.userId, a.roleId, a.scope.type, scopeId],
    );
    // Revoked between the two statements: assign again.
    if (!existing[0]) return this.assign(a);
    return { assignment: toAssignment(existing[0]), created: false };
  }

  async revoke(userId: string, roleId: string, scope: PermissionScope): Promise<boolean> {
    const result: unknown = await this.ds.query(
      `DELETE FROM role_assignments
        WHERE user_id = $1 AND role_id = $2 AND scope_type = $3
          AND coalesce(scope_id, ${NIL_UUID}) = coalesce($4::uuid, ${NIL_UUID})
        RETURNING id`,
      [userId, roleId, scope.type, scopeIdOf(scope)],
    );
    return rowsOf(result).length > 0;
  }

  async check(
    userId: string,
    permission: Permission,
    scope: PermissionScope,
  ): Promise<{ username: string | null; granted: boolean }> {
    const rows = await this.ds.query<{ username: string; granted: boolean }[]>(
      `SELECT u.username, EXISTS (
         SELECT 1 FROM role_assignments a JOIN roles r ON r.id = a.role_id
          WHERE ${APPLYING} AND $4 = ANY (r.permissions)) AS granted
         FROM users u WHERE u.id = $1`,
      [userId, scope.type, scopeIdOf(scope), permission],
    );
    return rows[0] ?? { username: null, granted: false };
  }

  async applying(userId: string, scope: PermissionScope): Promise<ApplyingAssignment[]> {
    const rows = await this.ds.query<
      (AssignmentRow & { built_in: boolean; permissions: string[] })[]
    >(
      `SELECT a.*, r.name AS role_name, r.built_in, r.permissions
         FROM role_assignments a JOIN roles r ON r.id = a.role_id
        WHERE ${APPLYING}
        ORDER BY array_position(ARRAY['global', 'org', 'room'], a.scope_type), NOT r.built_in,
                 lower(r.name)`,
      [userId, scope.type, scopeIdOf(scope)],
    );
    return rows.map((r) => ({
      ...toAssignment(r),
      builtIn: r.built_in,
      permissions: r.permissions.filter(isPermission),
    }));
  }

  async orgExists(id: string): Promise<boolean | null> {
    // Read only through to_regclass: the organisations module owns that table and may be off.
    const [{ t }] = await this.ds.query<{ t: string | null }[]>(
      `SELECT to_regclass('public.organizations')::text AS t`,
    );
    if (t === null) return null;
    const rows = await this.ds.query<unknown[]>(`SELECT 1 FROM organizations WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  async findUser(id: string): Promise<{ id: string; username: string } | null> {
    const rows = await this.ds.query<{ id: string; username: string }[]>(
      `SELECT id, username FROM users WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async findUserByUsername(username: string): Promise<{ id: string; username: string } | null> {
    const rows = await this.ds.query<{ id: string; username: string }[]>(
      `SELECT id, username FROM users WHERE lower(username) = lower($1)`,
      [username],
    );
    return rows[0] ?? null;
  }
}
