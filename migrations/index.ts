import type { FeatureFlags } from '../src/config/configuration.js';
import { CoreSchema1764000000000 } from './1764000000000-CoreSchema.js';
import { EventOutbox1764000001000 } from './1764000001000-EventOutbox.js';
import { AppendMessageFunction1764000002000 } from './1764000002000-AppendMessageFunction.js';

export type MigrationClass = new () => unknown;

/** The core's migrations, always applied. */
export const coreMigrations: MigrationClass[] = [
  CoreSchema1764000000000,
  EventOutbox1764000001000,
  AppendMessageFunction1764000002000,
];

/**
 * Migrations to apply for a set of flags: the core's, then each enabled enterprise module's
 * own (a module that is off creates no tables).
 */
export function migrationsFor(_flags: FeatureFlags): MigrationClass[] {
  return [...coreMigrations];
}
