import 'reflect-metadata';
import { existsSync } from 'node:fs';
import exitHook from 'async-exit-hook';
import { loadConfig, type AppConfig } from './config/load-config.js';
import { ConfigValidationError } from './config/validate-env.js';
import { createApp } from './app.factory.js';
import { EmbeddedPostgresError } from './infrastructure/database/embedded-postgres-errors.js';
import { resolveDatabase } from './infrastructure/database/resolve-database.js';
import { createRootLogger } from './infrastructure/logging/logger.js';

const LISTEN_BACKLOG = 4096;
/** Nest passes the arguments after the port to Node's server.listen(port, backlog). */
type ListenWithBacklog = (port: number, backlog: number) => Promise<unknown>;

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // Every setting is validated here, before anything starts: a bad one is one line and EX_CONFIG.
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const { http, database: db } = config;
  const log = createRootLogger(http.logLevel);
  const database = await resolveDatabase(db, {
    httpPort: http.port,
    notice: (fields, msg) => log.warn(fields, msg),
  });
  if (database.embedded) {
    // embedded-postgres stops its server on SIGTERM/SIGINT by itself, racing our graceful
    // shutdown; take those signals back so sockets close first and the database goes last.
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) exitHook.unhookEvent(sig);
    log.info({ dataDir: db.dataDir }, 'started embedded PostgreSQL');
  }

  let app;
  try {
    app = await createApp({ config, databaseUrl: database.url, logger: log });
  } catch (err) {
    await database.stop();
    throw err;
  }
  // Nest closes the app on SIGTERM/SIGINT (enableShutdownHooks); the embedded server goes last.
  const stopDb = async () => {
    await database.stop().catch(() => undefined);
  };
  process.once('beforeExit', () => void stopDb());
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(sig, () => {
      log.info({ signal: sig }, 'shutting down');
      void app
        .close()
        .catch((err: unknown) => log.error({ err: String(err) }, 'shutdown error'))
        .then(stopDb)
        .then(() => process.exit(0));
    });
  }
  // Node's default accept queue is 511: a reconnect storm (thousands of sockets opening at once
  // after a deploy or a network blip) overflows it, and every dropped SYN costs its client a 1 s
  // retransmit (then 3 s). The kernel caps the backlog at net.core.somaxconn.
  await (app.listen.bind(app) as unknown as ListenWithBacklog)(http.port, LISTEN_BACKLOG);
  log.info({ port: http.port, url: await app.getUrl() }, 'chat backend listening');
}

bootstrap().catch((err: unknown) => {
  if (err instanceof EmbeddedPostgresError) {
    console.error(err.message); // the operator's to act on: one line, no stack
    process.exit(err.exitCode);
  }
  console.error(err);
  process.exit(1);
});
