import { Module, type DynamicModule } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module.js';
import { RoleRepository } from './domain/role.repository.js';
import { SqlRoleRepository } from './infrastructure/persistence/sql-role.repository.js';
import { RolesPermissionResolver } from './roles-permission.resolver.js';
import { RolesController } from './roles.controller.js';
import { RolesService } from './roles.service.js';
import { UserRolesController } from './user-roles.controller.js';

/**
 * User roles and permissions (FEATURE_USER_ROLES). Installs the permission resolver that
 * AuthorizationService consults, and serves roles, the catalogue and assignments.
 */
@Module({})
export class RolesModule {
  static forRoot(): DynamicModule {
    return {
      module: RolesModule,
      imports: [RoomsModule],
      controllers: [RolesController, UserRolesController],
      providers: [
        RolesService,
        RolesPermissionResolver,
        { provide: RoleRepository, useClass: SqlRoleRepository },
      ],
      exports: [RolesService],
    };
  }
}
