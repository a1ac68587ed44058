import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module.js';
import { UsersModule } from '../users/users.module.js';
import { OrgDirectory } from './domain/org-directory.js';
import { SessionLedger } from './domain/session-ledger.js';
import { SqlOrgDirectory } from './infrastructure/persistence/sql-org-directory.js';
import { SqlSessionLedger } from './infrastructure/persistence/sql-session-ledger.js';
import { InstanceLeaseService } from './instance-lease.service.js';
import { OnlineStatsController } from './online-stats.controller.js';
import { OnlineTimeService } from './online-time.service.js';
import { OrgOnlineStatsController } from './org-online-stats.controller.js';
import { PresenceController } from './presence.controller.js';
import { PresenceService } from './presence.service.js';
import { StatsInstance } from './stats-instance.js';
import { OnlineStatsProtocolDocs } from './online-stats.protocol.js';

export interface OnlineStatsOptions {
  /** The organisations module is on too: adds the per-department roll-up. */
  organizations?: boolean;
}

/**
 * Online statistics (FEATURE_ONLINE_STATISTICS): records every WebSocket session with its
 * instance, announces presence, answers online time; instances hold leases so a dead one's
 * sessions get closed. Registered by AppModule.forRoot only when the flag is on.
 */
@Module({})
export class OnlineStatsModule {
  static forRoot(opts: OnlineStatsOptions = {}): DynamicModule {
    const controllers: Type[] = [PresenceController, OnlineStatsController];
    const providers: Provider[] = [
      OnlineStatsProtocolDocs,
      StatsInstance,
      { provide: SessionLedger, useClass: SqlSessionLedger },
      PresenceService,
      InstanceLeaseService,
      OnlineTimeService,
    ];
    if (opts.organizations) {
      controllers.push(OrgOnlineStatsController);
      providers.push({ provide: OrgDirectory, useClass: SqlOrgDirectory });
    }
    return {
      module: OnlineStatsModule,
      imports: [RoomsModule, UsersModule],
      controllers,
      providers,
    };
  }
}
