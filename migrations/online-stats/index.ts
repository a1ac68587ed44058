import type { MigrationClass } from '../types.js';

/** The online-stats module's migrations, applied only when its flag is on. */
export const onlineStatsMigrations: MigrationClass[] = [];
