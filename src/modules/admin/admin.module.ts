import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminAuditController } from './admin-audit.controller.js';
import { AdminModerationController } from './admin-moderation.controller.js';
import { AdminSweeper } from './admin-sweeper.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminGateway } from './admin.gateway.js';
import { AuditService } from './audit.service.js';
import { ClusterOverviewService } from './cluster-overview.service.js';
import {
  AuditRepository,
  MuteRepository,
  OverviewRepository,
  SanctionRepository,
} from './domain/admin.repository.js';
import { SqlAuditRepository } from './infrastructure/persistence/sql-audit.repository.js';
import { SqlMuteRepository } from './infrastructure/persistence/sql-mute.repository.js';
import { SqlOverviewRepository } from './infrastructure/persistence/sql-overview.repository.js';
import { SqlSanctionRepository } from './infrastructure/persistence/sql-sanction.repository.js';
import { ModerationService } from './moderation.service.js';
import { MuteEnforcer } from './mute-enforcer.js';
import { UserSanctionsService } from './user-sanctions.service.js';
import { AdminProtocolDocs } from './admin.protocol.js';

/**
 * Advanced admin (FEATURE_ADVANCED_ADMIN): user sanctions, moderation (delete any message,
 * mute, kick), the append-only audit log and the cluster overview. Registered by
 * AppModule.forRoot only when its flag is on.
 */
@Module({})
export class AdminModule {
  static forRoot(): DynamicModule {
    return {
      module: AdminModule,
      imports: [AuthModule, UsersModule, RoomsModule, MessagesModule, RealtimeModule],
      controllers: [AdminUsersController, AdminModerationController, AdminAuditController],
      providers: [
        AdminProtocolDocs,
        { provide: SanctionRepository, useClass: SqlSanctionRepository },
        { provide: MuteRepository, useClass: SqlMuteRepository },
        { provide: AuditRepository, useClass: SqlAuditRepository },
        { provide: OverviewRepository, useClass: SqlOverviewRepository },
        AuditService,
        UserSanctionsService,
        ModerationService,
        MuteEnforcer,
        AdminSweeper,
        ClusterOverviewService,
        AdminGateway,
      ],
    };
  }
}
