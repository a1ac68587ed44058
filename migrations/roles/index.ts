import type { MigrationClass } from '../types.js';
import { RolesSchema1765100000000 } from './1765100000000-RolesSchema.js';

/** The roles module's migrations, applied only when its flag is on. */
export const rolesMigrations: MigrationClass[] = [RolesSchema1765100000000];
