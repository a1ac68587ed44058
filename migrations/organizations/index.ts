import type { MigrationClass } from '../types.js';
import { OrganizationsSchema1765000000000 } from './1765000000000-OrganizationsSchema.js';

/** The organizations module's migrations, applied only when its flag is on. */
export const organizationsMigrations: MigrationClass[] = [OrganizationsSchema1765000000000];
