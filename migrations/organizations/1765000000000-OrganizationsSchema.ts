import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organisations (organizations module): a tree of departments, a list of positions and the
 * members, each with an org role and optionally a department and a position. Also gives the
 * core's `rooms.org_id` its foreign key. Departments and positions carry `UNIQUE (org_id, id)`
 * so members and sub-departments reference them together with their org: a department or
 * position of another organisation can never be attached, whatever the application does.
 * `ON DELETE SET NULL (column)` (PostgreSQL 15+) clears only that column of a member.
 */
export class OrganizationsSchema1765000000000 implements MigrationInterface {
  name = 'OrganizationsSchema1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organizations (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name       text NOT NULL,
        created_by uuid NOT NULL REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE UNIQUE INDEX organizations_name_lower_uq ON organizations (lower(name))`);

    await q.query(`
      CREATE TABLE org_departments (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        parent_id  uuid NULL,
        name       text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT org_departments_org_id_uq UNIQUE (org_id, id),
        CONSTRAINT org_departments_parent_fk FOREIGN KEY (org_id, parent_id)
          REFERENCES org_departments (org_id, id),
        CONSTRAINT org_departments_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id)
      )`);
    // Sibling departments have distinct names (two roots of one org count as siblings).
    await q.query(
      `CREATE UNIQUE INDEX org_departments_sibling_name_uq
         ON org_departments (org_id, parent_id, lower(name)) NULLS NOT DISTINCT`,
    );
    await q.query(`CREATE INDEX org_departments_parent_idx ON org_departments (parent_id)`);

    await q.query(`
      CREATE TABLE org_positions (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        name       text NOT NULL,
        rank       integer NOT NULL DEFAULT 0 CHECK (rank BETWEEN 0 AND 10000),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT org_positions_org_id_uq UNIQUE (org_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX org_positions_name_lower_uq ON org_positions (org_id, lower(name))`,
    );

    await q.query(`
      CREATE TABLE org_members (
        org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role          text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        department_id uuid NULL,
        position_id   uuid NULL,
        joined_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (org_id, user_id),
        CONSTRAINT org_members_department_fk FOREIGN KEY (org_id, department_id)
          REFERENCES org_departments (org_id, id) ON DELETE SET NULL (department_id),
        CONSTRAINT org_members_position_fk FOREIGN KEY (org_id, position_id)
          REFERENCES org_positions (org_id, id) ON DELETE SET NULL (position_id)
      )`);
    await q.query(`CREATE INDEX org_members_user_idx ON org_members (user_id)`);
    await q.query(
      `CREATE INDEX org_members_org_joined_idx ON org_members (org_id, joined_at, user_id)`,
    );
    await q.query(
      `CREATE INDEX org_members_department_idx ON org_members (org_id, department_id, joined_at, user_id)`,
    );
    await q.query(`CREATE INDEX org_members_position_idx ON org_members (org_id, position_id)`);

    // rooms.org_id came without a foreign key (EnterpriseSeams1764000003000). Rooms that already
    // carry an org_id point at organisations that no longer exist (this module was reverted
    // earlier): they stay hidden org rooms and the key is then left NOT VALID (checked for new
    // rows only) rather than failing the migration or turning those rooms public.
    await q.query(`
      ALTER TABLE rooms ADD CONSTRAINT rooms_org_id_fk FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE CASCADE NOT VALID`);
    const [{ orphans }] = (await q.query(
      `SELECT count(*)::int AS orphans FROM rooms WHERE org_id IS NOT NULL`,
    )) as { orphans: number }[];
    if (orphans === 0) await q.query(`ALTER TABLE rooms VALIDATE CONSTRAINT rooms_org_id_fk`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rooms DROP CONSTRAINT IF EXISTS rooms_org_id_fk`);
    for (const t of ['org_members', 'org_positions', 'org_departments', 'organizations'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
