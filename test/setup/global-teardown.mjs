import pg from 'pg';
import { stopBrokerIfStarted } from '../../scripts/kafka-broker.mjs';

export default async function globalTeardown() {
  const server = process.env.TEST_DB_SERVER_URL;
  const db = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL).pathname.slice(1) : null;
  if (server && db?.startsWith('chat_test_') && process.env.KEEP_TEST_DB !== '1') {
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  await globalThis.__TEST_DB_STOP__?.();
  if (process.env.KEEP_KAFKA !== '1')
    await stopBrokerIfStarted({ env: { DATA_DIR: process.env.KAFKA_BROKER_DATA_DIR ?? '' } });
}
