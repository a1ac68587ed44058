import { describe, expect, it } from '@jest/globals';
import { codeOf } from '../../common/testing/unit-kit.fake.js';
import { InMemoryUsers } from '../auth/testing/in-memory-auth.fake.js';
import { UsersService } from '../users/users.service.js';
import { GRANT_ROOMS_MAX } from './domain/proxy-grant.js';
import { ProxyService } from './proxy.service.js';
import { InMemoryProxyRepository } from './testing/in-memory-proxy.fake.js';

const NOBODY = '00000000-0000-4000-8000-000000000000';

/** Alice grants; Bob is her proxy; Carol is neither. Rooms: r1 and r2 with Alice, public r3 without her, private r4. */
async function world() {
  const users = new InMemoryUsers();
  const mk = (username: string) =>
    users.create({ username, email: `${username}@example.com`, passwordHash: 'x' });
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(mk));
  const repo = new InMemoryProxyRepository(users);
  repo.rooms.set('r1', { isPrivate: false, orgId: null, members: [alice.id, bob.id] });
  repo.rooms.set('r2', { isPrivate: true, orgId: null, members: [alice.id] });
  repo.rooms.set('r3', { isPrivate: false, orgId: null, members: [carol.id] });
  repo.rooms.set('r4', { isPrivate: true, orgId: null, members: [carol.id] });
  const service = new ProxyService(repo, new UsersService(users));
  return {
    service,
    repo,
    users,
    alice: { userId: alice.id },
    bob: { userId: bob.id },
    carol: { userId: carol.id },
  };
}

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

describe('ProxyService', () => {
  it('refuses a bad grant with its own code, storing no grant and no audit line', async () => {
    const w = await world();
    const to = (over: object) => ({ proxyUserId: w.bob.userId, ...over });
    const cases: [string, Promise<unknown>][] = [
      ['VALIDATION_FAILED', w.service.grant(w.alice, to({ proxyUserId: w.alice.userId }))],
      ['USER_NOT_FOUND', w.service.grant(w.alice, to({ proxyUserId: NOBODY }))],
      ['VALIDATION_FAILED', w.service.grant(w.alice, to({ endsAt: inDays(-1) }))],
      [
        'VALIDATION_FAILED',
        w.service.grant(w.alice, to({ startsAt: inDays(3), endsAt: inDays(2) })),
      ],
      ['VALIDATION_FAILED', w.service.grant(w.alice, to({ startsAt: '2026-03-01T10:00:00' }))],
      ['VALIDATION_FAILED', w.service.grant(w.alice, to({ roomIds: [] }))],
      ['VALIDATION_FAILED', w.service.grant(w.alice, to({ roomIds: ['r1', 'r1'] }))],
      [
        'VALIDATION_FAILED',
        w.service.grant(
          w.alice,
          to({ roomIds: Array.from({ length: GRANT_ROOMS_MAX + 1 }, (_, i) => `x${i}`) }),
        ),
      ],
      ['ROOM_NOT_FOUND', w.service.grant(w.alice, to({ roomIds: ['r1', 'gone'] }))],
      // A private room she is not in is as absent as an unknown one; a public one is named as not hers.
      ['ROOM_NOT_FOUND', w.service.grant(w.alice, to({ roomIds: ['r4'] }))],
      ['VALIDATION_FAILED', w.service.grant(w.alice, to({ roomIds: ['r3'] }))],
    ];
    for (const [code, p] of cases) expect(await codeOf(p)).toBe(code);
    expect(w.repo.grants).toEqual([]);
    expect(w.repo.audit).toEqual([]);
  });

  it('stores a grant live from now, with its audit line; only its two parties can read it', async () => {
    const w = await world();
    const g = await w.service.grant(w.alice, { proxyUserId: w.bob.userId, roomIds: ['r1', 'r2'] });
    expect(g).toMatchObject({
      grantorUsername: 'alice',
      proxyUsername: 'bob',
      roomIds: ['r1', 'r2'],
      endsAt: null,
      revokedAt: null,
      active: true,
    });
    expect(w.repo.audit.map((a) => [a.action, a.actorId])).toEqual([
      ['grant.created', w.alice.userId],
    ]);
    expect((await w.service.get(w.bob, g.id)).id).toBe(g.id);
    expect(await codeOf(w.service.get(w.carol, g.id))).toBe('PROXY_NOT_FOUND');
    expect(await codeOf(w.service.get(w.alice, NOBODY))).toBe('PROXY_NOT_FOUND');
    expect(await w.repo.findLiveGrant(w.bob.userId, w.alice.userId, 'r2')).toBe(g.id);
    expect(await w.repo.findLiveGrant(w.bob.userId, w.alice.userId, 'r3')).toBeNull();
  });

  it('lists grants newest first by role and liveness, page by page', async () => {
    const w = await world();
    const now = await w.service.grant(w.alice, { proxyUserId: w.bob.userId });
    const later = await w.service.grant(w.alice, {
      proxyUserId: w.carol.userId,
      startsAt: inDays(1),
    });
    const toAlice = await w.service.grant(w.carol, {
      proxyUserId: w.alice.userId,
      endsAt: inDays(7),
    });
    const ids = async (filter: object) =>
      (await w.service.list(w.alice, filter)).items.map((g) => g.id);
    expect(await ids({})).toEqual([toAlice.id, later.id, now.id]);
    expect(await ids({ role: 'granted' })).toEqual([later.id, now.id]);
    expect(await ids({ role: 'received' })).toEqual([toAlice.id]);
    expect(await ids({ active: true })).toEqual([toAlice.id, now.id]);
    expect(await ids({ active: false })).toEqual([later.id]);

    const first = await w.service.list(w.alice, {}, 2);
    expect(first.items.map((g) => g.id)).toEqual([toAlice.id, later.id]);
    const second = await w.service.list(w.alice, {}, 2, first.nextCursor!);
    expect(second.items.map((g) => g.id)).toEqual([now.id]);
    expect(second.nextCursor).toBeNull();
    expect(await codeOf(w.service.list(w.alice, {}, 2, 'garbage'))).toBe('VALIDATION_FAILED');
  });

  it('lets either party revoke, once: the second revocation changes nothing; strangers get PROXY_NOT_FOUND', async () => {
    const w = await world();
    const g = await w.service.grant(w.alice, { proxyUserId: w.bob.userId });
    expect(await codeOf(w.service.revoke(w.carol, g.id))).toBe('PROXY_NOT_FOUND');
    expect((await w.service.get(w.alice, g.id)).active).toBe(true);

    await w.service.revoke(w.bob, g.id); // the proxy renounces
    await w.service.revoke(w.alice, g.id);
    const after = await w.service.get(w.alice, g.id);
    expect(after.active).toBe(false);
    expect(after.revokedAt).not.toBeNull();
    expect(w.repo.audit.map((a) => [a.action, a.actorId])).toEqual([
      ['grant.created', w.alice.userId],
      ['grant.revoked', w.bob.userId],
    ]);
    expect(await w.repo.findLiveGrant(w.bob.userId, w.alice.userId, 'r1')).toBeNull();
  });

  it("shows each party the audit trail of their grants, of one grant if asked, and hides others' grants", async () => {
    const w = await world();
    const g1 = await w.service.grant(w.alice, { proxyUserId: w.bob.userId });
    await w.repo.recordAudit({
      grantId: g1.id,
      grantorId: w.alice.userId,
      proxyUserId: w.bob.userId,
      actorId: w.bob.userId,
      action: 'message.send',
      via: 'rest',
      roomId: 'r1',
      messageId: 'm1',
      seq: 7,
    });
    const g2 = await w.service.grant(w.carol, { proxyUserId: w.bob.userId });
    await w.service.revoke(w.alice, g1.id);

    const trail = async (caller: { userId: string }, grantId?: string, limit?: number) =>
      (await w.service.audit(caller, grantId, limit)).items.map((a) => `${a.action}`);
    expect(await trail(w.alice)).toEqual(['grant.revoked', 'message.send', 'grant.created']);
    expect(await trail(w.bob)).toEqual([
      'grant.revoked',
      'grant.created',
      'message.send',
      'grant.created',
    ]);
    expect(await trail(w.bob, g2.id)).toEqual(['grant.created']);
    expect(await codeOf(w.service.audit(w.alice, g2.id))).toBe('PROXY_NOT_FOUND');

    const first = await w.service.audit(w.bob, undefined, 3);
    const rest = await w.service.audit(w.bob, undefined, 3, first.nextCursor!);
    expect([...first.items, ...rest.items].map((a) => a.action)).toEqual([
      'grant.revoked',
      'grant.created',
      'message.send',
      'grant.created',
    ]);
    expect(rest.nextCursor).toBeNull();
  });
});
