import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { Errors } from '../../../../common/errors/domain-error.js';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import type { Room } from '../../../rooms/domain/room.js';
import { assertNoCycle } from '../../domain/department-tree.js';
import type {
  Department,
  Organization,
  OrgMember,
  OrgRole,
  Position,
} from '../../domain/organization.js';
import {
  OrganizationRepository,
  type KeysetPage,
  type MemberFilter,
  type MemberWrite,
  type OrgStructure,
  type PositionCount,
} from '../../domain/organization.repository.js';
import { OrgErrorCodes } from '../../domain/organization-errors.js';

interface OrgRow {
  id: string;
  name: string;
  created_by: string;
  created_at: Date;
  member_count: number;
}

interface MemberRow {
  org_id: string;
  user_id: string;
  username: string;
  role: OrgRole;
  department_id: string | null;
  position_id: string | null;
  joined_at: Date;
}

interface DepartmentRow {
  id: string;
  org_id: string;
  parent_id: string | null;
  name: string;
  created_at: Date;
}

interface PositionRow {
  id: string;
  org_id: string;
  name: string;
  rank: number;
  created_at: Date;
}

interface RoomRow {
  id: string;
  name: string;
  description: string;
  owner_id: string;
  is_private: boolean;
  password_hash: string | null;
  org_id: string | null;
  member_count: number;
  last_seq: string;
  last_event_seq: string;
  retention_days: number | null;
  created_at: Date;
  updated_at: Date;
}

/** A keyset position as text with microseconds, the way decodeTimeIdCursor reads it back. */
const cursorTs = (col: string) =>
  `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts`;

const ORG_COLS = `o.id, o.name, o.created_by, o.created_at,
  (SELECT count(*)::int FROM org_members c WHERE c.org_id = o.id) AS member_count`;
const MEMBER_COLS = `m.org_id, m.user_id, u.username, m.role, m.department_id, m.position_id, m.joined_at`;
const DEPARTMENT_COLS = `id, org_id, parent_id, name, created_at`;
const POSITION_COLS = `id, org_id, name, rank, created_at`;
const ROOM_COLS = `r.id, r.name, r.description, r.owner_id, r.is_private, r.password_hash, r.org_id,
  r.member_count, r.last_seq, r.last_event_seq, r.retention_days, r.created_at, r.updated_at`;

const toOrg = (r: OrgRow): Organization => ({
  id: r.id,
  name: r.name,
  createdBy: r.created_by,
  createdAt: r.created_at,
  memberCount: Number(r.member_count),
});

const toMember = (r: MemberRow): OrgMember => ({
  orgId: r.org_id,
  userId: r.user_id,
  username: r.username,
  role: r.role,
  departmentId: r.department_id,
  positionId: r.position_id,
  joinedAt: r.joined_at,
});

const toDepartment = (r: DepartmentRow): Department => ({
  id: r.id,
  orgId: r.org_id,
  parentId: r.parent_id,
  name: r.name,
  createdAt: r.created_at,
});

const toPosition = (r: PositionRow): Position => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  rank: Number(r.rank),
  createdAt: r.created_at,
});

// An organisation's rooms are rooms: a direct room never belongs to one.
const toRoom = (r: RoomRow): Room => ({
  id: r.id,
  kind: 'room',
  name: r.name,
  description: r.description,
  ownerId: r.owner_id,
  isPrivate: r.is_private,
  passwordHash: r.password_hash,
  orgId: r.org_id,
  memberCount: Number(r.member_count),
  lastSeq: Number(r.last_seq),
  lastEventSeq: Number(r.last_event_seq),
  retentionDays: r.retention_days,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Unique-index violations, by index, as the conflict the API answers. */
const NAME_CONFLICTS: Record<string, [string, string]> = {
  organizations_name_lower_uq: [
    OrgErrorCodes.nameTaken,
    'an organisation with this name already exists',
  ],
  org_departments_sibling_name_uq: [
    OrgErrorCodes.departmentNameTaken,
    'a department with this name already exists at this place in the tree',
  ],
  org_positions_name_lower_uq: [
    OrgErrorCodes.positionNameTaken,
    'a position with this name already exists in this organisation',
  ],
};

function mapConflict(err: unknown): never {
  if (err instanceof QueryFailedError) {
    const d = err.driverError as { code?: string; constraint?: string };
    const hit = d.code === '23505' && d.constraint ? NAME_CONFLICTS[d.constraint] : undefined;
    if (hit) throw Errors.conflict(hit[0], hit[1]);
  }
  throw err;
}

const departmentNotFound = () =>
  Errors.notFound(OrgErrorCodes.departmentNotFound, 'department not found');
const positionNotFound = () =>
  Errors.notFound(OrgErrorCodes.positionNotFound, 'position not found');

function page<R extends { cursor_ts: string }, T>(
  rows: R[],
  limit: number,
  map: (r: R) => T,
  key: (r: R) => string,
): KeysetPage<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    next: rows.length > limit && last ? [last.cursor_ts, key(last)] : null,
  };
}

@Injectable()
export class SqlOrganizationRepository extends OrganizationRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  /**
   * Runs `fn` in a transaction holding the organisation's row lock: structure and member
   * changes of one organisation take turns (they are rare), so each sees the tree and the owner
   * count as they are. NO KEY UPDATE leaves rooms' and members' key-share locks alone.
   */
  private async locked<T>(orgId: string, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.ds.transaction(async (m) => {
        const rows = await m.query<unknown[]>(
          `SELECT 1 FROM organizations WHERE id = $1 FOR NO KEY UPDATE`,
          [orgId],
        );
        if (rows.length === 0)
          throw Errors.notFound(OrgErrorCodes.notFound, 'organisation not found');
        return fn(m);
      });
    } catch (err) {
      mapConflict(err);
    }
  }

  async create(name: string, createdBy: string): Promise<Organization> {
    try {
      return await this.ds.transaction(async (m) => {
        const [row] = await m.query<OrgRow[]>(
          `INSERT INTO organizations (name, created_by) VALUES ($1, $2)
           RETURNING id, name, created_by, created_at, 1 AS member_count`,
          [name, createdBy],
        );
        await m.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')`, [
          row.id,
          createdBy,
        ]);
        return toOrg(row);
      });
    } catch (err) {
      mapConflict(err);
    }
  }

  async findWithRole(
    orgId: string,
    userId: string,
  ): Promise<{ org: Organization; role: OrgRole | null } | null> {
    const rows = await this.ds.query<(OrgRow & { role: OrgRole | null })[]>(
      `SELECT ${ORG_COLS}, m.role
         FROM organizations o
         LEFT JOIN org_members m ON m.org_id = o.id AND m.user_id = $2
        WHERE o.id = $1`,
      [orgId, userId],
    );
    return rows[0] ? { org: toOrg(rows[0]), role: rows[0].role } : null;
  }

  async roleOf(orgId: string, userId: string): Promise<OrgRole | null> {
    const rows = await this.ds.query<{ role: OrgRole }[]>(
      `SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2`,
      [orgId, userId],
    );
    return rows[0]?.role ?? null;
  }

  async listForUser(
    userId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<{ org: Organization; role: OrgRole }>> {
    const params: unknown[] = [userId, limit + 1];
    let where = `mine.user_id = $1`;
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (o.created_at, o.id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows = await this.ds.query<(OrgRow & { role: OrgRole; cursor_ts: string })[]>(
      `SELECT ${ORG_COLS}, mine.role, ${cursorTs('o.created_at')}
         FROM org_members mine JOIN organizations o ON o.id = mine.org_id
        WHERE ${where}
        ORDER BY o.created_at DESC, o.id DESC LIMIT $2`,
      params,
    );
    return page(
      rows,
      limit,
      (r) => ({ org: toOrg(r), role: r.role }),
      (r) => r.id,
    );
  }

  async createDepartment(
    orgId: string,
    input: { name: string; parentId: string | null },
  ): Promise<Department> {
    return this.locked(orgId, async (m) => {
      if (input.parentId !== null && !(await this.departmentIn(m, orgId, input.parentId)))
        throw Errors.notFound(OrgErrorCodes.departmentNotFound, 'parent department not found');
      const [row] = await m.query<DepartmentRow[]>(
        `INSERT INTO org_departments (org_id, parent_id, name) VALUES ($1, $2, $3)
         RETURNING ${DEPARTMENT_COLS}`,
        [orgId, input.parentId, input.name],
      );
      return toDepartment(row);
    });
  }

  async updateDepartment(
    orgId: string,
    departmentId: string,
    patch: { name?: string; parentId?: string | null },
  ): Promise<Department> {
    return this.locked(orgId, async (m) => {
      const dept = await this.departmentIn(m, orgId, departmentId);
      if (!dept) throw departmentNotFound();
      const moves = patch.parentId !== undefined && patch.parentId !== dept.parentId;
      if (moves && patch.parentId) {
        // The new parent and its ancestors: enough for the cycle rule, which walks upwards.
        // UNION (not ALL) ends the walk even on a loop in the data.
        const chain = await m.query<{ id: string; parent_id: string | null }[]>(
          `WITH RECURSIVE up (id, parent_id) AS (
             SELECT id, parent_id FROM org_departments WHERE org_id = $1 AND id = $2
             UNION
             SELECT d.id, d.parent_id FROM org_departments d JOIN up ON d.id = up.parent_id
           ) SELECT id, parent_id FROM up`,
          [orgId, patch.parentId],
        );
        if (chain.length === 0)
          throw Errors.notFound(OrgErrorCodes.departmentNotFound, 'parent department not found');
        assertNoCycle(departmentId, patch.parentId, new Map(chain.map((r) => [r.id, r.parent_id])));
      }
      const rows = rowsOf<DepartmentRow>(
        await m.query(
          `UPDATE org_departments
              SET name = COALESCE($3, name),
                  parent_id = CASE WHEN $4::boolean THEN $5::uuid ELSE parent_id END
            WHERE org_id = $1 AND id = $2
            RETURNING ${DEPARTMENT_COLS}`,
          [orgId, departmentId, patch.name ?? null, moves, moves ? patch.parentId : null],
        ),
      );
      return toDepartment(rows[0]);
    });
  }

  async deleteDepartment(orgId: string, departmentId: string): Promise<void> {
    await this.locked(orgId, async (m) => {
      if (!(await this.departmentIn(m, orgId, departmentId))) throw departmentNotFound();
      const children = await m.query<unknown[]>(
        `SELECT 1 FROM org_departments WHERE org_id = $1 AND parent_id = $2 LIMIT 1`,
        [orgId, departmentId],
      );
      if (children.length > 0)
        throw Errors.conflict(
          OrgErrorCodes.departmentNotEmpty,
          'the department has sub-departments: move or delete them first',
        );
      // Its members' department_id becomes null (ON DELETE SET NULL (department_id)).
      await m.query(`DELETE FROM org_departments WHERE org_id = $1 AND id = $2`, [
        orgId,
        departmentId,
      ]);
    });
  }

  async findDepartment(orgId: string, departmentId: string): Promise<Department | null> {
    return this.departmentIn(this.ds.manager, orgId, departmentId);
  }

  async createPosition(orgId: string, input: { name: string; rank: number }): Promise<Position> {
    try {
      const [row] = await this.ds.query<PositionRow[]>(
        `INSERT INTO org_positions (org_id, name, rank) VALUES ($1, $2, $3) RETURNING ${POSITION_COLS}`,
        [orgId, input.name, input.rank],
      );
      return toPosition(row);
    } catch (err) {
      mapConflict(err);
    }
  }

  async updatePosition(
    orgId: string,
    positionId: string,
    patch: { name?: string; rank?: number },
  ): Promise<Position> {
    let rows: PositionRow[];
    try {
      rows = rowsOf<PositionRow>(
        await this.ds.query(
          `UPDATE org_positions SET name = COALESCE($3, name), rank = COALESCE($4, rank)
            WHERE org_id = $1 AND id = $2 RETURNING ${POSITION_COLS}`,
          [orgId, positionId, patch.name ?? null, patch.rank ?? null],
        ),
      );
    } catch (err) {
      mapConflict(err);
    }
    if (!rows[0]) throw positionNotFound();
    return toPosition(rows[0]);
  }

  async deletePosition(orgId: string, positionId: string): Promise<void> {
    // Its holders' position_id becomes null (ON DELETE SET NULL (position_id)).
    const rows = rowsOf<{ id: string }>(
      await this.ds.query(`DELETE FROM org_positions WHERE org_id = $1 AND id = $2 RETURNING id`, [
        orgId,
        positionId,
      ]),
    );
    if (rows.length === 0) throw positionNotFound();
  }

  async structure(orgId: string): Promise<OrgStructure> {
    // One snapshot for the three reads, so the counts add up.
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const departments = await m.query<
        { id: string; name: string; parent_id: string | null; member_count: number }[]
      >(
        `SELECT d.id, d.name, d.parent_id,
                (SELECT count(*)::int FROM org_members x
                  WHERE x.org_id = d.org_id AND x.department_id = d.id) AS member_count
           FROM org_departments d WHERE d.org_id = $1
          ORDER BY lower(d.name), d.id`,
        [orgId],
      );
      const positions = await m.query<PositionCount[]>(
        `SELECT p.id, p.name, p.rank,
                (SELECT count(*)::int FROM org_members x
                  WHERE x.org_id = p.org_id AND x.position_id = p.id) AS "memberCount"
           FROM org_positions p WHERE p.org_id = $1
          ORDER BY p.rank, lower(p.name), p.id`,
        [orgId],
      );
      const [{ n }] = await m.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM org_members WHERE org_id = $1 AND department_id IS NULL`,
        [orgId],
      );
      return {
        departments: departments.map((d) => ({
          id: d.id,
          name: d.name,
          parentId: d.parent_id,
          memberCount: Number(d.member_count),
        })),
        positions: positions.map((p) => ({
          ...p,
          rank: Number(p.rank),
          memberCount: Number(p.memberCount),
        })),
        unassignedMemberCount: Number(n),
      };
    });
  }

  async writeMember(
    orgId: string,
    userId: string,
    decide: (current: OrgMember | null, owners: number) => MemberWrite,
  ): Promise<{ member: OrgMember; created: boolean }> {
    return this.locked(orgId, async (m) => {
      const users = await m.query<unknown[]>(`SELECT 1 FROM users WHERE id = $1`, [userId]);
      if (users.length === 0) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
      const current = await this.memberIn(m, orgId, userId);
      const next = decide(current, await this.ownerCount(m, orgId));
      if (
        next.departmentId !== null &&
        next.departmentId !== current?.departmentId &&
        !(await this.departmentIn(m, orgId, next.departmentId))
      )
        throw departmentNotFound();
      if (next.positionId !== null && next.positionId !== current?.positionId) {
        const found = await m.query<unknown[]>(
          `SELECT 1 FROM org_positions WHERE org_id = $1 AND id = $2`,
          [orgId, next.positionId],
        );
        if (found.length === 0) throw positionNotFound();
      }
      await m.query(
        `INSERT INTO org_members (org_id, user_id, role, department_id, position_id)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, user_id) DO UPDATE
           SET role = EXCLUDED.role, department_id = EXCLUDED.department_id,
               position_id = EXCLUDED.position_id`,
        [orgId, userId, next.role, next.departmentId, next.positionId],
      );
      const member = await this.memberIn(m, orgId, userId);
      return { member: member!, created: current === null };
    });
  }

  async removeMember(
    orgId: string,
    userId: string,
    check: (current: OrgMember, owners: number) => void,
  ): Promise<boolean> {
    return this.locked(orgId, async (m) => {
      const current = await this.memberIn(m, orgId, userId);
      if (!current) return false;
      check(current, await this.ownerCount(m, orgId));
      await m.query(`DELETE FROM org_members WHERE org_id = $1 AND user_id = $2`, [orgId, userId]);
      return true;
    });
  }

  async listMembers(
    orgId: string,
    filter: MemberFilter,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<OrgMember>> {
    const params: unknown[] = [orgId, limit + 1];
    let where = `m.org_id = $1`;
    let withClause = '';
    if (filter.departmentId !== undefined) {
      params.push(filter.departmentId);
      const dept = `$${params.length}::uuid`;
      if (filter.recursive) {
        // The department and everything under it (UNION: a loop in the data cannot spin).
        withClause = `WITH RECURSIVE sub (id) AS (
            SELECT id FROM org_departments WHERE org_id = $1 AND id = ${dept}
            UNION
            SELECT d.id FROM org_departments d JOIN sub ON d.parent_id = sub.id
          ) `;
        where += ` AND m.department_id IN (SELECT id FROM sub)`;
      } else where += ` AND m.department_id = ${dept}`;
    }
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (m.joined_at, m.user_id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    const rows = await this.ds.query<(MemberRow & { cursor_ts: string })[]>(
      `${withClause}SELECT ${MEMBER_COLS}, ${cursorTs('m.joined_at')}
         FROM org_members m JOIN users u ON u.id = m.user_id
        WHERE ${where}
        ORDER BY m.joined_at, m.user_id LIMIT $2`,
      params,
    );
    return page(rows, limit, toMember, (r) => r.user_id);
  }

  async listRooms(
    orgId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<KeysetPage<Room>> {
    const params: unknown[] = [orgId, limit + 1];
    let where = `r.org_id = $1`;
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (r.created_at, r.id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows = await this.ds.query<(RoomRow & { cursor_ts: string })[]>(
      `SELECT ${ROOM_COLS}, ${cursorTs('r.created_at')}
         FROM rooms r WHERE ${where}
        ORDER BY r.created_at DESC, r.id DESC LIMIT $2`,
      params,
    );
    return page(rows, limit, toRoom, (r) => r.id);
  }

  async roomIdsWithMember(orgId: string, userId: string): Promise<string[]> {
    const rows = await this.ds.query<{ id: string }[]>(
      `SELECT r.id FROM rooms r
         JOIN room_members rm ON rm.room_id = r.id AND rm.user_id = $2
        WHERE r.org_id = $1 ORDER BY r.created_at, r.id`,
      [orgId, userId],
    );
    return rows.map((r) => r.id);
  }

  async seniorOwner(orgId: string, exceptUserId: string): Promise<string | null> {
    const rows = await this.ds.query<{ user_id: string }[]>(
      `SELECT user_id FROM org_members WHERE org_id = $1 AND role = 'owner' AND user_id <> $2
        ORDER BY joined_at, user_id LIMIT 1`,
      [orgId, exceptUserId],
    );
    return rows[0]?.user_id ?? null;
  }

  private async departmentIn(
    m: EntityManager,
    orgId: string,
    departmentId: string,
  ): Promise<Department | null> {
    const rows = await m.query<DepartmentRow[]>(
      `SELECT ${DEPARTMENT_COLS} FROM org_departments WHERE org_id = $1 AND id = $2`,
      [orgId, departmentId],
    );
    return rows[0] ? toDepartment(rows[0]) : null;
  }

  private async memberIn(
    m: EntityManager,
    orgId: string,
    userId: string,
  ): Promise<OrgMember | null> {
    const rows = await m.query<MemberRow[]>(
      `SELECT ${MEMBER_COLS} FROM org_members m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = $1 AND m.user_id = $2`,
      [orgId, userId],
    );
    return rows[0] ? toMember(rows[0]) : null;
  }

  private async ownerCount(m: EntityManager, orgId: string): Promise<number> {
    const [{ n }] = await m.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM org_members WHERE org_id = $1 AND role = 'owner'`,
      [orgId],
    );
    return Number(n);
  }
}
