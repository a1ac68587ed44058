import type { MigrationClass } from '../types.js';
import { OnlineStatsSchema1765500000000 } from './1765500000000-OnlineStatsSchema.js';

/** The online-stats module's migrations, applied only when its flag is on. */
export const onlineStatsMigrations: MigrationClass[] = [OnlineStatsSchema1765500000000];
