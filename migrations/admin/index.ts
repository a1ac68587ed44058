import type { MigrationClass } from '../types.js';
import { AdminSchema1765200000000 } from './1765200000000-AdminSchema.js';

/** The admin module's migrations, applied only when its flag is on. */
export const adminMigrations: MigrationClass[] = [AdminSchema1765200000000];
