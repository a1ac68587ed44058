// The organizations module (FEATURE_ORGANIZATIONS) end to end: the whole app over real HTTP and
// WebSocket clients on a real PostgreSQL, with the module on (every endpoint, its permission
// failures, bad input, unknown ids, org rooms) and off (paths 404, tables absent).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { coreMigrations } from '../../../migrations/index.js';
import { organizationsMigrations } from '../../../migrations/organizations/index.js';
import { buildDataSourceOptions } from '../../../src/infrastructure/database/data-source-options.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createScratchDatabase, undoThrough } from '../../support/db.js';
import { coreEnv, enterpriseEnv, tablesIn, withDatabase } from '../../support/flags.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  uniqueName,
  type HttpResult,
  type TestUser,
} from '../../support/http.js';
import { connectWithTicket, type WsTestClient } from '../../support/ws-client.js';

const ORG_TABLES = ['org_departments', 'org_members', 'org_positions', 'organizations'];
const ORG_KEYS = ['createdAt', 'createdBy', 'id', 'memberCount', 'myRole', 'name'];
const DEPT_KEYS = ['createdAt', 'id', 'name', 'orgId', 'parentId'];
const POS_KEYS = ['createdAt', 'id', 'name', 'orgId', 'rank'];
const MEMBER_KEYS = ['departmentId', 'joinedAt', 'positionId', 'role', 'userId', 'username'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

describe('organizations module on (FEATURE_ORGANIZATIONS=true)', () => {
  let t: TestApp;
  const db = () => process.env.ENTERPRISE_DATABASE_URL!;
  const adminName = uniqueName('orgadm');
  let admin: TestUser; // named in ADMIN_USERNAMES: holds org.manage everywhere
  let owner: TestUser;
  let orgAdmin: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  const sockets: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp(
      enterpriseEnv(['FEATURE_ORGANIZATIONS'], {
        ADMIN_USERNAMES: adminName,
        RATE_LIMIT_HTTP_PER_MIN: '1000000',
      }),
    );
    [admin, owner, orgAdmin, member, outsider] = await Promise.all([
      registerUser(t.baseUrl, { username: adminName }),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
      registerUser(t.baseUrl),
    ]);
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await t.close();
  });

  const req = (user: TestUser | null, method: string, path: string, body?: unknown) =>
    http(t.baseUrl, method, path, { token: user?.accessToken, body });
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    withDatabase(db(), async (c) => (await c.query(text, params)).rows as T[]);

  /** An organisation owned by `by`, with orgAdmin as admin and member as member. */
  async function newOrg(
    by: TestUser = owner,
    withStaff = true,
  ): Promise<{ id: string; name: string }> {
    const res = await req(by, 'POST', '/api/orgs', { name: uniqueName('Org') });
    expect(res.status).toBe(201);
    if (withStaff) {
      expect((await putMember(by, res.body.id, orgAdmin, { role: 'admin' })).status).toBe(201);
      expect((await putMember(by, res.body.id, member, {})).status).toBe(201);
    }
    return res.body;
  }
  const putMember = (by: TestUser, orgId: string, who: TestUser | string, body: unknown) =>
    req(by, 'PUT', `/api/orgs/${orgId}/members/${typeof who === 'string' ? who : who.id}`, body);
  const delMember = (by: TestUser, orgId: string, who: TestUser | string) =>
    req(by, 'DELETE', `/api/orgs/${orgId}/members/${typeof who === 'string' ? who : who.id}`);
  async function newDept(orgId: string, name: string, parentId?: string | null): Promise<string> {
    const res = await req(owner, 'POST', `/api/orgs/${orgId}/departments`, {
      name,
      ...(parentId === undefined ? {} : { parentId }),
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }
  async function newPos(orgId: string, name: string, rank?: number): Promise<string> {
    const res = await req(owner, 'POST', `/api/orgs/${orgId}/positions`, {
      name,
      ...(rank === undefined ? {} : { rank }),
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }
  async function allPages(path: string, user: TestUser, limit: number): Promise<unknown[][]> {
    const pages: unknown[][] = [];
    let cursor: string | null = null;
    const sep = path.includes('?') ? '&' : '?';
    for (let i = 0; i < 50; i++) {
      const res: HttpResult = await req(
        user,
        'GET',
        `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      pages.push(res.body.items);
      cursor = res.body.nextCursor;
      if (cursor === null) return pages;
    }
    throw new Error('pagination did not end');
  }

  describe('POST /api/orgs', () => {
    it('201: the creator is its owner and only member', async () => {
      const name = uniqueName('Acme');
      const res = await req(owner, 'POST', '/api/orgs', { name: `  ${name}  ` });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(ORG_KEYS);
      expect(res.body).toMatchObject({
        name,
        createdBy: owner.id,
        memberCount: 1,
        myRole: 'owner',
      });
      expect(res.body.id).toMatch(UUID_RE);
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
      const rows = await sql(`SELECT user_id, role FROM org_members WHERE org_id = $1`, [
        res.body.id,
      ]);
      expect(rows).toEqual([{ user_id: owner.id, role: 'owner' }]);
    });

    it('409 ORG_NAME_TAKEN for a taken name in any letter case', async () => {
      const org = await newOrg(owner, false);
      for (const name of [org.name, org.name.toUpperCase(), ` ${org.name.toLowerCase()} `])
        expectError(await req(member, 'POST', '/api/orgs', { name }), 409, 'ORG_NAME_TAKEN');
    });

    it.each([
      ['missing', {}],
      ['empty', { name: '' }],
      ['blank', { name: '    ' }],
      ['over 100 characters', { name: 'o'.repeat(101) }],
      ['not a string', { name: 42 }],
      ['null', { name: null }],
      ['holding NUL', { name: 'a\u0000b' }],
    ])('400 naming name when it is %s; nothing is created', async (_what, body) => {
      const before = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM organizations`);
      const res = await req(owner, 'POST', '/api/orgs', body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('name');
      const after = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM organizations`);
      expect(after[0].n).toBe(before[0].n);
    });

    it('400 for an unknown field', async () => {
      const res = await req(owner, 'POST', '/api/orgs', {
        name: uniqueName('X'),
        createdBy: outsider.id,
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('createdBy');
    });

    it('401 without a token', async () => {
      expectError(await req(null, 'POST', '/api/orgs', { name: uniqueName('X') }), 401);
    });
  });

  describe('GET /api/orgs (mine)', () => {
    it("lists the caller's organisations only, newest first, with their role, page by page", async () => {
      const u = await registerUser(t.baseUrl);
      const a = (await req(u, 'POST', '/api/orgs', { name: uniqueName('Mine') })).body;
      const b = await newOrg(owner, false);
      expect((await putMember(owner, b.id, u, { role: 'admin' })).status).toBe(201);
      const c = (await req(u, 'POST', '/api/orgs', { name: uniqueName('Mine') })).body;
      await newOrg(owner, false); // not u's

      const pages = await allPages('/api/orgs', u, 2);
      expect(pages.map((p) => p.length)).toEqual([2, 1]);
      const items = pages.flat() as { id: string; myRole: string }[];
      expect(items.map((o) => [o.id, o.myRole])).toEqual([
        [c.id, 'owner'],
        [b.id, 'admin'],
        [a.id, 'owner'],
      ]);
      for (const o of items) expect(Object.keys(o).sort()).toEqual(ORG_KEYS);
    });

    it('an empty list for a user in no organisation', async () => {
      const u = await registerUser(t.baseUrl);
      expect((await req(u, 'GET', '/api/orgs')).body).toEqual({ items: [], nextCursor: null });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
    ])('400 for %s', async (query, field) => {
      const res = await req(owner, 'GET', `/api/orgs?${query}`);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
    });

    it('401 without a token', async () => {
      expectError(await req(null, 'GET', '/api/orgs'), 401);
    });
  });

  describe('GET /api/orgs/:id', () => {
    it('200 for members, with their role and the member count', async () => {
      const org = await newOrg();
      const res = await req(member, 'GET', `/api/orgs/${org.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: org.id,
        name: org.name,
        memberCount: 3,
        myRole: 'member',
      });
      expect((await req(orgAdmin, 'GET', `/api/orgs/${org.id}`)).body.myRole).toBe('admin');
    });

    it('200 for an org.manage holder who is not a member (myRole null)', async () => {
      const org = await newOrg();
      const res = await req(admin, 'GET', `/api/orgs/${org.id}`);
      expect(res.status).toBe(200);
      expect(res.body.myRole).toBeNull();
    });

    it('404 ORG_NOT_FOUND for a non-member, the same as for an unknown id', async () => {
      const org = await newOrg();
      const hidden = await req(outsider, 'GET', `/api/orgs/${org.id}`);
      const unknown = await req(outsider, 'GET', `/api/orgs/${randomUUID()}`);
      expectError(hidden, 404, 'ORG_NOT_FOUND');
      expectError(unknown, 404, 'ORG_NOT_FOUND');
      expect(hidden.body.message).toBe(unknown.body.message);
    });

    it('400 for a malformed id, 401 without a token', async () => {
      const res = await req(owner, 'GET', '/api/orgs/not-a-uuid');
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('id');
      expectError(await req(null, 'GET', `/api/orgs/${randomUUID()}`), 401);
    });
  });

  describe('departments', () => {
    it('POST 201 at the top level and under a parent; owner, admin and org.manage holders may', async () => {
      const org = await newOrg();
      const top = await req(owner, 'POST', `/api/orgs/${org.id}/departments`, { name: ' Eng ' });
      expect(top.status).toBe(201);
      expect(Object.keys(top.body).sort()).toEqual(DEPT_KEYS);
      expect(top.body).toMatchObject({ orgId: org.id, name: 'Eng', parentId: null });
      const child = await req(orgAdmin, 'POST', `/api/orgs/${org.id}/departments`, {
        name: 'Backend',
        parentId: top.body.id,
      });
      expect(child.status).toBe(201);
      expect(child.body.parentId).toBe(top.body.id);
      const byGlobalAdmin = await req(admin, 'POST', `/api/orgs/${org.id}/departments`, {
        name: 'Ops',
        parentId: null,
      });
      expect(byGlobalAdmin.status).toBe(201);
      expect(byGlobalAdmin.body.parentId).toBeNull();
    });

    it('403 PERMISSION_DENIED for a plain member, 404 for a non-member or an unknown org; nothing created', async () => {
      const org = await newOrg();
      expectError(
        await req(member, 'POST', `/api/orgs/${org.id}/departments`, { name: 'X' }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(
        await req(outsider, 'POST', `/api/orgs/${org.id}/departments`, { name: 'X' }),
        404,
        'ORG_NOT_FOUND',
      );
      expectError(
        await req(owner, 'POST', `/api/orgs/${randomUUID()}/departments`, { name: 'X' }),
        404,
        'ORG_NOT_FOUND',
      );
      expect(await sql(`SELECT 1 FROM org_departments WHERE org_id = $1`, [org.id])).toEqual([]);
      expectError(await req(null, 'POST', `/api/orgs/${org.id}/departments`, { name: 'X' }), 401);
    });

    it('404 DEPARTMENT_NOT_FOUND for an unknown parent or a parent in another organisation', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const foreign = await newDept(other.id, 'Foreign');
      for (const parentId of [randomUUID(), foreign])
        expectError(
          await req(owner, 'POST', `/api/orgs/${org.id}/departments`, { name: 'X', parentId }),
          404,
          'DEPARTMENT_NOT_FOUND',
        );
      expect(await sql(`SELECT 1 FROM org_departments WHERE org_id = $1`, [org.id])).toEqual([]);
    });

    it('409 DEPARTMENT_NAME_TAKEN for a sibling of the same name (any case); other places are fine', async () => {
      const org = await newOrg();
      const eng = await newDept(org.id, 'Eng');
      await newDept(org.id, 'Team', eng);
      expectError(
        await req(owner, 'POST', `/api/orgs/${org.id}/departments`, { name: 'ENG' }),
        409,
        'DEPARTMENT_NAME_TAKEN',
      );
      expectError(
        await req(owner, 'POST', `/api/orgs/${org.id}/departments`, {
          name: 'team',
          parentId: eng,
        }),
        409,
        'DEPARTMENT_NAME_TAKEN',
      );
      await newDept(org.id, 'Team'); // top level: no sibling named Team
      await newDept((await newOrg()).id, 'Eng'); // another organisation
    });

    it.each([
      ['name', { name: '' }],
      ['name', { name: '   ' }],
      ['name', { name: 'd'.repeat(101) }],
      ['name', { name: 5 }],
      ['name', {}],
      ['parentId', { name: 'X', parentId: 'nope' }],
      ['parentId', { name: 'X', parentId: 12 }],
      ['extra', { name: 'X', extra: 1 }],
    ])('POST 400 naming %s', async (field, body) => {
      const org = await newOrg(owner, false);
      const res = await req(owner, 'POST', `/api/orgs/${org.id}/departments`, body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
      expect(await sql(`SELECT 1 FROM org_departments WHERE org_id = $1`, [org.id])).toEqual([]);
    });

    it('PATCH renames and moves (under another parent, back to the top)', async () => {
      const org = await newOrg();
      const a = await newDept(org.id, 'A');
      const b = await newDept(org.id, 'B');
      const renamed = await req(orgAdmin, 'PATCH', `/api/orgs/${org.id}/departments/${a}`, {
        name: ' A2 ',
      });
      expect(renamed.status).toBe(200);
      expect(Object.keys(renamed.body).sort()).toEqual(DEPT_KEYS);
      expect(renamed.body).toMatchObject({ id: a, name: 'A2', parentId: null });
      const moved = await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${a}`, {
        parentId: b,
      });
      expect(moved.body).toMatchObject({ id: a, name: 'A2', parentId: b });
      const both = await req(admin, 'PATCH', `/api/orgs/${org.id}/departments/${a}`, {
        name: 'A3',
        parentId: null,
      });
      expect(both.body).toMatchObject({ id: a, name: 'A3', parentId: null });
      const same = await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${a}`, {});
      expect(same.body).toMatchObject({ id: a, name: 'A3', parentId: null });
    });

    it('PATCH 409 DEPARTMENT_CYCLE for a move under itself or any descendant; nothing changes', async () => {
      const org = await newOrg();
      const root = await newDept(org.id, 'Root');
      const a = await newDept(org.id, 'A', root);
      const a1 = await newDept(org.id, 'A1', a);
      const a11 = await newDept(org.id, 'A11', a1);
      for (const [dept, parent] of [
        [a, a],
        [a, a1],
        [a, a11],
        [root, a11],
      ])
        expectError(
          await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${dept}`, {
            parentId: parent,
            name: 'Renamed',
          }),
          409,
          'DEPARTMENT_CYCLE',
        );
      const rows = await sql<{ id: string; parent_id: string | null; name: string }>(
        `SELECT id, parent_id, name FROM org_departments WHERE org_id = $1 ORDER BY name`,
        [org.id],
      );
      expect(rows).toEqual([
        { id: a, parent_id: root, name: 'A' },
        { id: a1, parent_id: a, name: 'A1' },
        { id: a11, parent_id: a1, name: 'A11' },
        { id: root, parent_id: null, name: 'Root' },
      ]);
      // Moving a leaf up, and a subtree next to its former parent, are fine.
      expect(
        (await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${a11}`, { parentId: root }))
          .status,
      ).toBe(200);
    });

    it('concurrent crossing moves (A under B, B under A) never make a loop: one wins, the other is 409', async () => {
      const org = await newOrg();
      for (let round = 0; round < 5; round++) {
        const a = await newDept(org.id, `A${round}`);
        const b = await newDept(org.id, `B${round}`);
        const results = await Promise.all([
          req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${a}`, { parentId: b }),
          req(orgAdmin, 'PATCH', `/api/orgs/${org.id}/departments/${b}`, { parentId: a }),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        const rows = await sql<{ id: string; parent_id: string | null }>(
          `SELECT id, parent_id FROM org_departments WHERE id = ANY($1)`,
          [[a, b]],
        );
        expect(rows.filter((r) => r.parent_id === null)).toHaveLength(1);
      }
    });

    it('PATCH 409 DEPARTMENT_NAME_TAKEN when the move or rename meets a sibling of that name', async () => {
      const org = await newOrg();
      const x = await newDept(org.id, 'X');
      const y = await newDept(org.id, 'Y');
      const underX = await newDept(org.id, 'Y', x);
      expectError(
        await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${underX}`, { parentId: null }),
        409,
        'DEPARTMENT_NAME_TAKEN',
      );
      expectError(
        await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${x}`, { name: 'y' }),
        409,
        'DEPARTMENT_NAME_TAKEN',
      );
      expect(
        (await sql(`SELECT parent_id FROM org_departments WHERE id = $1`, [underX]))[0],
      ).toEqual({ parent_id: x });
      expect(y).toMatch(UUID_RE);
    });

    it('PATCH 404 for an unknown department, a department or parent of another organisation', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const mine = await newDept(org.id, 'Mine');
      const foreign = await newDept(other.id, 'Foreign');
      expectError(
        await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${randomUUID()}`, { name: 'Z' }),
        404,
        'DEPARTMENT_NOT_FOUND',
      );
      expectError(
        await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${foreign}`, { name: 'Z' }),
        404,
        'DEPARTMENT_NOT_FOUND',
      );
      expectError(
        await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/${mine}`, { parentId: foreign }),
        404,
        'DEPARTMENT_NOT_FOUND',
      );
      expect((await sql(`SELECT name FROM org_departments WHERE id = $1`, [foreign]))[0]).toEqual({
        name: 'Foreign',
      });
    });

    it('PATCH 403 for a plain member, 404 for a non-member, 400 for bad input, 401 without token', async () => {
      const org = await newOrg();
      const d = await newDept(org.id, 'D');
      const path = `/api/orgs/${org.id}/departments/${d}`;
      expectError(await req(member, 'PATCH', path, { name: 'Z' }), 403, 'PERMISSION_DENIED');
      expectError(await req(outsider, 'PATCH', path, { name: 'Z' }), 404, 'ORG_NOT_FOUND');
      for (const body of [{ name: '' }, { name: null }, { parentId: 'x' }, { orgId: randomUUID() }])
        expectError(await req(owner, 'PATCH', path, body), 400, 'VALIDATION_FAILED');
      expectError(
        await req(owner, 'PATCH', `/api/orgs/${org.id}/departments/nope`, { name: 'Z' }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await req(null, 'PATCH', path, { name: 'Z' }), 401);
      expect((await sql(`SELECT name FROM org_departments WHERE id = $1`, [d]))[0]).toEqual({
        name: 'D',
      });
    });

    it('DELETE refuses a department with sub-departments (409 DEPARTMENT_NOT_EMPTY); a leaf goes and its members keep no department', async () => {
      const org = await newOrg();
      const parent = await newDept(org.id, 'Parent');
      const leaf = await newDept(org.id, 'Leaf', parent);
      expect((await putMember(owner, org.id, member, { departmentId: leaf })).status).toBe(200);
      expectError(
        await req(owner, 'DELETE', `/api/orgs/${org.id}/departments/${parent}`),
        409,
        'DEPARTMENT_NOT_EMPTY',
      );
      const del = await req(orgAdmin, 'DELETE', `/api/orgs/${org.id}/departments/${leaf}`);
      expect(del.status).toBe(204);
      expect(
        (
          await sql(`SELECT department_id FROM org_members WHERE org_id = $1 AND user_id = $2`, [
            org.id,
            member.id,
          ])
        )[0],
      ).toEqual({ department_id: null });
      expectError(
        await req(owner, 'DELETE', `/api/orgs/${org.id}/departments/${leaf}`),
        404,
        'DEPARTMENT_NOT_FOUND',
      );
      expect((await req(owner, 'DELETE', `/api/orgs/${org.id}/departments/${parent}`)).status).toBe(
        204,
      );
    });

    it("DELETE 403 for a plain member, 404 for a non-member, another org's department, or unknown; 400 malformed", async () => {
      const org = await newOrg();
      const other = await newOrg();
      const d = await newDept(org.id, 'D');
      const foreign = await newDept(other.id, 'F');
      expectError(
        await req(member, 'DELETE', `/api/orgs/${org.id}/departments/${d}`),
        403,
        'PERMISSION_DENIED',
      );
      expectError(
        await req(outsider, 'DELETE', `/api/orgs/${org.id}/departments/${d}`),
        404,
        'ORG_NOT_FOUND',
      );
      expectError(
        await req(owner, 'DELETE', `/api/orgs/${org.id}/departments/${foreign}`),
        404,
        'DEPARTMENT_NOT_FOUND',
      );
      expectError(
        await req(owner, 'DELETE', `/api/orgs/${org.id}/departments/${randomUUID()}`),
        404,
        'DEPARTMENT_NOT_FOUND',
      );
      expectError(
        await req(owner, 'DELETE', `/api/orgs/${org.id}/departments/xyz`),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await req(null, 'DELETE', `/api/orgs/${org.id}/departments/${d}`), 401);
      expect(
        await sql(`SELECT id FROM org_departments WHERE id = ANY($1)`, [[d, foreign]]),
      ).toHaveLength(2);
    });
  });

  describe('positions', () => {
    it('POST 201 (rank defaults to 0), PATCH renames and re-ranks, DELETE leaves holders without a position', async () => {
      const org = await newOrg();
      const created = await req(orgAdmin, 'POST', `/api/orgs/${org.id}/positions`, {
        name: ' Engineer ',
      });
      expect(created.status).toBe(201);
      expect(Object.keys(created.body).sort()).toEqual(POS_KEYS);
      expect(created.body).toMatchObject({ orgId: org.id, name: 'Engineer', rank: 0 });
      const lead = await req(admin, 'POST', `/api/orgs/${org.id}/positions`, {
        name: 'Lead',
        rank: 10000,
      });
      expect(lead.body.rank).toBe(10000);

      const patched = await req(
        owner,
        'PATCH',
        `/api/orgs/${org.id}/positions/${created.body.id}`,
        {
          name: 'Senior engineer',
          rank: 5,
        },
      );
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id: created.body.id, name: 'Senior engineer', rank: 5 });
      const rankOnly = await req(
        owner,
        'PATCH',
        `/api/orgs/${org.id}/positions/${created.body.id}`,
        {
          rank: 0,
        },
      );
      expect(rankOnly.body).toMatchObject({ name: 'Senior engineer', rank: 0 });

      expect(
        (await putMember(owner, org.id, member, { positionId: created.body.id })).body.positionId,
      ).toBe(created.body.id);
      const del = await req(owner, 'DELETE', `/api/orgs/${org.id}/positions/${created.body.id}`);
      expect(del.status).toBe(204);
      const m = await sql(
        `SELECT position_id FROM org_members WHERE org_id = $1 AND user_id = $2`,
        [org.id, member.id],
      );
      expect(m).toEqual([{ position_id: null }]);
      expectError(
        await req(owner, 'DELETE', `/api/orgs/${org.id}/positions/${created.body.id}`),
        404,
        'POSITION_NOT_FOUND',
      );
    });

    it('409 POSITION_NAME_TAKEN for a duplicate name in the organisation (any case), on create and rename', async () => {
      const org = await newOrg();
      await newPos(org.id, 'Manager');
      const other = await newPos(org.id, 'Clerk');
      expectError(
        await req(owner, 'POST', `/api/orgs/${org.id}/positions`, { name: 'MANAGER' }),
        409,
        'POSITION_NAME_TAKEN',
      );
      expectError(
        await req(owner, 'PATCH', `/api/orgs/${org.id}/positions/${other}`, { name: 'manager' }),
        409,
        'POSITION_NAME_TAKEN',
      );
      await newPos((await newOrg()).id, 'Manager');
    });

    it.each([
      ['name', {}],
      ['name', { name: '' }],
      ['name', { name: 'p'.repeat(101) }],
      ['rank', { name: 'P', rank: -1 }],
      ['rank', { name: 'P', rank: 10001 }],
      ['rank', { name: 'P', rank: 1.5 }],
      ['rank', { name: 'P', rank: '3' }],
      ['rank', { name: 'P', rank: null }],
      ['extra', { name: 'P', extra: true }],
    ])('POST 400 naming %s; nothing is created', async (field, body) => {
      const org = await newOrg(owner, false);
      const res = await req(owner, 'POST', `/api/orgs/${org.id}/positions`, body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
      expect(await sql(`SELECT 1 FROM org_positions WHERE org_id = $1`, [org.id])).toEqual([]);
    });

    it('PATCH 400 for bad input; nothing changes', async () => {
      const org = await newOrg(owner, false);
      const p = await newPos(org.id, 'P', 3);
      for (const body of [
        { rank: 10001 },
        { rank: 'x' },
        { name: '' },
        { name: null },
        { id: randomUUID() },
      ])
        expectError(
          await req(owner, 'PATCH', `/api/orgs/${org.id}/positions/${p}`, body),
          400,
          'VALIDATION_FAILED',
        );
      expect(await sql(`SELECT name, rank FROM org_positions WHERE id = $1`, [p])).toEqual([
        { name: 'P', rank: 3 },
      ]);
    });

    it('403 for a plain member, 404 for a non-member, unknown or foreign positions, 400 malformed ids, 401', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const p = await newPos(org.id, 'P');
      const foreign = await newPos(other.id, 'F');
      const base = `/api/orgs/${org.id}/positions`;
      expectError(await req(member, 'POST', base, { name: 'Q' }), 403, 'PERMISSION_DENIED');
      expectError(
        await req(member, 'PATCH', `${base}/${p}`, { rank: 1 }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(await req(member, 'DELETE', `${base}/${p}`), 403, 'PERMISSION_DENIED');
      expectError(await req(outsider, 'POST', base, { name: 'Q' }), 404, 'ORG_NOT_FOUND');
      expectError(await req(outsider, 'PATCH', `${base}/${p}`, { rank: 1 }), 404, 'ORG_NOT_FOUND');
      expectError(await req(outsider, 'DELETE', `${base}/${p}`), 404, 'ORG_NOT_FOUND');
      for (const id of [foreign, randomUUID()]) {
        expectError(
          await req(owner, 'PATCH', `${base}/${id}`, { rank: 1 }),
          404,
          'POSITION_NOT_FOUND',
        );
        expectError(await req(owner, 'DELETE', `${base}/${id}`), 404, 'POSITION_NOT_FOUND');
      }
      expectError(await req(owner, 'PATCH', `${base}/bad`, { rank: 1 }), 400, 'VALIDATION_FAILED');
      expectError(await req(owner, 'DELETE', `${base}/bad`), 400, 'VALIDATION_FAILED');
      expectError(await req(null, 'POST', base, { name: 'Q' }), 401);
      expectError(await req(null, 'PATCH', `${base}/${p}`, { rank: 1 }), 401);
      expectError(await req(null, 'DELETE', `${base}/${p}`), 401);
      expect(
        await sql(`SELECT name, rank FROM org_positions WHERE id = ANY($1) ORDER BY name`, [
          [p, foreign],
        ]),
      ).toEqual([
        { name: 'F', rank: 0 },
        { name: 'P', rank: 0 },
      ]);
    });
  });

  describe('PUT /api/orgs/:id/members/:userId', () => {
    it('201 adds a user (member by default), 200 updates; department and position are kept unless given, null clears', async () => {
      const org = await newOrg(owner, false);
      const u = await registerUser(t.baseUrl);
      const d = await newDept(org.id, 'D');
      const p = await newPos(org.id, 'P');
      const added = await putMember(owner, org.id, u, {});
      expect(added.status).toBe(201);
      expect(Object.keys(added.body).sort()).toEqual(MEMBER_KEYS);
      expect(added.body).toMatchObject({
        userId: u.id,
        username: u.username,
        role: 'member',
        departmentId: null,
        positionId: null,
      });
      const placed = await putMember(owner, org.id, u, { departmentId: d, positionId: p });
      expect(placed.status).toBe(200);
      expect(placed.body).toMatchObject({ role: 'member', departmentId: d, positionId: p });
      expect(placed.body.joinedAt).toBe(added.body.joinedAt);
      const promoted = await putMember(owner, org.id, u, { role: 'admin' });
      expect(promoted.body).toMatchObject({ role: 'admin', departmentId: d, positionId: p });
      const cleared = await putMember(owner, org.id, u, { departmentId: null });
      expect(cleared.body).toMatchObject({ role: 'admin', departmentId: null, positionId: p });
    });

    it('admins and org.manage holders add members and admins; a plain member gets 403, a non-member 404', async () => {
      const org = await newOrg();
      const [u1, u2, u3] = await Promise.all([
        registerUser(t.baseUrl),
        registerUser(t.baseUrl),
        registerUser(t.baseUrl),
      ]);
      expect((await putMember(orgAdmin, org.id, u1, { role: 'admin' })).status).toBe(201);
      expect((await putMember(admin, org.id, u2, {})).status).toBe(201);
      expectError(await putMember(member, org.id, u3, {}), 403, 'PERMISSION_DENIED');
      expectError(await putMember(outsider, org.id, u3, {}), 404, 'ORG_NOT_FOUND');
      expectError(
        await putMember(member, org.id, member, { role: 'admin' }),
        403,
        'PERMISSION_DENIED',
      );
      const rows = await sql(
        `SELECT user_id FROM org_members WHERE org_id = $1 AND user_id = ANY($2)`,
        [org.id, [u3.id]],
      );
      expect(rows).toEqual([]);
      expect(
        (
          await sql(`SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2`, [
            org.id,
            member.id,
          ])
        )[0],
      ).toEqual({ role: 'member' });
    });

    it('only an owner grants or revokes the owner role; the last owner cannot be demoted (409 ORG_LAST_OWNER)', async () => {
      const org = await newOrg();
      expectError(
        await putMember(orgAdmin, org.id, member, { role: 'owner' }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(
        await putMember(admin, org.id, member, { role: 'owner' }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(
        await putMember(orgAdmin, org.id, owner, { role: 'admin' }),
        403,
        'PERMISSION_DENIED',
      );
      expectError(await putMember(owner, org.id, owner, { role: 'admin' }), 409, 'ORG_LAST_OWNER');
      expect((await putMember(owner, org.id, member, { role: 'owner' })).body.role).toBe('owner');
      // Two owners now: either may step down, but the second to try is the last.
      expect((await putMember(member, org.id, owner, { role: 'member' })).body.role).toBe('member');
      expectError(
        await putMember(member, org.id, member, { role: 'admin' }),
        409,
        'ORG_LAST_OWNER',
      );
      expect((await putMember(member, org.id, owner, { role: 'owner' })).body.role).toBe('owner');
      // An admin may still place an owner in a department (their role unchanged).
      const d = await newDept(org.id, 'Board');
      expect((await putMember(orgAdmin, org.id, owner, { departmentId: d })).body).toMatchObject({
        role: 'owner',
        departmentId: d,
      });
    });

    it('two owners stepping down at once leave exactly one owner (one 200, one 409 ORG_LAST_OWNER)', async () => {
      for (let round = 0; round < 5; round++) {
        const org = await newOrg();
        expect((await putMember(owner, org.id, orgAdmin, { role: 'owner' })).status).toBe(200);
        const results = await Promise.all([
          putMember(owner, org.id, owner, { role: 'admin' }),
          delMember(orgAdmin, org.id, orgAdmin),
        ]);
        const statuses = results.map((r) => r.status);
        expect(statuses.filter((x) => x === 200 || x === 204)).toHaveLength(1);
        expect(statuses.filter((x) => x === 409)).toHaveLength(1);
        const refused = results.find((r) => r.status === 409)!;
        expectError(refused, 409, 'ORG_LAST_OWNER');
        const owners = await sql(
          `SELECT user_id FROM org_members WHERE org_id = $1 AND role = 'owner'`,
          [org.id],
        );
        expect(owners).toHaveLength(1);
      }
    });

    it('404 USER_NOT_FOUND for an unknown user; 404 for a department or position of another organisation; nothing changes', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const foreignDept = await newDept(other.id, 'FD');
      const foreignPos = await newPos(other.id, 'FP');
      expectError(await putMember(owner, org.id, randomUUID(), {}), 404, 'USER_NOT_FOUND');
      expectError(
        await putMember(owner, org.id, member, { departmentId: foreignDept }),
        404,
        'DEPARTMENT_NOT_FOUND',
      );
      expectError(
        await putMember(owner, org.id, member, { departmentId: randomUUID() }),
        404,
        'DEPARTMENT_NOT_FOUND',
      );
      expectError(
        await putMember(owner, org.id, member, { positionId: foreignPos }),
        404,
        'POSITION_NOT_FOUND',
      );
      const u = await registerUser(t.baseUrl);
      expectError(
        await putMember(owner, org.id, u, { positionId: randomUUID() }),
        404,
        'POSITION_NOT_FOUND',
      );
      expect(
        await sql(`SELECT 1 FROM org_members WHERE org_id = $1 AND user_id = $2`, [org.id, u.id]),
      ).toEqual([]);
      expect(
        await sql(
          `SELECT department_id, position_id FROM org_members WHERE org_id = $1 AND user_id = $2`,
          [org.id, member.id],
        ),
      ).toEqual([{ department_id: null, position_id: null }]);
      expectError(await putMember(owner, randomUUID(), member, {}), 404, 'ORG_NOT_FOUND');
    });

    it.each([
      ['role', { role: 'boss' }],
      ['role', { role: null }],
      ['departmentId', { departmentId: 'x' }],
      ['positionId', { positionId: 7 }],
      ['extra', { extra: 1 }],
    ])('400 naming %s; nothing changes', async (field, body) => {
      const org = await newOrg();
      const res = await putMember(owner, org.id, member, body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain(field);
      expect(
        await sql(`SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2`, [
          org.id,
          member.id,
        ]),
      ).toEqual([{ role: 'member' }]);
    });

    it('400 for a malformed user id, 401 without a token', async () => {
      const org = await newOrg();
      const res = await req(owner, 'PUT', `/api/orgs/${org.id}/members/not-a-user`, {});
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toContain('userId');
      expectError(await req(null, 'PUT', `/api/orgs/${org.id}/members/${member.id}`, {}), 401);
    });
  });

  describe('DELETE /api/orgs/:id/members/:userId', () => {
    it('admins remove members and admins; org.manage holders too; a member may leave', async () => {
      const org = await newOrg();
      const [u1, u2, u3] = await Promise.all([
        registerUser(t.baseUrl),
        registerUser(t.baseUrl),
        registerUser(t.baseUrl),
      ]);
      for (const u of [u1, u2, u3])
        expect((await putMember(owner, org.id, u, { role: 'admin' })).status).toBe(201);
      expect((await delMember(orgAdmin, org.id, u1)).status).toBe(204);
      expect((await delMember(admin, org.id, u2)).status).toBe(204);
      expect((await delMember(u3, org.id, u3)).status).toBe(204);
      expect((await delMember(member, org.id, member)).status).toBe(204);
      const left = await sql<{ user_id: string }>(
        `SELECT user_id FROM org_members WHERE org_id = $1 ORDER BY joined_at`,
        [org.id],
      );
      expect(left.map((r) => r.user_id)).toEqual([owner.id, orgAdmin.id]);
      // Gone means gone: the organisation is hidden from them again.
      expectError(await req(member, 'GET', `/api/orgs/${org.id}`), 404, 'ORG_NOT_FOUND');
    });

    it('a plain member may not remove others (403); an admin may not remove an owner (403); nothing changes', async () => {
      const org = await newOrg();
      expectError(await delMember(member, org.id, orgAdmin), 403, 'PERMISSION_DENIED');
      expectError(await delMember(orgAdmin, org.id, owner), 403, 'PERMISSION_DENIED');
      expectError(await delMember(admin, org.id, owner), 403, 'PERMISSION_DENIED');
      expect(
        await sql(`SELECT count(*)::int AS n FROM org_members WHERE org_id = $1`, [org.id]),
      ).toEqual([{ n: 3 }]);
    });

    it('the last owner can neither leave nor be removed (409 ORG_LAST_OWNER); with a second owner they can', async () => {
      const org = await newOrg();
      expectError(await delMember(owner, org.id, owner), 409, 'ORG_LAST_OWNER');
      expect((await putMember(owner, org.id, orgAdmin, { role: 'owner' })).status).toBe(200);
      expect((await delMember(orgAdmin, org.id, owner)).status).toBe(204);
      expectError(await delMember(orgAdmin, org.id, orgAdmin), 409, 'ORG_LAST_OWNER');
    });

    it('404 NOT_ORG_MEMBER for a user not in it, 404 ORG_NOT_FOUND for a non-member caller, 400 malformed, 401', async () => {
      const org = await newOrg();
      expectError(await delMember(owner, org.id, outsider), 404, 'NOT_ORG_MEMBER');
      expectError(await delMember(owner, org.id, randomUUID()), 404, 'NOT_ORG_MEMBER');
      expectError(await delMember(outsider, org.id, member), 404, 'ORG_NOT_FOUND');
      expectError(await delMember(outsider, org.id, outsider), 404, 'ORG_NOT_FOUND');
      expectError(
        await req(owner, 'DELETE', `/api/orgs/${org.id}/members/zzz`),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await req(null, 'DELETE', `/api/orgs/${org.id}/members/${member.id}`), 401);
      expect(
        await sql(`SELECT count(*)::int AS n FROM org_members WHERE org_id = $1`, [org.id]),
      ).toEqual([{ n: 3 }]);
    });
  });

  describe('GET /api/orgs/:id/members', () => {
    it('lists members in joining order, page by page, for any member', async () => {
      const org = await newOrg();
      const extra = await Promise.all([registerUser(t.baseUrl), registerUser(t.baseUrl)]);
      for (const u of extra) expect((await putMember(owner, org.id, u, {})).status).toBe(201);
      const pages = await allPages(`/api/orgs/${org.id}/members`, member, 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      const items = pages.flat() as Record<string, unknown>[];
      for (const i of items) expect(Object.keys(i).sort()).toEqual(MEMBER_KEYS);
      expect(items.map((i) => [i.userId, i.role])).toEqual([
        [owner.id, 'owner'],
        [orgAdmin.id, 'admin'],
        [member.id, 'member'],
        [extra[0].id, 'member'],
        [extra[1].id, 'member'],
      ]);
      expect(items[0].username).toBe(owner.username);
    });

    it('filters by department, directly or with every sub-department (recursive=true)', async () => {
      const org = await newOrg();
      const eng = await newDept(org.id, 'Eng');
      const backend = await newDept(org.id, 'Backend', eng);
      const db = await newDept(org.id, 'DB', backend);
      const sales = await newDept(org.id, 'Sales');
      const [u1, u2] = await Promise.all([registerUser(t.baseUrl), registerUser(t.baseUrl)]);
      await putMember(owner, org.id, orgAdmin, { departmentId: eng });
      await putMember(owner, org.id, member, { departmentId: backend });
      await putMember(owner, org.id, u1, { departmentId: db });
      await putMember(owner, org.id, u2, { departmentId: sales });
      const ids = async (query: string) => {
        const res = await req(member, 'GET', `/api/orgs/${org.id}/members?${query}`);
        expect(res.status).toBe(200);
        return (res.body.items as { userId: string }[]).map((i) => i.userId);
      };
      expect(await ids(`departmentId=${eng}`)).toEqual([orgAdmin.id]);
      expect(await ids(`departmentId=${eng}&recursive=false`)).toEqual([orgAdmin.id]);
      expect(await ids(`departmentId=${eng}&recursive=true`)).toEqual([
        orgAdmin.id,
        member.id,
        u1.id,
      ]);
      expect(await ids(`departmentId=${backend}&recursive=true`)).toEqual([member.id, u1.id]);
      expect(await ids(`departmentId=${sales}&recursive=true`)).toEqual([u2.id]);
      const pages = await allPages(
        `/api/orgs/${org.id}/members?departmentId=${eng}&recursive=true`,
        member,
        1,
      );
      expect(pages.flat().map((i) => (i as { userId: string }).userId)).toEqual([
        orgAdmin.id,
        member.id,
        u1.id,
      ]);
    });

    it('404 DEPARTMENT_NOT_FOUND for an unknown or foreign department; 404 for non-members; 400 for bad queries; 401', async () => {
      const org = await newOrg();
      const foreign = await newDept((await newOrg()).id, 'F');
      for (const d of [foreign, randomUUID()])
        expectError(
          await req(member, 'GET', `/api/orgs/${org.id}/members?departmentId=${d}`),
          404,
          'DEPARTMENT_NOT_FOUND',
        );
      expectError(await req(outsider, 'GET', `/api/orgs/${org.id}/members`), 404, 'ORG_NOT_FOUND');
      for (const [q, field] of [
        ['departmentId=abc', 'departmentId'],
        ['recursive=yes', 'recursive'],
        ['limit=0', 'limit'],
        ['cursor=%%%', 'cursor'],
      ]) {
        const res = await req(member, 'GET', `/api/orgs/${org.id}/members?${q}`);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toContain(field);
      }
      expectError(await req(null, 'GET', `/api/orgs/${org.id}/members`), 401);
      expect((await req(admin, 'GET', `/api/orgs/${org.id}/members`)).status).toBe(200);
    });
  });

  describe('GET /api/orgs/:id/tree', () => {
    it('nests departments with direct and subtree member counts, positions by rank with holders, and the unassigned count', async () => {
      const org = await newOrg();
      const eng = await newDept(org.id, 'Eng');
      const backend = await newDept(org.id, 'Backend', eng);
      const frontend = await newDept(org.id, 'Frontend', eng);
      const db = await newDept(org.id, 'DB', backend);
      const sales = await newDept(org.id, 'Sales');
      const cto = await newPos(org.id, 'CTO', 1);
      const dev = await newPos(org.id, 'Developer', 100);
      const intern = await newPos(org.id, 'Intern', 1000);
      const [u1, u2] = await Promise.all([registerUser(t.baseUrl), registerUser(t.baseUrl)]);
      await putMember(owner, org.id, orgAdmin, { departmentId: eng, positionId: cto });
      await putMember(owner, org.id, member, { departmentId: backend, positionId: dev });
      await putMember(owner, org.id, u1, { departmentId: db, positionId: dev });
      await putMember(owner, org.id, u2, {}); // unassigned, like the owner

      const res = await req(member, 'GET', `/api/orgs/${org.id}/tree`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual([
        'departments',
        'org',
        'positions',
        'unassignedMemberCount',
      ]);
      expect(res.body.org).toMatchObject({ id: org.id, memberCount: 5, myRole: 'member' });
      expect(res.body.unassignedMemberCount).toBe(2);
      expect(res.body.positions).toEqual([
        { id: cto, name: 'CTO', rank: 1, memberCount: 1 },
        { id: dev, name: 'Developer', rank: 100, memberCount: 2 },
        { id: intern, name: 'Intern', rank: 1000, memberCount: 0 },
      ]);
      const node = (
        id: string,
        name: string,
        parentId: string | null,
        direct: number,
        total: number,
        children: unknown[] = [],
      ) => ({
        id,
        name,
        parentId,
        memberCount: direct,
        totalMemberCount: total,
        children,
      });
      expect(res.body.departments).toEqual([
        node(eng, 'Eng', null, 1, 3, [
          node(backend, 'Backend', eng, 1, 2, [node(db, 'DB', backend, 1, 1)]),
          node(frontend, 'Frontend', eng, 0, 0),
        ]),
        node(sales, 'Sales', null, 0, 0),
      ]);
    });

    it('an empty organisation has no departments or positions, everyone unassigned', async () => {
      const org = await newOrg(owner, false);
      const res = await req(owner, 'GET', `/api/orgs/${org.id}/tree`);
      expect(res.body).toMatchObject({ departments: [], positions: [], unassignedMemberCount: 1 });
    });

    it('404 for a non-member or unknown org, 200 for org.manage holders, 400 malformed, 401', async () => {
      const org = await newOrg();
      expectError(await req(outsider, 'GET', `/api/orgs/${org.id}/tree`), 404, 'ORG_NOT_FOUND');
      expectError(await req(owner, 'GET', `/api/orgs/${randomUUID()}/tree`), 404, 'ORG_NOT_FOUND');
      expect((await req(admin, 'GET', `/api/orgs/${org.id}/tree`)).status).toBe(200);
      expectError(await req(owner, 'GET', `/api/orgs/1/tree`), 400, 'VALIDATION_FAILED');
      expectError(await req(null, 'GET', `/api/orgs/${org.id}/tree`), 401);
    });
  });

  describe('org rooms', () => {
    const createOrgRoom = (by: TestUser, orgId: string, extra: Record<string, unknown> = {}) =>
      req(by, 'POST', '/api/rooms', {
        name: uniqueName('orgroom'),
        isPrivate: false,
        orgId,
        ...extra,
      });

    it('members create rooms in their organisation; others get 404 ORG_NOT_FOUND and nothing is created', async () => {
      const org = await newOrg();
      const res = await createOrgRoom(member, org.id);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ orgId: org.id, ownerId: member.id });
      const name = uniqueName('nope');
      for (const [who, orgId] of [
        [outsider, org.id],
        [admin, org.id], // org.manage is not membership
        [owner, randomUUID()],
      ] as const)
        expectError(
          await req(who, 'POST', '/api/rooms', { name, isPrivate: false, orgId }),
          404,
          'ORG_NOT_FOUND',
        );
      expect(await sql(`SELECT 1 FROM rooms WHERE name = $1`, [name])).toEqual([]);
      expectError(
        await req(owner, 'POST', '/api/rooms', { name, isPrivate: false, orgId: 'x' }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('only org members see and join an org room (others: 404, as if absent); it is not in their room list', async () => {
      const org = await newOrg();
      const room = (await createOrgRoom(owner, org.id)).body;
      expectError(await req(outsider, 'GET', `/api/rooms/${room.id}`), 404, 'ROOM_NOT_FOUND');
      expectError(await joinRoom(t.baseUrl, outsider, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(await joinRoom(t.baseUrl, admin, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(
        await req(outsider, 'GET', `/api/rooms/${room.id}/messages`),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await sendMessage(t.baseUrl, outsider, room.id, { content: 'hi' }),
        404,
        'ROOM_NOT_FOUND',
      );
      const listed = await req(outsider, 'GET', `/api/rooms?q=${encodeURIComponent(room.name)}`);
      expect(listed.body.items).toEqual([]);

      expect((await req(member, 'GET', `/api/rooms/${room.id}`)).status).toBe(200);
      expect((await joinRoom(t.baseUrl, member, room.id)).status).toBe(200);
      expect((await sendMessage(t.baseUrl, member, room.id, { content: 'hello org' })).status).toBe(
        201,
      );
      const history = await req(member, 'GET', `/api/rooms/${room.id}/messages`);
      expect(history.body.items.map((m: { content: string }) => m.content)).toEqual(['hello org']);
    });

    it('a private org room still needs its password from org members', async () => {
      const org = await newOrg();
      const room = (await createOrgRoom(owner, org.id, { isPrivate: true, password: 'sesame42' }))
        .body;
      expectError(await joinRoom(t.baseUrl, member, room.id), 403, 'ROOM_PASSWORD_INVALID');
      expect((await joinRoom(t.baseUrl, member, room.id, 'sesame42')).status).toBe(200);
      expectError(await joinRoom(t.baseUrl, outsider, room.id, 'sesame42'), 404, 'ROOM_NOT_FOUND');
    });

    it("GET /api/orgs/:id/rooms lists the organisation's rooms, newest first, page by page; 404 for non-members", async () => {
      const org = await newOrg();
      const r1 = (await createOrgRoom(owner, org.id)).body;
      const r2 = (await createOrgRoom(member, org.id)).body;
      const r3 = (await createOrgRoom(orgAdmin, org.id, { isPrivate: true, password: 'sesame42' }))
        .body;
      await createRoom(t.baseUrl, owner); // not an org room
      await createOrgRoom(owner, (await newOrg()).id); // another organisation's
      const pages = await allPages(`/api/orgs/${org.id}/rooms`, member, 2);
      expect(pages.map((p) => p.length)).toEqual([2, 1]);
      const items = pages.flat() as { id: string; orgId: string }[];
      expect(items.map((r) => r.id)).toEqual([r3.id, r2.id, r1.id]);
      expect(items[0]).toEqual(r3);
      expectError(await req(outsider, 'GET', `/api/orgs/${org.id}/rooms`), 404, 'ORG_NOT_FOUND');
      expectError(
        await req(member, 'GET', `/api/orgs/${org.id}/rooms?limit=500`),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await req(member, 'GET', `/api/orgs/${org.id}/rooms?cursor=bad`),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await req(null, 'GET', `/api/orgs/${org.id}/rooms`), 401);
    });

    it('a removed member is dropped from every org room at once: unsubscribed (kicked), no more messages, reads, sends or joins', async () => {
      const org = await newOrg();
      const room = (await createOrgRoom(owner, org.id)).body;
      const room2 = (await createOrgRoom(orgAdmin, org.id)).body;
      const plain = await createRoom(t.baseUrl, owner); // not an org room: untouched
      for (const r of [room.id, room2.id, plain.id])
        expect((await joinRoom(t.baseUrl, member, r)).status).toBe(200);
      const ws = await connectWithTicket(t, member);
      sockets.push(ws);
      const ownerWs = await connectWithTicket(t, owner);
      sockets.push(ownerWs);
      await ws.subscribe(room.id);
      await ws.subscribe(plain.id);
      await ownerWs.subscribe(room.id);

      expect((await delMember(orgAdmin, org.id, member)).status).toBe(204);
      const unsub = await ws.waitFor(
        (f) => f.event === 'room.unsubscribed' && f.data.roomId === room.id,
        5000,
      );
      expect(unsub.data).toEqual({ roomId: room.id, reason: 'kicked' });
      await ownerWs.waitFor(
        (f) =>
          f.event === 'member.left' && f.data.userId === member.id && f.data.roomId === room.id,
        5000,
      );
      expect(
        await sql(`SELECT room_id FROM room_members WHERE user_id = $1 AND room_id = ANY($2)`, [
          member.id,
          [room.id, room2.id, plain.id],
        ]),
      ).toEqual([{ room_id: plain.id }]);

      expect(
        (await sendMessage(t.baseUrl, owner, room.id, { content: 'after removal' })).status,
      ).toBe(201);
      await ownerWs.waitForMessages(room.id, 1);
      await ws.roundTrip();
      expect(ws.messages(room.id)).toEqual([]);
      expectError(
        await req(member, 'GET', `/api/rooms/${room.id}/messages`),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await sendMessage(t.baseUrl, member, room.id, { content: 'x' }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(await joinRoom(t.baseUrl, member, room.id), 404, 'ROOM_NOT_FOUND');
      expectError(await req(member, 'GET', `/api/rooms/${room.id}`), 404, 'ROOM_NOT_FOUND');
      const from = ws.frames.length;
      ws.send('room.subscribe', { roomId: room.id });
      const again = await ws.waitFor(
        (f) =>
          (f.event === 'room.subscribed' && f.data.roomId === room.id) ||
          (f.event === 'error' && f.data.ref === 'room.subscribe'),
        5000,
        from,
      );
      expect(again.event).toBe('error');
      expect(again.data.code).toBe('ROOM_NOT_FOUND');
      // The plain room is not the organisation's: still subscribed.
      expect(
        (await sendMessage(t.baseUrl, owner, plain.id, { content: 'still here' })).status,
      ).toBe(201);
      await ws.waitForMessages(plain.id, 1);
    });

    it('a member leaving the organisation is dropped from its rooms the same way', async () => {
      const org = await newOrg();
      const room = (await createOrgRoom(owner, org.id)).body;
      expect((await joinRoom(t.baseUrl, member, room.id)).status).toBe(200);
      const ws = await connectWithTicket(t, member);
      sockets.push(ws);
      await ws.subscribe(room.id);
      expect((await delMember(member, org.id, member)).status).toBe(204);
      const unsub = await ws.waitFor((f) => f.event === 'room.unsubscribed', 5000);
      expect(unsub.data).toEqual({ roomId: room.id, reason: 'kicked' });
      expectError(
        await sendMessage(t.baseUrl, member, room.id, { content: 'x' }),
        404,
        'ROOM_NOT_FOUND',
      );
    });

    it('an org room whose owner is removed passes to the next member, or to the remover when the owner was alone', async () => {
      const org = await newOrg();
      const shared = (await createOrgRoom(member, org.id)).body;
      const alone = (await createOrgRoom(member, org.id)).body;
      expect((await joinRoom(t.baseUrl, owner, shared.id)).status).toBe(200);
      expect((await sendMessage(t.baseUrl, member, alone.id, { content: 'keep me' })).status).toBe(
        201,
      );
      expect((await delMember(orgAdmin, org.id, member)).status).toBe(204);
      const s = await req(owner, 'GET', `/api/rooms/${shared.id}`);
      expect(s.body).toMatchObject({ ownerId: owner.id, memberCount: 1 });
      const a = await req(orgAdmin, 'GET', `/api/rooms/${alone.id}`);
      expect(a.body).toMatchObject({ ownerId: orgAdmin.id, memberCount: 1 });
      const history = await req(orgAdmin, 'GET', `/api/rooms/${alone.id}/messages`);
      expect(history.body.items.map((m: { content: string }) => m.content)).toEqual(['keep me']);
      expect(
        await sql(`SELECT 1 FROM room_members WHERE user_id = $1 AND room_id = ANY($2)`, [
          member.id,
          [shared.id, alone.id],
        ]),
      ).toEqual([]);
    });

    it('a repeated DELETE sweeps an org room membership left behind (a join racing the removal): 404 NOT_ORG_MEMBER, and they are out', async () => {
      const org = await newOrg();
      const room = (await createOrgRoom(owner, org.id)).body;
      expect((await delMember(owner, org.id, member)).status).toBe(204);
      // What a join that passed the org check just before the removal would leave behind.
      await sql(
        `WITH ins AS (INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'member') RETURNING room_id)
         UPDATE rooms SET member_count = member_count + 1 WHERE id IN (SELECT room_id FROM ins)`,
        [room.id, member.id],
      );
      expect((await req(member, 'GET', `/api/rooms/${room.id}/messages`)).status).toBe(200);
      expectError(await delMember(owner, org.id, member), 404, 'NOT_ORG_MEMBER');
      expect(
        await sql(`SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2`, [
          room.id,
          member.id,
        ]),
      ).toEqual([]);
      expectError(
        await req(member, 'GET', `/api/rooms/${room.id}/messages`),
        404,
        'ROOM_NOT_FOUND',
      );
      expect((await req(owner, 'GET', `/api/rooms/${room.id}`)).body.memberCount).toBe(1);
    });
  });

  it('documents every endpoint in /docs-json', async () => {
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    const ops: Record<string, string[]> = {
      '/api/orgs': ['get', 'post'],
      '/api/orgs/{id}': ['get'],
      '/api/orgs/{id}/tree': ['get'],
      '/api/orgs/{id}/rooms': ['get'],
      '/api/orgs/{id}/members': ['get'],
      '/api/orgs/{id}/members/{userId}': ['delete', 'put'],
      '/api/orgs/{id}/departments': ['post'],
      '/api/orgs/{id}/departments/{deptId}': ['delete', 'patch'],
      '/api/orgs/{id}/positions': ['post'],
      '/api/orgs/{id}/positions/{posId}': ['delete', 'patch'],
    };
    for (const [path, methods] of Object.entries(ops)) {
      expect(Object.keys(doc.paths[path] ?? {}).sort()).toEqual(methods);
      for (const m of methods) {
        const op = doc.paths[path][m];
        expect(op.tags).toContain('organizations');
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401']));
      }
    }
    expect(doc.components.schemas.OrgTreeDto).toBeDefined();
    expect(doc.components.schemas.PutMemberDto.properties.role.enum).toEqual([
      'owner',
      'admin',
      'member',
    ]);
    const codes: string[] = doc.components.schemas.ErrorResponseDto.properties.code.enum;
    for (const c of ['ORG_NOT_FOUND', 'ORG_LAST_OWNER', 'DEPARTMENT_CYCLE', 'DEPARTMENT_NOT_EMPTY'])
      expect(codes).toContain(c);
  });
});

describe('organizations module off (no FEATURE_ORGANIZATIONS)', () => {
  let t: TestApp;
  let u: TestUser;
  beforeAll(async () => {
    t = await startTestApp(coreEnv());
    u = await registerUser(t.baseUrl);
  });
  afterAll(async () => {
    await t.close();
  });

  it('its paths answer 404', async () => {
    const id = randomUUID();
    for (const [method, path] of [
      ['POST', '/api/orgs'],
      ['GET', '/api/orgs'],
      ['GET', `/api/orgs/${id}`],
      ['GET', `/api/orgs/${id}/tree`],
      ['GET', `/api/orgs/${id}/rooms`],
      ['GET', `/api/orgs/${id}/members`],
      ['PUT', `/api/orgs/${id}/members/${u.id}`],
      ['DELETE', `/api/orgs/${id}/members/${u.id}`],
      ['POST', `/api/orgs/${id}/departments`],
      ['PATCH', `/api/orgs/${id}/departments/${id}`],
      ['DELETE', `/api/orgs/${id}/departments/${id}`],
      ['POST', `/api/orgs/${id}/positions`],
      ['PATCH', `/api/orgs/${id}/positions/${id}`],
      ['DELETE', `/api/orgs/${id}/positions/${id}`],
    ]) {
      const res = await http(t.baseUrl, method, path, {
        token: u.accessToken,
        body: method === 'GET' ? undefined : { name: 'x' },
      });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/api/orgs'))).toEqual([]);
  });

  it('its tables are absent from the core database', async () => {
    const tables = await tablesIn(process.env.CORE_DATABASE_URL!);
    expect(tables).toContain('rooms');
    for (const table of ORG_TABLES) expect(tables).not.toContain(table);
  });

  it('POST /api/rooms with an orgId is refused (400): there are no organisations', async () => {
    const res = await http(t.baseUrl, 'POST', '/api/rooms', {
      token: u.accessToken,
      body: { name: uniqueName('r'), isPrivate: false, orgId: randomUUID() },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(errorText(res)).toContain('orgId');
  });
});

describe('organizations migration', () => {
  it('creates the tables and the rooms.org_id key, and its down drops them all', async () => {
    const scratch = await createScratchDatabase();
    const ds = new DataSource({
      ...buildDataSourceOptions(scratch.url, [...coreMigrations, ...organizationsMigrations], 2),
      logging: false,
    });
    const fk = async () =>
      (
        await ds.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'rooms_org_id_fk' AND convalidated`,
        )
      )[0].n;
    try {
      await ds.initialize();
      await ds.runMigrations({ transaction: 'each' });
      let tables = await tablesIn(scratch.url);
      for (const table of ORG_TABLES) expect(tables).toContain(table);
      expect(await fk()).toBe(1);
      await undoThrough(ds, organizationsMigrations);
      tables = await tablesIn(scratch.url);
      for (const table of ORG_TABLES) expect(tables).not.toContain(table);
      expect(tables).toContain('rooms');
      expect(await fk()).toBe(0);
      await ds.runMigrations({ transaction: 'each' });
      expect(await fk()).toBe(1);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await scratch.drop();
    }
  });
});
