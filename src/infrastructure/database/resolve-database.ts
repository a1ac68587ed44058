import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.js';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when given; otherwise a real embedded PostgreSQL under DATA_DIR/postgres. */
export async function resolveDatabase(cfg: {
  url: string | null;
  dataDir: string;
  embeddedPort: number;
}): Promise<ResolvedDatabase> {
  if (cfg.url) return { url: cfg.url, embedded: false, stop: async () => undefined };
  const handle: EmbeddedPostgresHandle = await startEmbeddedPostgres(
    path.join(cfg.dataDir, 'postgres'),
    { port: cfg.embeddedPort },
  );
  return { url: handle.url, embedded: true, stop: () => handle.stop() };
}
