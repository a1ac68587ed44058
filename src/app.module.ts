import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { migrationsFor } from '../migrations/index.js';
import { allConfigs, type FeatureFlags } from './config/configuration.js';
import { DatabaseModule } from './infrastructure/database/database.module.js';
import {
  EventBusModule,
  type EventBusDriver,
} from './infrastructure/event-bus/event-bus.module.js';
import { HealthModule } from './infrastructure/health/health.module.js';
import { MetricsModule } from './infrastructure/metrics/metrics.module.js';
import { SecurityModule } from './infrastructure/security/security.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { FeaturesModule } from './modules/features/features.module.js';
import { MessagesModule } from './modules/messages/messages.module.js';
import { RealtimeModule } from './modules/realtime/realtime.module.js';
import { RoomsModule } from './modules/rooms/rooms.module.js';
import { UsersModule } from './modules/users/users.module.js';

export interface AppModuleOptions {
  databaseUrl: string;
  flags: FeatureFlags;
  busDriver: EventBusDriver;
}

/**
 * The composition root. Core contexts always load; enterprise modules are chosen here from the
 * validated flags (none ships yet: each arrives with its own issue), never at import time.
 */
@Module({})
export class AppModule {
  static forRoot(opts: AppModuleOptions): DynamicModule {
    const enterprise: DynamicModule[] = [];
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, load: allConfigs, ignoreEnvFile: true }),
        DatabaseModule.forRoot({ url: opts.databaseUrl, migrations: migrationsFor(opts.flags) }),
        EventBusModule.forRoot({ driver: opts.busDriver }),
        MetricsModule,
        SecurityModule,
        HealthModule,
        FeaturesModule,
        UsersModule,
        AuthModule,
        RoomsModule,
        MessagesModule,
        RealtimeModule,
        ...enterprise,
      ],
    };
  }
}
