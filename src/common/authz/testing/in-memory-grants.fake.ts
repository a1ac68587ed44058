import type { DataSource } from 'typeorm';
import type { FeaturesConfig } from '../../../config/configuration.js';
import { ChatExtensions } from '../../extensions/chat-extensions.js';
import { AuthorizationService } from '../authorization.service.js';
import {
  GLOBAL_SCOPE,
  type Permission,
  type PermissionResolver,
  type PermissionScope,
} from '../permissions.js';

const scopeKey = (s: PermissionScope) => (s.type === 'global' ? 'global' : `${s.type}:${s.id}`);

/**
 * Permissions granted in memory, as the roles module's resolver answers them: a grant holds in
 * its own scope, and a global grant everywhere.
 */
export class InMemoryGrants implements PermissionResolver {
  private readonly grants = new Set<string>();
  /** Every question asked, in order (`user permission scope`). */
  readonly asked: string[] = [];

  grant(userId: string, permission: Permission, scope: PermissionScope = GLOBAL_SCOPE): this {
    this.grants.add(`${userId} ${permission} ${scopeKey(scope)}`);
    return this;
  }

  has(userId: string, permission: Permission, scope: PermissionScope): Promise<boolean> {
    this.asked.push(`${userId} ${permission} ${scopeKey(scope)}`);
    return Promise.resolve(
      this.grants.has(`${userId} ${permission} ${scopeKey(scope)}`) ||
        this.grants.has(`${userId} ${permission} global`),
    );
  }
}

/**
 * The real AuthorizationService on in-memory parts: `grants` installed as the roles module
 * would (or none: the ADMIN_USERNAMES fallback), `admins` as that list, and `usernames` (id ->
 * username) as the users table the fallback reads.
 */
export function authorizationOf(
  opts: { grants?: InMemoryGrants; admins?: string[]; usernames?: Map<string, string> } = {},
): AuthorizationService {
  const ext = new ChatExtensions();
  if (opts.grants) ext.usePermissionResolver(opts.grants);
  const usernames = opts.usernames ?? new Map<string, string>();
  const users = {
    query: (_sql: string, [id]: [string]) =>
      Promise.resolve(usernames.has(id) ? [{ username: usernames.get(id) }] : []),
  } as unknown as DataSource;
  return new AuthorizationService(ext, users, {
    adminUsernames: opts.admins ?? [],
  } as unknown as FeaturesConfig);
}
