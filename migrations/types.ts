export type MigrationClass = new () => unknown;
