// npm run migration:run | migration:revert | migration:generate -- <Name>
// Uses the same configuration as the service (DATABASE_URL, or the embedded PostgreSQL under DATA_DIR).
import 'reflect-metadata';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { migrationsFor } from '../../migrations/index.js';
import { loadConfig } from '../config/load-config.js';
import { ConfigValidationError } from '../config/validate-env.js';
import { buildDataSourceOptions } from '../infrastructure/database/data-source-options.js';
import { EmbeddedPostgresError } from '../infrastructure/database/embedded-postgres-errors.js';
import { runMigrationsLocked } from '../infrastructure/database/migrate.js';
import { resolveDatabase } from '../infrastructure/database/resolve-database.js';
import { UserEntity } from '../modules/users/infrastructure/persistence/user.entity.js';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const [command, name] = process.argv.slice(2);
  const config = loadConfig(process.env); // the service's own validation, before any database
  // Attaches to the embedded server of a running service rather than starting one.
  const db = await resolveDatabase(config.database, { attach: true, role: 'npm run migration' });
  const ds = new DataSource({
    ...buildDataSourceOptions(db.url, migrationsFor(config.features.flags), 2),
    entities: [UserEntity],
  });
  await ds.initialize();
  try {
    if (command === 'run') {
      const applied = await runMigrationsLocked(ds);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply');
    } else if (command === 'revert') {
      await ds.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
    } else if (command === 'generate') {
      if (!name || !/^[A-Za-z][A-Za-z0-9]*$/.test(name))
        throw new Error('usage: migration:generate -- <PascalCaseName>');
      // Most tables are written with plain SQL and have no entity; this diffs the ones that do.
      const sql = await ds.driver.createSchemaBuilder().log();
      const ts = Date.now();
      const esc = (q: string) => q.replace(/`/g, '\\`');
      const up = sql.upQueries.map((q) => `    await q.query(\`${esc(q.query)}\`);`).join('\n');
      const down = sql.downQueries.map((q) => `    await q.query(\`${esc(q.query)}\`);`).join('\n');
      mkdirSync('migrations', { recursive: true });
      const file = `migrations/${ts}-${name}.ts`;
      writeFileSync(
        file,
        `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${name}${ts} implements MigrationInterface {\n  name = '${name}${ts}';\n\n  async up(q: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(q: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
      );
      console.log(
        `wrote ${file} (${sql.upQueries.length} statements); add it to migrations/index.ts`,
      );
    } else {
      throw new Error('usage: migrate.js run|revert|generate <Name>');
    }
  } finally {
    await ds.destroy();
    await db.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(
    err instanceof EmbeddedPostgresError
      ? err.exitCode
      : err instanceof ConfigValidationError
        ? 78 // EX_CONFIG, as the service
        : 1,
  );
});
