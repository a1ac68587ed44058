import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { MessageEventSeq1766800000000 } from '../../migrations/1766800000000-MessageEventSeq.js';
import { coreMigrations, migrationsFor, moduleMigrations } from '../../migrations/index.js';
import { loadFeatureFlags, type FeatureFlags } from '../../src/config/configuration.js';
import { buildDataSourceOptions } from '../../src/infrastructure/database/data-source-options.js';
import { SqlMessageRepository } from '../../src/modules/messages/infrastructure/persistence/sql-message.repository.js';
import { createScratchDatabase, insertRoom, insertUser, undoThrough } from '../support/db.js';

const CORE_TABLES = [
  'attachments',
  'auth_sessions',
  'event_outbox',
  'login_attempts',
  'message_mentions',
  'message_reactions',
  'messages',
  'refresh_tokens',
  'room_events',
  'room_invites',
  'room_join_failures',
  'room_members',
  'rooms',
  'scheduled_messages',
  'user_extensions',
  'users',
  'ws_tickets',
];

async function tables(ds: DataSource): Promise<string[]> {
  const rows = await ds.query<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations on a real PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let ds: DataSource;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    ds = new DataSource(buildDataSourceOptions(scratch.url, coreMigrations, 2));
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await scratch.drop();
  });

  it('apply from zero, revert to zero, and apply again', async () => {
    expect(await tables(ds)).toEqual([]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual([
      'CoreSchema1764000000000',
      'EventOutbox1764000001000',
      'AppendMessageFunction1764000002000',
      'EnterpriseSeams1764000003000',
      'UserExtensions1764100001000',
      'DirectRooms1764100002000',
      'RoomInvites1764100003000',
      'RoomEvents1766200000000',
      'ReadState1766300000000',
      'LoginAttempts1766400000000',
      'RoomListIndex1766500000000',
      'MessageEventIndex1766600000000',
      'RoomListTriggerLiteral1766700000000',
      'MessageEventSeq1766800000000',
      'MessageSearch1766900000000',
      'ScheduledMessages1767000000000',
      'Attachments1767100000000',
      'Retention1767200000000',
      'SearchRecentByRoom1767300000000',
      'IsoTimeInlined1767400000000',
      'SearchIndexesByRoom1767500000000',
    ]);
    expect(await tables(ds)).toEqual(CORE_TABLES);
    expect(await ds.runMigrations()).toEqual([]); // idempotent: nothing pending
    for (let i = 0; i < coreMigrations.length; i++)
      await ds.undoLastMigration({ transaction: 'each' });
    expect(await tables(ds)).toEqual([]);
    await ds.runMigrations({ transaction: 'each' });
    expect(await tables(ds)).toEqual(CORE_TABLES);
  });

  it('the send path migration: down brings the triggers back, up gives each message its eventSeq', async () => {
    const owner = await insertUser(ds);
    const room = await insertRoom(ds, owner);
    const repo = new SqlMessageRepository(ds);
    const send = (i: number) =>
      repo.appendToRoom({
        roomId: room,
        userId: owner,
        content: `m${i}`,
        type: 'text',
        clientMsgId: `b${i}`,
      });
    const first = await send(0);
    await repo.react(room, first!.message.id, owner, ':x:', true, () => undefined);
    await send(1);
    const eventSeqs = () =>
      ds.query<{ seq: string; event_seq: string }[]>(
        `SELECT seq, event_seq FROM messages WHERE room_id = $1 ORDER BY seq`,
        [room],
      );
    expect(await eventSeqs()).toEqual([
      { seq: '1', event_seq: '1' },
      { seq: '2', event_seq: '3' },
    ]);
    await undoThrough(ds, [MessageEventSeq1766800000000]);
    const triggers = await ds.query<{ tgname: string }[]>(
      `SELECT tgname FROM pg_trigger WHERE tgname = 'rooms_activity'`,
    );
    expect(triggers.map((t) => t.tgname)).toEqual(['rooms_activity']);
    await ds.runMigrations({ transaction: 'each' });
    expect(await eventSeqs()).toEqual([
      { seq: '1', event_seq: '1' },
      { seq: '2', event_seq: '3' },
    ]);
  });

  it('never uses synchronize', () => {
    expect(ds.options.synchronize).toBe(false);
  });

  it('history pages can be served from the (room_id, seq) index, not a scan and sort', async () => {
    // An empty table favours a seq scan, so ask the planner whether the index path exists at all.
    const runner = ds.createQueryRunner();
    try {
      await runner.query(`SET enable_seqscan = off`);
      const plan = (await runner.query(
        `EXPLAIN SELECT * FROM messages WHERE room_id = '00000000-0000-4000-8000-000000000001' AND seq > 10 ORDER BY seq LIMIT 50`,
      )) as { 'QUERY PLAN': string }[];
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index Scan using messages_pkey/);
      expect(text).not.toMatch(/Sort/);
    } finally {
      await runner.release();
    }
  });

  it('a message is rendered with its timestamps inlined, not through a function call per value', async () => {
    // chat_message_view and chat_iso are SQL functions the planner can inline; a call that is
    // not inlined shows up by name in the plan (and costs the SQL-function executor per row).
    const plan = await ds.query<{ 'QUERY PLAN': string }[]>(
      `EXPLAIN (VERBOSE) SELECT chat_message_view(m, 'bob') FROM messages m`,
    );
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/to_char\(/);
    expect(text).not.toMatch(/chat_iso|chat_message_view/);
  });

  it('the people search (username prefix, by name) is one range scan of its index, no sort', async () => {
    const runner = ds.createQueryRunner();
    try {
      // As above: on empty tables, ask whether the ordered index path exists at all.
      await runner.query(`SET enable_seqscan = off`);
      await runner.query(`SET enable_bitmapscan = off`);
      const plan = (await runner.query(
        `EXPLAIN SELECT u.id FROM users u LEFT JOIN user_extensions e ON e.user_id = u.id
          WHERE lower(u.username) LIKE 'ali%' AND u.status = 'active' AND lower(u.username) ~>~ 'alice'
          ORDER BY lower(u.username) USING ~<~ LIMIT 51`,
      )) as { 'QUERY PLAN': string }[];
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index Scan using users_username_prefix_idx/);
      expect(text).not.toMatch(/Sort/);
    } finally {
      await runner.release();
    }
  });
});

describe('enterprise modules: each one adds its own tables, and only when its flag is on', () => {
  const MODULE_TABLES: Record<keyof FeatureFlags, string[]> = {
    enableOrganizations: ['org_departments', 'org_members', 'org_positions', 'organizations'],
    enableUserRoles: ['role_assignments', 'roles'],
    enableAdvancedAdmin: ['admin_audit', 'admin_instances', 'room_mutes', 'user_sanctions'],
    enableProxySystem: ['proxy_audit', 'proxy_grants'],
    enableBotMessages: ['bots', 'webhook_deliveries'],
    enableOnlineStatistics: ['stats_instances', 'ws_sessions'],
  };
  const off = loadFeatureFlags({}).flags;

  for (const flag of Object.keys(MODULE_TABLES) as (keyof FeatureFlags)[]) {
    it(`${flag}: core + its tables, reverted to zero, applied again`, async () => {
      const scratch = await createScratchDatabase();
      const ds = new DataSource(
        buildDataSourceOptions(scratch.url, migrationsFor({ ...off, [flag]: true }), 2),
      );
      await ds.initialize();
      try {
        const applied = await ds.runMigrations({ transaction: 'each' });
        expect(applied.length).toBe(coreMigrations.length + moduleMigrations[flag].length);
        const want = [...CORE_TABLES, ...MODULE_TABLES[flag]].sort();
        expect(await tables(ds)).toEqual(want);
        for (let i = 0; i < applied.length; i++)
          await ds.undoLastMigration({ transaction: 'each' });
        expect(await tables(ds)).toEqual([]);
        await ds.runMigrations({ transaction: 'each' });
        expect(await tables(ds)).toEqual(want);
      } finally {
        await ds.destroy();
        await scratch.drop();
      }
    });
  }

  it('every module at once, from zero and back', async () => {
    const scratch = await createScratchDatabase();
    const all = Object.fromEntries(
      Object.keys(off).map((k) => [k, true]),
    ) as unknown as FeatureFlags;
    const ds = new DataSource(buildDataSourceOptions(scratch.url, migrationsFor(all), 2));
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      expect(await tables(ds)).toEqual(
        [...CORE_TABLES, ...Object.values(MODULE_TABLES).flat()].sort(),
      );
      for (let i = 0; i < applied.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      expect(await tables(ds)).toEqual([]);
    } finally {
      await ds.destroy();
      await scratch.drop();
    }
  });
});
