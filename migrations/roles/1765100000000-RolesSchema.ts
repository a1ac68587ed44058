import type { MigrationInterface, QueryRunner } from 'typeorm';

// Kept here, not imported from the app: a migration must say the same thing forever.
const ALL = [
  'room.create',
  'room.update.any',
  'room.delete.any',
  'message.delete.any',
  'member.kick',
  'member.mute',
  'user.ban',
  'org.manage',
  'role.manage',
  'audit.read',
  'stats.read',
  'bot.manage',
];
const BUILT_INS: [id: string, name: string, description: string, permissions: string[]][] = [
  ['00000000-0000-4000-8000-00000000ad01', 'admin', 'Every permission', ALL],
  [
    '00000000-0000-4000-8000-00000000ad02',
    'moderator',
    'Keeps rooms in order: edits and deletes rooms and messages, kicks and mutes',
    [
      'room.update.any',
      'room.delete.any',
      'message.delete.any',
      'member.kick',
      'member.mute',
      'audit.read',
      'stats.read',
    ],
  ],
  [
    '00000000-0000-4000-8000-00000000ad03',
    'member',
    'What every signed-in user holds (implicitly, everywhere)',
    ['room.create'],
  ],
];

/**
 * Roles (named sets of permissions; three built in, seeded here with fixed ids) and their
 * assignments to users, globally, in an organisation or in a room. Permission names are checked
 * by the application against its catalogue, so adding one to the code needs no migration.
 */
export class RolesSchema1765100000000 implements MigrationInterface {
  name = 'RolesSchema1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE roles (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name        text NOT NULL,
        description text NOT NULL DEFAULT '',
        built_in    boolean NOT NULL DEFAULT false,
        permissions text[] NOT NULL DEFAULT '{}',
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX roles_name_lower_uq ON roles (lower(name))`);
    await q.query(`
      CREATE TABLE role_assignments (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role_id    uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
        scope_type text NOT NULL CHECK (scope_type IN ('global', 'org', 'room')),
        scope_id   uuid NULL,
        created_by uuid NULL REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT role_assignments_scope_id CHECK ((scope_type = 'global') = (scope_id IS NULL))
      )`);
    // One row per (user, role, scope); the global scope's null id counts as one value here.
    await q.query(`
      CREATE UNIQUE INDEX role_assignments_uq ON role_assignments
        (user_id, role_id, scope_type, coalesce(scope_id, '00000000-0000-0000-0000-000000000000'::uuid))`);
    await q.query(`CREATE INDEX role_assignments_role_idx ON role_assignments (role_id)`);
    for (const [id, name, description, permissions] of BUILT_INS)
      await q.query(
        `INSERT INTO roles (id, name, description, built_in, permissions) VALUES ($1, $2, $3, true, $4)`,
        [id, name, description, permissions],
      );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE role_assignments`);
    await q.query(`DROP TABLE roles`);
  }
}
