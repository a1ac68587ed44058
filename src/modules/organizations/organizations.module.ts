import { Module, type DynamicModule } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module.js';
import { OrganizationRepository } from './domain/organization.repository.js';
import { SqlOrganizationRepository } from './infrastructure/persistence/sql-organization.repository.js';
import { OrgRoomPolicy } from './org-room.policy.js';
import { OrgStructureController } from './org-structure.controller.js';
import { OrganizationsController } from './organizations.controller.js';
import { OrganizationsService } from './organizations.service.js';
import { OrganizationsProtocolDocs } from './organizations.protocol.js';

/**
 * Organisations with a department tree, positions and members, and organisation rooms
 * (FEATURE_ORGANIZATIONS). Registered by AppModule.forRoot only when the flag is on.
 */
@Module({})
export class OrganizationsModule {
  static forRoot(): DynamicModule {
    return {
      module: OrganizationsModule,
      imports: [RoomsModule],
      controllers: [OrganizationsController, OrgStructureController],
      providers: [
        OrganizationsProtocolDocs,
        OrganizationsService,
        OrgRoomPolicy,
        { provide: OrganizationRepository, useClass: SqlOrganizationRepository },
      ],
    };
  }
}
