import path from 'node:path';
import pg from 'pg';
import { describeOwner, liveOwner, ownerAlive, type DataDirOwner } from './data-dir-ownership.js';
import {
  embeddedDatabaseUrl,
  startEmbeddedPostgres,
  type EmbeddedNotice,
  type EmbeddedPostgresHandle,
} from './embedded-postgres.js';
import { EmbeddedPostgresError, EX_TEMPFAIL } from './embedded-postgres-errors.js';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  /** Set when this process attached to the embedded server another process owns. */
  attachedTo?: DataDirOwner;
  stop(): Promise<void>;
}

export interface ResolveDatabaseOptions {
  /**
   * Tools (CLI, migrations): when a live process owns the embedded server of DATA_DIR, connect
   * to it rather than start one (the service refuses instead: one server, one owner).
   */
  attach?: boolean;
  role?: string;
  httpPort?: number | null;
  notice?: EmbeddedNotice;
}

/** Waits (bounded) until the owner's server accepts connections: it may still be starting. */
async function waitUntilAccepting(owner: DataDirOwner, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: embeddedDatabaseUrl(owner.port, 'postgres') });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (!ownerAlive(owner) || Date.now() > deadline)
        throw new EmbeddedPostgresError(
          `could not reach the embedded PostgreSQL of ${describeOwner(owner)}: ${
            err instanceof Error ? err.message : String(err)
          }`,
          EX_TEMPFAIL,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** DATABASE_URL when given; otherwise a real embedded PostgreSQL under DATA_DIR/postgres. */
export async function resolveDatabase(
  cfg: { url: string | null; dataDir: string; embeddedPort: number },
  opts: ResolveDatabaseOptions = {},
): Promise<ResolvedDatabase> {
  if (cfg.url) return { url: cfg.url, embedded: false, stop: async () => undefined };
  const dataDir = path.resolve(cfg.dataDir, 'postgres');
  if (opts.attach) {
    const owner = liveOwner(dataDir);
    if (owner) {
      await waitUntilAccepting(owner);
      return {
        url: embeddedDatabaseUrl(owner.port),
        embedded: true,
        attachedTo: owner,
        stop: async () => undefined, // the owner's server: never ours to stop
      };
    }
  }
  const handle: EmbeddedPostgresHandle = await startEmbeddedPostgres(dataDir, {
    port: cfg.embeddedPort,
    role: opts.role,
    httpPort: opts.httpPort,
    notice: opts.notice,
  });
  return { url: handle.url, embedded: true, stop: () => handle.stop() };
}
