import type { MigrationClass } from '../types.js';

/** The organizations module's migrations, applied only when its flag is on. */
export const organizationsMigrations: MigrationClass[] = [];
