import { describe, expect, it } from '@jest/globals';
import { encodeCursor } from '../../common/cursor.js';
import { codeOf } from '../../common/testing/unit-kit.fake.js';
import { AuditService } from './audit.service.js';
import type { AuditAction } from './domain/audit.js';
import { InMemoryAudit } from './testing/in-memory-admin.fake.js';

async function log() {
  const audit = new InMemoryAudit();
  audit.usernames.set('mod', 'moderator');
  const service = new AuditService(audit);
  const entries: [string | null, AuditAction, string][] = [
    ['mod', 'user.ban', 'u1'],
    ['mod', 'member.mute', 'u2'],
    [null, 'user.sanction_expired', 'u1'],
    ['boss', 'user.ban', 'u3'],
    ['mod', 'user.ban', 'u4'],
  ];
  for (const [actorId, action, targetId] of entries)
    await service.append({
      actorId,
      action,
      targetType: 'user',
      targetId,
      reason: null,
      details: {},
    });
  return { audit, service };
}

describe('AuditService', () => {
  it('pages the log newest first with an opaque cursor, each page going on where the last ended', async () => {
    const { service } = await log();
    const seen: string[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await service.list({}, 2, cursor);
      sizes.push(page.items.length);
      seen.push(...page.items.map((e) => `${e.action} ${e.targetId}`));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual([
      'user.ban u4',
      'user.ban u3',
      'user.sanction_expired u1',
      'member.mute u2',
      'user.ban u1',
    ]);
  });

  it("filters by actor, action and time, and names the actor (null for the system's own entries)", async () => {
    const { service } = await log();
    const bans = await service.list({ actorId: 'mod', action: 'user.ban' });
    expect(bans.items.map((e) => [e.targetId, e.actorUsername])).toEqual([
      ['u4', 'moderator'],
      ['u1', 'moderator'],
    ]);
    expect(bans.nextCursor).toBeNull();
    // Entries are a second apart from 00:00:00: [00:00:01, 00:00:03) holds the second and third.
    const window = await service.list({
      from: new Date('2026-03-01T00:00:01Z'),
      to: new Date('2026-03-01T00:00:03Z'),
    });
    expect(window.items.map((e) => [e.action, e.actorUsername])).toEqual([
      ['user.sanction_expired', null],
      ['member.mute', 'moderator'],
    ]);
  });

  it('rejects from after to, and a cursor that is not one it issued', async () => {
    const { service } = await log();
    const cases = [
      service.list({
        from: new Date('2026-03-02T00:00:00Z'),
        to: new Date('2026-03-01T00:00:00Z'),
      }),
      service.list({}, 2, 'not-a-cursor'),
      service.list({}, 2, encodeCursor([5])),
      service.list({}, 2, encodeCursor(['0'])),
      service.list({}, 2, encodeCursor(['1 OR 1=1'])),
      service.list({}, 2, encodeCursor(['99999999999999999999'])),
    ];
    for (const c of cases) expect(await codeOf(c)).toBe('VALIDATION_FAILED');
  });
});
