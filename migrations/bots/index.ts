import type { MigrationClass } from '../types.js';
import { BotsSchema1765400000000 } from './1765400000000-BotsSchema.js';

/** The bots module's migrations, applied only when its flag is on. */
export const botsMigrations: MigrationClass[] = [BotsSchema1765400000000];
