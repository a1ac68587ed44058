import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { codeOf, recordingBus, settled } from '../../common/testing/unit-kit.fake.js';
import {
  authServiceOn,
  InMemorySessions,
  InMemoryUsers,
} from '../auth/testing/in-memory-auth.fake.js';
import { SanctionRepository } from './domain/admin.repository.js';
import type { NewAuditEntry } from './domain/audit.js';
import type { AdminUser, Sanction, SanctionKind } from './domain/sanction.js';
import { UserSanctionsService } from './user-sanctions.service.js';

/**
 * Sanctions in memory over the in-memory users: status, sanction and audit row change together,
 * as the SQL repository does them in one transaction.
 */
class InMemorySanctions extends SanctionRepository {
  readonly sanctions = new Map<string, Sanction>();
  readonly audit: NewAuditEntry[] = [];

  constructor(private readonly users: InMemoryUsers) {
    super();
  }

  async findUser(userId: string): Promise<AdminUser | null> {
    const u = await this.users.findById(userId);
    if (!u) return null;
    const { id, username, email, avatarUrl, status, createdAt, updatedAt } = u;
    const sanction = this.sanctions.get(userId) ?? null;
    return { id, username, email, avatarUrl, status, createdAt, updatedAt, sanction };
  }
  async impose(
    s: { userId: string; kind: SanctionKind; reason: string; until: Date | null; by: string },
    audit: NewAuditEntry,
  ): Promise<AdminUser | null> {
    if (!(await this.users.findById(s.userId))) return null;
    await this.users.setStatus(s.userId, s.kind);
    this.sanctions.set(s.userId, { ...s, at: new Date() });
    this.audit.push(audit);
    return this.findUser(s.userId);
  }
  async lift(userId: string, audit: NewAuditEntry) {
    const before = await this.findUser(userId);
    if (!before) return null;
    if (before.status === 'active' && !before.sanction) return { before, after: before };
    this.sanctions.delete(userId);
    await this.users.setStatus(userId, 'active');
    this.audit.push(audit);
    return { before, after: (await this.findUser(userId))! };
  }
  listUsers(): never {
    throw new Error('not used here');
  }
  liftExpired(): never {
    throw new Error('not used here');
  }
}

async function setup() {
  const users = new InMemoryUsers();
  const sessions = new InMemorySessions(users);
  const { bus, published } = recordingBus();
  const auth = authServiceOn({ users, sessions, bus });
  const repo = new InMemorySanctions(users);
  const svc = new UserSanctionsService(repo, auth);
  const admin = await auth.register({
    username: 'admin',
    email: 'a@x.test',
    password: 'pw-admin-1',
  });
  const eve = await auth.register({ username: 'eve', email: 'e@x.test', password: 'pw-eve-123' });
  const revoked = () =>
    published.flatMap((e) => (e.type === 'session.revoked' ? [[e.userId, e.reason]] : []));
  return { svc, auth, repo, admin: admin.user.id, eve, revoked };
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('UserSanctionsService', () => {
  it('a ban ends every session of the user at once, and only theirs; login is refused', async () => {
    const { svc, auth, repo, admin, eve, revoked } = await setup();
    const adminToken = (await auth.login('admin', 'pw-admin-1')).accessToken;
    const user = await svc.impose(admin, eve.user.id, 'banned', { reason: ' spam ' });
    expect(user).toMatchObject({ status: 'banned', sanction: { kind: 'banned', reason: 'spam' } });
    expect(revoked()).toEqual([[eve.user.id, 'banned']]);
    expect(await codeOf(auth.authenticateAccessToken(eve.accessToken))).toBe('USER_DISABLED');
    expect(await codeOf(auth.refresh(eve.refreshToken))).toBe('SESSION_REVOKED');
    expect(await codeOf(auth.login('eve', 'pw-eve-123'))).toBe('USER_DISABLED');
    await auth.authenticateAccessToken(adminToken); // others untouched
    expect(repo.audit.map((a) => [a.action, a.targetId])).toEqual([['user.ban', eve.user.id]]);
  });

  it('lifting makes the account active again: a new login works, the old sessions stay ended', async () => {
    const { svc, auth, admin, eve } = await setup();
    await svc.impose(admin, eve.user.id, 'disabled', { reason: 'inactive', until: null });
    const lifted = await svc.lift(admin, eve.user.id, 'appeal accepted');
    expect(lifted).toMatchObject({ status: 'active', sanction: null });
    expect(await codeOf(auth.authenticateAccessToken(eve.accessToken))).toBe('SESSION_REVOKED');
    await auth.login('eve', 'pw-eve-123');
    expect(await codeOf(svc.lift(admin, eve.user.id))).toBe('USER_NOT_SANCTIONED');
  });

  it('refuses without changing anything: no reason, a bad end, oneself, an unknown user', async () => {
    const { svc, auth, repo, admin, eve, revoked } = await setup();
    const tooLate = new Date(Date.now() + 3700 * 86_400_000).toISOString();
    const cases = settled([
      ['VALIDATION_FAILED', svc.impose(admin, eve.user.id, 'banned', { reason: '   ' })],
      [
        'VALIDATION_FAILED',
        svc.impose(admin, eve.user.id, 'banned', { reason: 'x', until: 'soon' }),
      ],
      [
        'VALIDATION_FAILED',
        svc.impose(admin, eve.user.id, 'banned', { reason: 'x', until: tooLate }),
      ],
      [
        'VALIDATION_FAILED',
        svc.impose(admin, eve.user.id, 'banned', { reason: 'x', until: new Date(0).toISOString() }),
      ],
      ['ADMIN_SELF_ACTION', svc.impose(admin, admin, 'banned', { reason: 'oops' })],
      ['ADMIN_SELF_ACTION', svc.lift(admin, admin)],
      [
        'USER_NOT_FOUND',
        svc.impose(admin, '00000000-0000-4000-8000-000000000000', 'banned', { reason: 'x' }),
      ],
    ]);
    for (const [code, p] of cases) expect(await p).toBe(code);
    expect(repo.sanctions.size).toBe(0);
    expect(repo.audit).toEqual([]);
    expect(revoked()).toEqual([]);
    await auth.authenticateAccessToken(eve.accessToken);
  });

  it('a timed ban keeps its end', async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const { svc, admin, eve } = await setup();
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const user = await svc.impose(admin, eve.user.id, 'banned', { reason: 'cool off', until });
    expect(user.sanction?.until?.toISOString()).toBe(until);
  });
});
