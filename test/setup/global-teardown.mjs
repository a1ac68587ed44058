import pg from 'pg';
import { stopBrokerIfStarted } from '../../scripts/kafka-broker.mjs';
import { stopS3Proxy } from '../../scripts/s3proxy.mjs';

const dbName = (url) => (url ? new URL(url).pathname.slice(1) : null);

export default async function globalTeardown() {
  const server = process.env.TEST_DB_SERVER_URL;
  const workers = Number(process.env.TEST_DB_WORKERS ?? 0);
  const dbs = [process.env.CORE_DATABASE_URL, process.env.ENTERPRISE_DATABASE_URL]
    .map(dbName)
    .filter((d) => d?.startsWith('chat_test_'))
    .flatMap((d) => [d, ...Array.from({ length: workers }, (_, i) => `${d}_w${i + 1}`)]);
  if (server && dbs.length > 0 && process.env.KEEP_TEST_DB !== '1') {
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    for (const db of dbs)
      await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  await globalThis.__TEST_DB_STOP__?.();
  const s3 = globalThis.__S3PROXY__;
  if (s3) await stopS3Proxy(s3.pid, s3.dir);
  if (process.env.KEEP_KAFKA !== '1')
    await stopBrokerIfStarted({ env: { DATA_DIR: process.env.KAFKA_BROKER_DATA_DIR ?? '' } });
}
