import { describe, expect, it } from '@jest/globals';
import { encodeCursor } from '../../common/cursor.js';
import { codeOf } from '../../common/testing/unit-kit.fake.js';
import { InMemoryUsers } from '../auth/testing/in-memory-auth.fake.js';
import { UsersService } from './users.service.js';

async function setup() {
  const repo = new InMemoryUsers();
  const svc = new UsersService(repo);
  const add = (username: string) =>
    repo.create({ username, email: `${username}@example.com`, passwordHash: 'h' });
  const alice = await add('alice');
  const bob = await add('bob');
  return { repo, svc, add, alice, bob };
}

describe('UsersService (in-memory users)', () => {
  it("shows a profile's public fields only, and USER_NOT_FOUND for nobody", async () => {
    const t = await setup();
    const p = await t.svc.profile(t.alice.id);
    expect(p).toEqual({
      id: t.alice.id,
      username: 'alice',
      avatarUrl: null,
      status: 'active',
      extensions: {},
    });
    expect(Object.keys(p)).not.toContain('email');
    expect(await codeOf(t.svc.profile('00000000-0000-4000-8000-000000000000'))).toBe(
      'USER_NOT_FOUND',
    );
  });

  it('merges custom fields into the stored ones (null removes a key) and changes the rest of the patch with them', async () => {
    const t = await setup();
    await t.svc.updateProfile(t.alice.id, { extensions: { team: 'core', level: 3 } });
    const u = await t.svc.updateProfile(t.alice.id, {
      avatarUrl: 'https://cdn.example/a.png',
      extensions: { level: null, remote: true },
    });
    expect(u.extensions).toEqual({ team: 'core', remote: true });
    expect(u.avatarUrl).toBe('https://cdn.example/a.png');
    // An empty patch writes nothing.
    const writes = t.repo.profileWrites;
    expect((await t.svc.updateProfile(t.alice.id, {})).extensions).toEqual(u.extensions);
    expect(t.repo.profileWrites).toBe(writes);
  });

  it('refuses a bad patch with EXTENSIONS_INVALID or USERNAME_TAKEN and changes nothing of it', async () => {
    const t = await setup();
    await t.svc.updateProfile(t.alice.id, { extensions: { team: 'core' } });
    const before = structuredClone(t.repo.byId.get(t.alice.id));
    const writes = t.repo.profileWrites;
    // The patch's own shape is refused before anything is written.
    for (const extensions of [[], 'x', { 'Bad-Key': 1 }, { n: Infinity }, { s: 'a\u202eb' }])
      expect(await codeOf(t.svc.updateProfile(t.alice.id, { extensions }))).toBe(
        'EXTENSIONS_INVALID',
      );
    expect(t.repo.profileWrites).toBe(writes);
    // A result over the limits is refused against the stored fields: the username with it too.
    const many = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i]));
    expect(
      await codeOf(t.svc.updateProfile(t.alice.id, { username: 'alice2', extensions: many })),
    ).toBe('EXTENSIONS_INVALID');
    expect(await codeOf(t.svc.updateProfile(t.alice.id, { username: 'BOB' }))).toBe(
      'USERNAME_TAKEN',
    );
    expect(t.repo.byId.get(t.alice.id)).toEqual(before);
  });

  it('finds active users by prefix, case-insensitively, page by page, and refuses a forged cursor', async () => {
    const t = await setup();
    for (const n of ['Alina', 'alex', 'ALBERT', 'al_banned']) await t.add(n);
    const banned = [...t.repo.byId.values()].find((u) => u.username === 'al_banned')!;
    await t.repo.setStatus(banned.id, 'banned');
    const first = await t.svc.search('AL', 2);
    expect(first.items.map((p) => p.username)).toEqual(['ALBERT', 'alex']);
    const second = await t.svc.search('AL', 2, first.nextCursor!);
    expect(second.items.map((p) => p.username)).toEqual(['alice', 'Alina']);
    expect(second.nextCursor).toBeNull();
    expect(await codeOf(t.svc.search('al', 2, 'not-a-cursor'))).toBe('VALIDATION_FAILED');
    expect(await codeOf(t.svc.search('al', 2, encodeCursor([42])))).toBe('VALIDATION_FAILED');
  });
});
