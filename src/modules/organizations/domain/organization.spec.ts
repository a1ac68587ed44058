import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  canManage,
  checkMemberRemoval,
  decideMemberRole,
  isOrgRole,
  type OrgActor,
  type OrgRole,
} from './organization.js';

const actor = (role: OrgRole | null, holdsManagePermission = false): OrgActor => ({
  userId: 'actor',
  role,
  holdsManagePermission,
});

const outcome = (fn: () => unknown): unknown => {
  try {
    return fn();
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

describe('canManage', () => {
  it('owners, admins and org.manage holders manage; plain members and outsiders do not', () => {
    expect(canManage(actor('owner'))).toBe(true);
    expect(canManage(actor('admin'))).toBe(true);
    expect(canManage(actor(null, true))).toBe(true);
    expect(canManage(actor('member', true))).toBe(true);
    expect(canManage(actor('member'))).toBe(false);
    expect(canManage(actor(null))).toBe(false);
  });

  it('isOrgRole knows the three roles', () => {
    expect(['owner', 'admin', 'member', 'boss', null].map(isOrgRole)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('decideMemberRole', () => {
  it('a new member defaults to member; an existing one keeps their role when none is asked', () => {
    expect(decideMemberRole(actor('admin'), null, undefined, 1)).toBe('member');
    expect(decideMemberRole(actor('admin'), 'admin', undefined, 1)).toBe('admin');
    expect(decideMemberRole(actor('admin'), 'owner', undefined, 1)).toBe('owner');
  });

  it('admins and org.manage holders set member and admin', () => {
    expect(decideMemberRole(actor('admin'), 'member', 'admin', 1)).toBe('admin');
    expect(decideMemberRole(actor('admin'), 'admin', 'member', 1)).toBe('member');
    expect(decideMemberRole(actor(null, true), null, 'admin', 1)).toBe('admin');
  });

  it('plain members may not change anyone', () => {
    expect(outcome(() => decideMemberRole(actor('member'), null, undefined, 1))).toBe(
      'forbidden:PERMISSION_DENIED',
    );
  });

  it('only an owner grants or revokes the owner role', () => {
    expect(outcome(() => decideMemberRole(actor('admin'), 'member', 'owner', 1))).toBe(
      'forbidden:PERMISSION_DENIED',
    );
    expect(outcome(() => decideMemberRole(actor(null, true), null, 'owner', 1))).toBe(
      'forbidden:PERMISSION_DENIED',
    );
    expect(outcome(() => decideMemberRole(actor('admin'), 'owner', 'admin', 2))).toBe(
      'forbidden:PERMISSION_DENIED',
    );
    expect(decideMemberRole(actor('owner'), 'member', 'owner', 1)).toBe('owner');
    expect(decideMemberRole(actor('owner'), 'owner', 'admin', 2)).toBe('admin');
  });

  it('an admin may still move an owner between departments (role unchanged)', () => {
    expect(decideMemberRole(actor('admin'), 'owner', 'owner', 1)).toBe('owner');
  });

  it('the last owner cannot be demoted', () => {
    expect(outcome(() => decideMemberRole(actor('owner'), 'owner', 'member', 1))).toBe(
      'conflict:ORG_LAST_OWNER',
    );
  });
});

describe('checkMemberRemoval', () => {
  it('anyone may leave, owners too while another owner stays', () => {
    expect(outcome(() => checkMemberRemoval(actor('member'), 'actor', 'member', 1))).toBe(
      undefined,
    );
    expect(outcome(() => checkMemberRemoval(actor('owner'), 'actor', 'owner', 2))).toBe(undefined);
  });

  it('the last owner can neither leave nor be removed', () => {
    expect(outcome(() => checkMemberRemoval(actor('owner'), 'actor', 'owner', 1))).toBe(
      'conflict:ORG_LAST_OWNER',
    );
  });

  it('removing someone else needs the manage right; removing an owner needs an owner', () => {
    expect(outcome(() => checkMemberRemoval(actor('member'), 'other', 'member', 1))).toBe(
      'forbidden:PERMISSION_DENIED',
    );
    expect(outcome(() => checkMemberRemoval(actor('admin'), 'other', 'admin', 1))).toBe(undefined);
    expect(outcome(() => checkMemberRemoval(actor(null, true), 'other', 'member', 1))).toBe(
      undefined,
    );
    expect(outcome(() => checkMemberRemoval(actor('admin'), 'other', 'owner', 2))).toBe(
      'forbidden:PERMISSION_DENIED',
    );
    expect(outcome(() => checkMemberRemoval(actor('owner'), 'other', 'owner', 2))).toBe(undefined);
  });
});
