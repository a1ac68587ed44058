// The online-statistics session ledger on a real PostgreSQL (the run's all-modules database):
// which sessions count when it decides a user's first and last connection.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { coreMigrations } from '../../migrations/index.js';
import { buildDataSourceOptions } from '../../src/infrastructure/database/data-source-options.js';
import { SqlSessionLedger } from '../../src/modules/online-stats/infrastructure/persistence/sql-session-ledger.js';
import { insertRoom, insertUser } from '../support/db.js';

const LEASE_MS = 60_000;

describe('SqlSessionLedger presence decisions', () => {
  let ds: DataSource;
  let ledger: SqlSessionLedger;
  const instances: string[] = [];

  beforeAll(async () => {
    ds = new DataSource(
      buildDataSourceOptions(process.env.ENTERPRISE_DATABASE_URL!, coreMigrations, 4),
    );
    await ds.initialize();
    ledger = new SqlSessionLedger(ds);
  });
  afterAll(async () => {
    await ds.query(`DELETE FROM stats_instances WHERE instance_id = ANY($1)`, [instances]);
    await ds.destroy();
  });

  const instance = async (): Promise<string> => {
    const id = `ledger-test-${randomUUID()}`;
    instances.push(id);
    await ledger.registerInstance(id, LEASE_MS);
    return id;
  };
  const connection = (userId: string, instanceId: string) => ({
    connectionId: randomUUID(),
    userId,
    sessionId: randomUUID(),
    instanceId,
    openedAt: new Date(),
  });

  it('a second connection is not the first, and closing one of two is not the last', async () => {
    const user = await insertUser(ds);
    const a = await instance();
    const b = await instance();
    const c1 = connection(user, a);
    const c2 = connection(user, b);
    expect(await ledger.open(c1)).toEqual({ firstForUser: true });
    expect(await ledger.open(c2)).toEqual({ firstForUser: false });
    expect(await ledger.close(c1, new Date())).toEqual({ lastForUser: false });
    expect(await ledger.close(c2, new Date())).toEqual({ lastForUser: true });
  });

  it('a session on an instance whose lease lapsed, not yet swept, does not keep the user online', async () => {
    const user = await insertUser(ds);
    const room = await insertRoom(ds, user);
    const dead = await instance();
    const live = await instance();
    const onDead = connection(user, dead);
    const onLive = connection(user, live);
    await ledger.open(onDead);
    await ledger.open(onLive);
    // While both instances are alive the user is online: nothing to announce.
    expect(await ledger.offlineChanges([user])).toEqual([]);
    // The dead instance stops renewing: its lease lapses; no sweep has run yet.
    await ds.query(
      `UPDATE stats_instances SET lease_until = now() - interval '1 second' WHERE instance_id = $1`,
      [dead],
    );
    // The live close is the user's last real connection: it must say so (the sweep, racing it,
    // may not see this close yet and so cannot be the one to announce the user offline).
    expect(await ledger.close(onLive, new Date())).toEqual({ lastForUser: true });
    // The sweep's own check agrees: offline in their room.
    expect(await ledger.offlineChanges([user])).toEqual([{ roomId: room, userId: user }]);
    // And a new connection then is the first again.
    expect(await ledger.open(connection(user, live))).toEqual({ firstForUser: true });
  });

  it('a close that overtook its open leaves the open nothing to announce', async () => {
    const user = await insertUser(ds);
    const a = await instance();
    const c = connection(user, a);
    expect(await ledger.close(c, new Date())).toEqual({ lastForUser: true });
    expect(await ledger.open(c)).toEqual({ firstForUser: false });
  });
});
