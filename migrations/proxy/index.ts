import type { MigrationClass } from '../types.js';

/** The proxy module's migrations, applied only when its flag is on. */
export const proxyMigrations: MigrationClass[] = [];
