import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { featuresConfig, type FeaturesConfig } from '../../config/configuration.js';
import { ChatExtensions } from '../extensions/chat-extensions.js';
import { GLOBAL_SCOPE, type Permission, type PermissionScope } from './permissions.js';

/**
 * "May this user do this?" for every context. With the roles module on, its resolver answers
 * (roles assigned globally, per org or per room). Without it, the users named in ADMIN_USERNAMES
 * hold every permission and nobody else holds any, so with that list empty the core's own rules
 * (room owner, member) are all there is.
 */
@Injectable()
export class AuthorizationService {
  private readonly admins: Set<string>;

  constructor(
    private readonly ext: ChatExtensions,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(featuresConfig.KEY) features: FeaturesConfig,
  ) {
    this.admins = new Set(features.adminUsernames.map((u) => u.toLowerCase()));
  }

  async can(
    userId: string,
    permission: Permission,
    scope: PermissionScope = GLOBAL_SCOPE,
  ): Promise<boolean> {
    const resolver = this.ext.permissionResolver;
    if (resolver) return resolver.has(userId, permission, scope);
    return this.isConfiguredAdmin(userId);
  }

  /** Whether the user is named in ADMIN_USERNAMES (read fresh: usernames can change). */
  async isConfiguredAdmin(userId: string): Promise<boolean> {
    if (this.admins.size === 0) return false;
    const rows = await this.ds.query<{ username: string }[]>(
      `SELECT username FROM users WHERE id = $1`,
      [userId],
    );
    return rows.length > 0 && this.admins.has(rows[0].username.toLowerCase());
  }
}
