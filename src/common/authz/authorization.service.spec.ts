import { describe, expect, it } from '@jest/globals';
import { authorizationOf, InMemoryGrants } from './testing/in-memory-grants.fake.js';

describe('AuthorizationService', () => {
  it('asks the installed resolver, with the scope given (global when none)', async () => {
    const grants = new InMemoryGrants()
      .grant('mod', 'message.delete.any', { type: 'room', id: 'r1' })
      .grant('boss', 'stats.read');
    const authz = authorizationOf({
      grants,
      admins: ['mod'],
      usernames: new Map([['mod', 'mod']]),
    });

    expect(await authz.can('mod', 'message.delete.any', { type: 'room', id: 'r1' })).toBe(true);
    expect(await authz.can('mod', 'message.delete.any', { type: 'room', id: 'r2' })).toBe(false);
    // With a resolver, ADMIN_USERNAMES grants nothing: roles decide.
    expect(await authz.can('mod', 'stats.read')).toBe(false);
    expect(await authz.can('boss', 'stats.read', { type: 'org', id: 'o1' })).toBe(true);
    expect(grants.asked).toEqual([
      'mod message.delete.any room:r1',
      'mod message.delete.any room:r2',
      'mod stats.read global',
      'boss stats.read org:o1',
    ]);
  });

  it('without a resolver, gives every permission to the users named in ADMIN_USERNAMES, by their current username, case-insensitively', async () => {
    const usernames = new Map([
      ['u-alice', 'Alice'],
      ['u-bob', 'bob'],
    ]);
    const authz = authorizationOf({ admins: ['alice'], usernames });

    expect(await authz.can('u-alice', 'user.ban')).toBe(true);
    expect(await authz.can('u-alice', 'audit.read', { type: 'room', id: 'r1' })).toBe(true);
    expect(await authz.can('u-bob', 'user.ban')).toBe(false);
    expect(await authz.can('u-gone', 'user.ban')).toBe(false);
    // A rename is seen at once: the list names usernames, not ids.
    usernames.set('u-alice', 'alice2');
    usernames.set('u-bob', 'ALICE');
    expect(await authz.isConfiguredAdmin('u-alice')).toBe(false);
    expect(await authz.isConfiguredAdmin('u-bob')).toBe(true);
  });

  it('with neither a resolver nor an admin list, grants nothing (the core rules are all there is)', async () => {
    const authz = authorizationOf({ usernames: new Map([['u1', 'admin']]) });
    expect(await authz.can('u1', 'role.manage')).toBe(false);
    expect(await authz.isConfiguredAdmin('u1')).toBe(false);
  });
});
