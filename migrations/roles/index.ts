import type { MigrationClass } from '../types.js';

/** The roles module's migrations, applied only when its flag is on. */
export const rolesMigrations: MigrationClass[] = [];
