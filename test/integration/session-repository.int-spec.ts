import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { newOpaqueToken, parseOpaqueToken } from '../../src/modules/auth/domain/tokens.js';
import { SqlSessionRepository } from '../../src/modules/auth/infrastructure/persistence/sql-session.repository.js';
import { insertUser, openDataSource } from '../support/db.js';

const later = () => new Date(Date.now() + 3600_000);

describe('SqlSessionRepository on a real PostgreSQL', () => {
  let ds: DataSource;
  let repo: SqlSessionRepository;

  beforeAll(async () => {
    ds = await openDataSource();
    repo = new SqlSessionRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it('stores only hashes of refresh tokens', async () => {
    const user = await insertUser(ds);
    const t = newOpaqueToken();
    await repo.createSession(user, t.id, t.hash, later());
    const rows = await ds.query<{ token_hash: string }[]>(
      `SELECT token_hash FROM refresh_tokens WHERE id = $1`,
      [t.id],
    );
    expect(rows[0].token_hash).toBe(t.hash);
    expect(rows[0].token_hash).not.toContain(t.secret);
  });

  it('two concurrent rotations of one token: one wins, the other is reuse and revokes the family', async () => {
    const user = await insertUser(ds);
    const t = newOpaqueToken();
    const sessionId = await repo.createSession(user, t.id, t.hash, later());
    const p = parseOpaqueToken(t.value)!;
    const [a, b] = await Promise.all([
      repo.rotate(p.id, p.hash, { ...newOpaqueToken(), expiresAt: later() }),
      repo.rotate(p.id, p.hash, { ...newOpaqueToken(), expiresAt: later() }),
    ]);
    const reasons = [a, b].map((r) => (r.ok ? 'ok' : r.reason)).sort();
    expect(reasons).toEqual(['ok', 'reused']);
    expect((await repo.getState(sessionId))!.revoked).toBe(true);
  });

  it('refuses a forged secret for a real token id', async () => {
    const user = await insertUser(ds);
    const t = newOpaqueToken();
    await repo.createSession(user, t.id, t.hash, later());
    const forged = newOpaqueToken();
    const r = await repo.rotate(t.id, forged.hash, { ...newOpaqueToken(), expiresAt: later() });
    expect(r).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a ws ticket is good once, and not after it expires', async () => {
    const user = await insertUser(ds);
    const t = newOpaqueToken();
    const sessionId = await repo.createSession(user, t.id, t.hash, later());
    const ticket = newOpaqueToken();
    await repo.createWsTicket(ticket.hash, sessionId, user, later());
    const both = await Promise.all([
      repo.consumeWsTicket(ticket.hash),
      repo.consumeWsTicket(ticket.hash),
    ]);
    expect(both.filter(Boolean)).toHaveLength(1);
    const old = newOpaqueToken();
    await repo.createWsTicket(old.hash, sessionId, user, new Date(Date.now() - 1000));
    expect(await repo.consumeWsTicket(old.hash)).toBeNull();
  });
});
