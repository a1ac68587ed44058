import { Module, type DynamicModule } from '@nestjs/common';
import { migrationsFor } from '../migrations/index.js';
import { AppConfigModule } from './config/app-config.module.js';
import type { FeatureFlags } from './config/configuration.js';
import type { AppConfig } from './config/load-config.js';
import { DatabaseModule } from './infrastructure/database/database.module.js';
import { AsyncApiModule } from './infrastructure/asyncapi/asyncapi.module.js';
import { OpenApiModule } from './infrastructure/openapi/openapi.module.js';
import { EventBusModule } from './infrastructure/event-bus/event-bus.module.js';
import { HealthModule } from './infrastructure/health/health.module.js';
import { MetricsModule } from './infrastructure/metrics/metrics.module.js';
import { SecurityModule } from './infrastructure/security/security.module.js';
import { ExtensionsModule } from './common/extensions/extensions.module.js';
import { AdminModule } from './modules/admin/admin.module.js';
import { AttachmentsModule } from './modules/attachments/attachments.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { BotsModule } from './modules/bots/bots.module.js';
import { OnlineStatsModule } from './modules/online-stats/online-stats.module.js';
import { OrganizationsModule } from './modules/organizations/organizations.module.js';
import { ProxyModule } from './modules/proxy/proxy.module.js';
import { RolesModule } from './modules/roles/roles.module.js';
import { FeaturesModule } from './modules/features/features.module.js';
import { MessagesModule } from './modules/messages/messages.module.js';
import { ReadStateModule } from './modules/read-state/read-state.module.js';
import { RealtimeModule } from './modules/realtime/realtime.module.js';
import { RoomEventsModule } from './modules/room-events/room-events.module.js';
import { RoomsModule } from './modules/rooms/rooms.module.js';
import { ScheduledMessagesModule } from './modules/scheduled/scheduled-messages.module.js';
import { RetentionModule } from './modules/retention/retention.module.js';
import { SearchModule } from './modules/search/search.module.js';
import { UsersModule } from './modules/users/users.module.js';

export interface AppModuleOptions {
  /** Validated by loadConfig before anything started. */
  config: AppConfig;
  /** Resolved connection string (the embedded server's when DATABASE_URL is unset). */
  databaseUrl: string;
}

/**
 * The enterprise modules for a set of validated flags; a module that is off is not imported at
 * all (no routes, no gateway events, no providers, no checks).
 */
export function enterpriseModules(flags: FeatureFlags): DynamicModule[] {
  return [
    ...(flags.enableUserRoles ? [RolesModule.forRoot()] : []),
    ...(flags.enableOrganizations ? [OrganizationsModule.forRoot()] : []),
    ...(flags.enableAdvancedAdmin ? [AdminModule.forRoot()] : []),
    ...(flags.enableProxySystem ? [ProxyModule.forRoot()] : []),
    ...(flags.enableBotMessages ? [BotsModule.forRoot()] : []),
    ...(flags.enableOnlineStatistics
      ? [OnlineStatsModule.forRoot({ organizations: flags.enableOrganizations })]
      : []),
  ];
}

/**
 * The composition root. Core contexts always load; enterprise modules are chosen here from the
 * validated flags, never at import time.
 */
@Module({})
export class AppModule {
  static forRoot(opts: AppModuleOptions): DynamicModule {
    const { flags } = opts.config.features;
    const enterprise = enterpriseModules(flags);
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(opts.config),
        DatabaseModule.forRoot({ url: opts.databaseUrl, migrations: migrationsFor(flags) }),
        EventBusModule.forRoot({ driver: opts.config.bus.driver }),
        MetricsModule.forRoot({ endpoint: opts.config.operations.metrics.enabled }),
        SecurityModule,
        AsyncApiModule,
        OpenApiModule,
        ExtensionsModule,
        HealthModule,
        FeaturesModule,
        UsersModule,
        AuthModule,
        RoomsModule,
        AttachmentsModule,
        MessagesModule,
        ReadStateModule,
        ScheduledMessagesModule,
        SearchModule,
        RetentionModule,
        RoomEventsModule,
        RealtimeModule,
        ...enterprise,
      ],
    };
  }
}
