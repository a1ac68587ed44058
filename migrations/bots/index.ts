import type { MigrationClass } from '../types.js';

/** The bots module's migrations, applied only when its flag is on. */
export const botsMigrations: MigrationClass[] = [];
