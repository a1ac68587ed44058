import type { MigrationClass } from '../types.js';

/** The admin module's migrations, applied only when its flag is on. */
export const adminMigrations: MigrationClass[] = [];
