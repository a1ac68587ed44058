// npm run cli -- <command> [args]     (operator commands; `npm run cli -- help` lists them)
// Uses the same configuration as the service: DATABASE_URL, or the embedded PostgreSQL under
// DATA_DIR (the running service's, when one is up), and the FEATURE_* flags.
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { migrationsFor } from '../../migrations/index.js';
import type { DatabaseConfig } from '../config/configuration.js';
import { loadConfig } from '../config/load-config.js';
import { ConfigValidationError } from '../config/validate-env.js';
import { buildDataSourceOptions } from '../infrastructure/database/data-source-options.js';
import { EmbeddedPostgresError } from '../infrastructure/database/embedded-postgres-errors.js';
import { runMigrationsLocked } from '../infrastructure/database/migrate.js';
import {
  resolveDatabase,
  type ResolvedDatabase,
} from '../infrastructure/database/resolve-database.js';
import { ADMIN_ROLE_ID } from '../modules/roles/domain/role.js';
import { SqlRoleRepository } from '../modules/roles/infrastructure/persistence/sql-role.repository.js';

const USAGE = `usage: npm run cli -- <command>

commands:
  grant-admin <username>   make the user a global admin (needs FEATURE_USER_ROLES=true)
  help                     this text`;

/** A failure to report in one line and exit 1 with (no stack trace: these are expected). */
class CliError extends Error {}

async function main(argv: string[]): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // TypeORM's schema and migration news go through Nest's logger: keep the output to what we say.
  Logger.overrideLogger(['warn', 'error']);
  const [command, ...args] = argv;
  switch (command) {
    case 'grant-admin':
      if (args.length !== 1 || !args[0])
        throw new CliError(`grant-admin needs one username\n${USAGE}`);
      return grantAdmin(args[0]);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new CliError(`unknown command: ${command}\n${USAGE}`);
  }
}

/** Assigns the built-in admin role globally (idempotent); the first admin comes from here. */
async function grantAdmin(username: string): Promise<void> {
  const config = loadConfig(process.env); // the service's own validation
  const { flags } = config.features;
  if (!flags.enableUserRoles)
    throw new CliError(
      'grant-admin needs the roles module: set FEATURE_USER_ROLES=true (as for the service)',
    );
  await withDatabase(config.database, migrationsFor(flags), async (ds) => {
    const roles = new SqlRoleRepository(ds);
    const user = await roles.findUserByUsername(username);
    if (!user) throw new CliError(`no user named ${username}`);
    const { created } = await roles.assign({
      userId: user.id,
      roleId: ADMIN_ROLE_ID,
      scope: { type: 'global' },
      createdBy: null,
    });
    console.log(
      created
        ? `granted admin (global) to ${user.username} (${user.id})`
        : `${user.username} (${user.id}) already holds admin (global); nothing changed`,
    );
  });
}

/** Connects as the service would, applies its pending migrations, runs `fn`, disconnects. */
async function withDatabase(
  cfg: DatabaseConfig,
  migrations: (new () => unknown)[],
  fn: (ds: DataSource) => Promise<void>,
): Promise<void> {
  const db = await connectDatabase(cfg);
  try {
    const ds = new DataSource(buildDataSourceOptions(db.url, migrations, 2));
    await ds.initialize();
    try {
      const applied = await runMigrationsLocked(ds);
      if (applied.length) console.log(`applied migrations: ${applied.join(', ')}`);
      await fn(ds);
    } finally {
      await ds.destroy();
    }
  } finally {
    await db.stop();
  }
}

/**
 * DATABASE_URL, or the embedded PostgreSQL under DATA_DIR. When a running service already
 * owns that embedded server, this connects to it instead of starting (and so stopping) it.
 */
async function connectDatabase(cfg: DatabaseConfig): Promise<ResolvedDatabase> {
  return resolveDatabase(cfg, { attach: true, role: 'npm run cli' });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(
    err instanceof EmbeddedPostgresError
      ? err.exitCode
      : err instanceof ConfigValidationError
        ? 78 // EX_CONFIG, as the service
        : 1,
  );
});
