import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type {
  Permission,
  PermissionResolver,
  PermissionScope,
} from '../../common/authz/permissions.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import { featuresConfig, type FeaturesConfig } from '../../config/configuration.js';
import { BUILT_IN_ROLES, checkableScope } from './domain/role.js';
import { RoleRepository } from './domain/role.repository.js';

const MEMBER_PERMISSIONS: readonly Permission[] = BUILT_IN_ROLES.member.permissions;

/**
 * The answer to AuthorizationService.can while the roles module is on: a user holds a
 * permission in a scope when a role assigned to them globally, in the scope, or (for a room)
 * in the room's organisation carries it. Everyone holds `member` everywhere; the users named in
 * ADMIN_USERNAMES are global admins. One SQL read per check.
 */
@Injectable()
export class RolesPermissionResolver implements PermissionResolver, OnModuleInit {
  private readonly configuredAdmins: Set<string>;

  constructor(
    private readonly roles: RoleRepository,
    private readonly ext: ChatExtensions,
    @Inject(featuresConfig.KEY) features: FeaturesConfig,
  ) {
    this.configuredAdmins = new Set(features.adminUsernames.map((u) => u.toLowerCase()));
  }

  onModuleInit(): void {
    this.ext.usePermissionResolver(this);
  }

  async has(userId: string, permission: Permission, scope: PermissionScope): Promise<boolean> {
    const { username, granted } = await this.roles.check(userId, permission, checkableScope(scope));
    if (username === null) return false;
    return granted || MEMBER_PERMISSIONS.includes(permission) || this.isConfiguredAdmin(username);
  }

  isConfiguredAdmin(username: string): boolean {
    return this.configuredAdmins.has(username.toLowerCase());
  }
}
