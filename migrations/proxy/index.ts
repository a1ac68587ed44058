import type { MigrationClass } from '../types.js';
import { ProxyGrants1765300000000 } from './1765300000000-ProxyGrants.js';

/** The proxy module's migrations, applied only when its flag is on. */
export const proxyMigrations: MigrationClass[] = [ProxyGrants1765300000000];
