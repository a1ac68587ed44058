import type { FeatureFlags } from '../src/config/configuration.js';
import { CoreSchema1764000000000 } from './1764000000000-CoreSchema.js';
import { EventOutbox1764000001000 } from './1764000001000-EventOutbox.js';
import { AppendMessageFunction1764000002000 } from './1764000002000-AppendMessageFunction.js';
import { EnterpriseSeams1764000003000 } from './1764000003000-EnterpriseSeams.js';
import { UserExtensions1764100001000 } from './1764100001000-UserExtensions.js';
import { DirectRooms1764100002000 } from './1764100002000-DirectRooms.js';
import { RoomInvites1764100003000 } from './1764100003000-RoomInvites.js';
import { RoomEvents1766200000000 } from './1766200000000-RoomEvents.js';
import { ReadState1766300000000 } from './1766300000000-ReadState.js';
import { LoginAttempts1766400000000 } from './1766400000000-LoginAttempts.js';
import { RoomListIndex1766500000000 } from './1766500000000-RoomListIndex.js';
import { MessageEventIndex1766600000000 } from './1766600000000-MessageEventIndex.js';
import { RoomListTriggerLiteral1766700000000 } from './1766700000000-RoomListTriggerLiteral.js';
import { MessageEventSeq1766800000000 } from './1766800000000-MessageEventSeq.js';
import { MessageSearch1766900000000 } from './1766900000000-MessageSearch.js';
import { ScheduledMessages1767000000000 } from './1767000000000-ScheduledMessages.js';
import { Attachments1767100000000 } from './1767100000000-Attachments.js';
import { Retention1767200000000 } from './1767200000000-Retention.js';
import { SearchRecentByRoom1767300000000 } from './1767300000000-SearchRecentByRoom.js';
import { IsoTimeInlined1767400000000 } from './1767400000000-IsoTimeInlined.js';
import { SearchIndexesByRoom1767500000000 } from './1767500000000-SearchIndexesByRoom.js';
import { adminMigrations } from './admin/index.js';
import { botsMigrations } from './bots/index.js';
import { onlineStatsMigrations } from './online-stats/index.js';
import { organizationsMigrations } from './organizations/index.js';
import { proxyMigrations } from './proxy/index.js';
import { rolesMigrations } from './roles/index.js';
import type { MigrationClass } from './types.js';

export type { MigrationClass };

/** The core's migrations, always applied. */
export const coreMigrations: MigrationClass[] = [
  CoreSchema1764000000000,
  EventOutbox1764000001000,
  AppendMessageFunction1764000002000,
  EnterpriseSeams1764000003000,
  UserExtensions1764100001000,
  DirectRooms1764100002000,
  RoomInvites1764100003000,
  RoomEvents1766200000000,
  ReadState1766300000000,
  LoginAttempts1766400000000,
  RoomListIndex1766500000000,
  MessageEventIndex1766600000000,
  RoomListTriggerLiteral1766700000000,
  MessageEventSeq1766800000000,
  MessageSearch1766900000000,
  ScheduledMessages1767000000000,
  Attachments1767100000000,
  Retention1767200000000,
  SearchRecentByRoom1767300000000,
  IsoTimeInlined1767400000000,
  SearchIndexesByRoom1767500000000,
];

/** Each enterprise module's own migrations, keyed by the flag that turns it on. */
export const moduleMigrations: Record<keyof FeatureFlags, MigrationClass[]> = {
  enableOrganizations: organizationsMigrations,
  enableUserRoles: rolesMigrations,
  enableAdvancedAdmin: adminMigrations,
  enableProxySystem: proxyMigrations,
  enableBotMessages: botsMigrations,
  enableOnlineStatistics: onlineStatsMigrations,
};

/**
 * Migrations to apply for a set of flags: the core's, then each enabled enterprise module's
 * own (a module that is off creates no tables). TypeORM runs them in timestamp order.
 */
export function migrationsFor(flags: FeatureFlags): MigrationClass[] {
  const out = [...coreMigrations];
  for (const [flag, list] of Object.entries(moduleMigrations) as [
    keyof FeatureFlags,
    MigrationClass[],
  ][])
    if (flags[flag]) out.push(...list);
  return out;
}
