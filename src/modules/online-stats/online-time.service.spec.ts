import { describe, expect, it } from '@jest/globals';
import {
  authorizationOf,
  InMemoryGrants,
} from '../../common/authz/testing/in-memory-grants.fake.js';
import { codeOf } from '../../common/testing/unit-kit.fake.js';
import { InMemoryUsers } from '../auth/testing/in-memory-auth.fake.js';
import { HOUR_MS } from './domain/online-time.js';
import { OnlineTimeService } from './online-time.service.js';
import { InMemoryLedger } from './testing/in-memory-ledger.fake.js';
import { InMemoryOrgDirectory } from './testing/in-memory-org-directory.fake.js';

const t = (iso: string) => new Date(iso);
const MIN_MS = 60_000;

/**
 * Alice's sessions over two days: a phone and a laptop overlapping on 1 March (10:00-12:00 and
 * 11:00-13:00: three hours, not four), one on 2 March from 23:00 on an instance that died at
 * 23:30 (its lease lapsed, no sweeper has closed the session yet), one before the range.
 */
async function world(opts: { grants?: InMemoryGrants; orgs?: InMemoryOrgDirectory } = {}) {
  const users = new InMemoryUsers();
  const mk = (username: string) =>
    users.create({ username, email: `${username}@example.com`, passwordHash: 'x' });
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map(mk));
  const ledger = new InMemoryLedger();
  ledger.now = t('2026-03-10T00:00:00Z').getTime();
  ledger.instances.set('A', { until: ledger.now + 30_000, renewedAt: ledger.now });
  ledger.instances.set('B', {
    until: t('2026-03-02T23:30:30Z').getTime(),
    renewedAt: t('2026-03-02T23:30:00Z').getTime(),
  });
  const session = (
    connectionId: string,
    instanceId: string,
    openedAt: string,
    closedAt: string | null,
  ) =>
    ledger.sessions.push({
      connectionId,
      userId: alice.id,
      sessionId: `${connectionId}-login`,
      instanceId,
      openedAt: t(openedAt),
      closedAt: closedAt === null ? null : t(closedAt),
      closeReason: closedAt === null ? null : 'closed',
    });
  session('phone', 'A', '2026-03-01T10:00:00Z', '2026-03-01T12:00:00Z');
  session('laptop', 'A', '2026-03-01T11:00:00Z', '2026-03-01T13:00:00Z');
  session('lost', 'B', '2026-03-02T23:00:00Z', null);
  session('before', 'A', '2026-02-27T08:00:00Z', '2026-02-28T09:00:00Z');
  const service = new OnlineTimeService(
    ledger,
    authorizationOf({ grants: opts.grants ?? new InMemoryGrants() }),
    users,
    opts.orgs,
  );
  return { service, ledger, alice, bob, carol, dave };
}

const RANGE = { from: '2026-03-01T00:00:00Z', to: '2026-03-03T00:00:00Z' };

describe('OnlineTimeService.forUser', () => {
  it("answers the caller's online time per day: devices at once count once, a dead instance's session ends at its last renewal", async () => {
    const w = await world();
    const r = await w.service.forUser(w.alice.id, RANGE);
    expect(r.userId).toBe(w.alice.id);
    expect(r.groupBy).toBe('day');
    expect(r.totalMs).toBe(3 * HOUR_MS + 30 * MIN_MS);
    expect(r.periods).toEqual([
      { start: t('2026-03-01T00:00:00Z'), ms: 3 * HOUR_MS },
      { start: t('2026-03-02T00:00:00Z'), ms: 30 * MIN_MS },
    ]);
  });

  it('splits by hour and clips to the range asked', async () => {
    const w = await world();
    const r = await w.service.forUser(w.alice.id, {
      from: '2026-03-01T11:30:00Z',
      to: '2026-03-01T14:00:00Z',
      groupBy: 'hour',
    });
    expect(r.totalMs).toBe(90 * MIN_MS);
    expect(r.periods.map((p) => p.ms)).toEqual([30 * MIN_MS, 60 * MIN_MS, 0]);
  });

  it("refuses another user's time without stats.read and answers it with; an unknown user is USER_NOT_FOUND", async () => {
    const w = await world();
    expect(await codeOf(w.service.forUser(w.bob.id, { ...RANGE, userId: w.alice.id }))).toBe(
      'PERMISSION_DENIED',
    );

    const grants = new InMemoryGrants();
    const v = await world({ grants });
    grants.grant(v.bob.id, 'stats.read');
    const r = await v.service.forUser(v.bob.id, { ...RANGE, userId: v.alice.id });
    expect(r.totalMs).toBe(3 * HOUR_MS + 30 * MIN_MS);
    expect(
      await codeOf(
        v.service.forUser(v.bob.id, { ...RANGE, userId: '00000000-0000-4000-8000-000000000000' }),
      ),
    ).toBe('USER_NOT_FOUND');
  });

  it('rejects a range that is inverted, not a date, or too long for its granularity, before reading anything', async () => {
    const w = await world();
    w.ledger.failNext.add('sessionsOf');
    const id = w.alice.id;
    expect(await codeOf(w.service.forUser(id, { from: RANGE.to, to: RANGE.from }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await codeOf(w.service.forUser(id, { from: 'yesterday', to: RANGE.to }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      await codeOf(
        w.service.forUser(id, { from: '2026-01-01T00:00:00Z', to: RANGE.to, groupBy: 'hour' }),
      ),
    ).toBe('VALIDATION_FAILED');
    // The same 61 days by day are within bounds (and the ledger is read: it fails once here).
    expect(
      await codeOf(w.service.forUser(id, { from: '2026-01-01T00:00:00Z', to: RANGE.to })),
    ).toBe('sessionsOf: database unavailable');
  });
});

describe('OnlineTimeService.forOrg', () => {
  async function org(grants = new InMemoryGrants()) {
    const orgs = new InMemoryOrgDirectory();
    const w = await world({ grants, orgs });
    orgs
      .addOrg('o1', [
        { id: 'eng', parentId: null, name: 'Engineering' },
        { id: 'ops', parentId: 'eng', name: 'Operations' },
      ])
      .addMember('o1', w.alice.id, 'owner', 'eng')
      .addMember('o1', w.carol.id, 'member', 'eng')
      .addMember('o1', w.dave.id, 'admin', null)
      .addOrg('o3')
      .addMember('o3', w.alice.id, 'owner');
    return w;
  }

  it("rolls the organisation's online time up per department for its owners and admins, unassigned last", async () => {
    const w = await org();
    for (const caller of [w.alice.id, w.dave.id]) {
      const r = await w.service.forOrg(caller, 'o1', RANGE);
      expect(r.items).toEqual([
        {
          departmentId: 'eng',
          parentId: null,
          name: 'Engineering',
          memberCount: 2,
          activeMembers: 1,
          ms: 3 * HOUR_MS + 30 * MIN_MS,
        },
        {
          departmentId: 'ops',
          parentId: 'eng',
          name: 'Operations',
          memberCount: 0,
          activeMembers: 0,
          ms: 0,
        },
        {
          departmentId: null,
          parentId: null,
          name: 'unassigned',
          memberCount: 1,
          activeMembers: 0,
          ms: 0,
        },
      ]);
    }
  });

  it('hides the organisation from outsiders, refuses plain members, and answers a holder of stats.read for it', async () => {
    const grants = new InMemoryGrants();
    const w = await org(grants);
    expect(await codeOf(w.service.forOrg(w.bob.id, 'o1', RANGE))).toBe('ORG_NOT_FOUND');
    expect(await codeOf(w.service.forOrg(w.alice.id, 'o2', RANGE))).toBe('ORG_NOT_FOUND');
    expect(await codeOf(w.service.forOrg(w.carol.id, 'o1', RANGE))).toBe('PERMISSION_DENIED');
    grants.grant(w.bob.id, 'stats.read', { type: 'org', id: 'o1' });
    expect((await w.service.forOrg(w.bob.id, 'o1', RANGE)).items[0].ms).toBe(
      3 * HOUR_MS + 30 * MIN_MS,
    );
    // Granted for o1 only: another organisation stays hidden from bob.
    expect(await codeOf(w.service.forOrg(w.bob.id, 'o3', RANGE))).toBe('ORG_NOT_FOUND');
  });

  it('is NOT_FOUND while the organisations module is off', async () => {
    const w = await world();
    expect(await codeOf(w.service.forOrg(w.alice.id, 'o1', RANGE))).toBe('NOT_FOUND');
  });
});
