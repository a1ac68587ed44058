import { describe, expect, it } from '@jest/globals';
import { PERMISSIONS } from '../../../common/authz/permissions.js';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  assertEditable,
  assertMayManage,
  BUILT_IN_ROLES,
  checkableScope,
  parsePermissions,
  PERMISSION_DESCRIPTIONS,
  ROLE_NAME_PATTERN,
  scopeOf,
  unionOf,
  type Role,
} from './role.js';

const failure = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? { kind: e.kind, code: e.code, message: e.message } : 'other';
  }
};

const role = (over: Partial<Role>): Role => ({
  id: 'r',
  name: 'support',
  description: '',
  builtIn: false,
  permissions: [],
  createdAt: new Date(),
  updatedAt: new Date(),
  ...over,
});

describe('roles domain', () => {
  it('parsePermissions folds duplicates into catalogue order', () => {
    expect(parsePermissions(['member.kick', 'room.create', 'member.kick'])).toEqual([
      'room.create',
      'member.kick',
    ]);
    expect(parsePermissions([])).toEqual([]);
  });

  it('parsePermissions refuses unknown names, naming each once', () => {
    const f = failure(() => parsePermissions(['member.kick', 'room.explode', 'x', 'x']));
    expect(f).toMatchObject({ kind: 'validation', code: 'VALIDATION_FAILED' });
    expect((f as { message: string }).message).toBe(
      'permissions contains unknown permissions: room.explode, x',
    );
    // Case matters: the catalogue's names are exact.
    expect(failure(() => parsePermissions(['Member.Kick']))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('built-in roles are not editable, custom ones are', () => {
    expect(failure(() => assertEditable(role({ builtIn: true, name: 'admin' })))).toMatchObject({
      kind: 'forbidden',
      code: 'ROLE_BUILT_IN',
    });
    expect(failure(() => assertEditable(role({})))).toBeNull();
  });

  it('scopeOf: an id for org and room, none for global', () => {
    expect(scopeOf('global', undefined)).toEqual({ type: 'global' });
    expect(scopeOf('room', 'abc')).toEqual({ type: 'room', id: 'abc' });
    expect(scopeOf('org', 'o')).toEqual({ type: 'org', id: 'o' });
    for (const [type, id] of [
      ['global', 'abc'],
      ['org', undefined],
      ['room', undefined],
      ['room', null],
    ] as const)
      expect(failure(() => scopeOf(type, id))).toMatchObject({
        kind: 'validation',
        code: 'VALIDATION_FAILED',
      });
  });

  it('checkableScope: an id that is not a UUID names nothing, so the check is global', () => {
    const id = '3f2b8c1e-7a4d-4e2f-9b1a-0c5d6e7f8a9b';
    expect(checkableScope({ type: 'room', id })).toEqual({ type: 'room', id });
    expect(checkableScope({ type: 'org', id: id.toUpperCase() })).toEqual({
      type: 'org',
      id: id.toUpperCase(),
    });
    expect(checkableScope({ type: 'room', id: "x' OR 1=1" })).toEqual({ type: 'global' });
    expect(checkableScope({ type: 'org', id: '' })).toEqual({ type: 'global' });
    expect(checkableScope({ type: 'global' })).toEqual({ type: 'global' });
  });

  it('unionOf is the union of the roles, in catalogue order', () => {
    expect(
      unionOf([{ permissions: ['stats.read', 'member.kick'] }, { permissions: ['room.create'] }]),
    ).toEqual(['room.create', 'member.kick', 'stats.read']);
    expect(unionOf([])).toEqual([]);
  });

  it('assertMayManage: role.manage and every permission of the role', () => {
    const mod = role({ name: 'moderator', permissions: BUILT_IN_ROLES.moderator.permissions });
    expect(failure(() => assertMayManage([...PERMISSIONS], mod))).toBeNull();
    // A moderator cannot grant anything: no role.manage.
    expect(failure(() => assertMayManage(BUILT_IN_ROLES.moderator.permissions, mod))).toMatchObject(
      { kind: 'forbidden', code: 'PERMISSION_DENIED' },
    );
    // role.manage alone does not let one hand out what one does not hold.
    const f = failure(() => assertMayManage(['role.manage', 'member.kick'], mod));
    expect(f).toMatchObject({ kind: 'forbidden', code: 'PERMISSION_DENIED' });
    expect((f as { message: string }).message).toContain('member.mute');
    expect(failure(() => assertMayManage(['role.manage'], role({})))).toBeNull();
  });

  it('the built-ins are as decided and every permission is described', () => {
    expect(BUILT_IN_ROLES.admin.permissions).toEqual([...PERMISSIONS]);
    expect(BUILT_IN_ROLES.member.permissions).toEqual(['room.create']);
    expect(BUILT_IN_ROLES.moderator.permissions).not.toContain('role.manage');
    expect(BUILT_IN_ROLES.moderator.permissions).not.toContain('user.ban');
    for (const p of PERMISSIONS) expect(PERMISSION_DESCRIPTIONS[p].length).toBeGreaterThan(0);
  });

  it('role names: letters, digits, spaces, _ . -', () => {
    for (const ok of ['support', 'Support Lead', 'tier-2', 'ops.eu', 'équipe'])
      expect(ROLE_NAME_PATTERN.test(ok)).toBe(true);
    for (const bad of [' lead', '-x', 'a/b', 'a<b>', ''])
      expect(ROLE_NAME_PATTERN.test(bad)).toBe(false);
  });
});
