import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor } from '../../common/cursor.js';
import { Errors } from '../../common/errors/domain-error.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { checkExtensionsPatch, mergeExtensions } from './domain/user-extensions.js';
import { publicProfile, type PublicProfile, type User } from './domain/user.js';
import { UserRepository, type ProfilePatch } from './domain/user.repository.js';

@Injectable()
export class UsersService {
  constructor(private readonly users: UserRepository) {}

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    return user;
  }

  async profile(id: string): Promise<PublicProfile> {
    return publicProfile(await this.getById(id));
  }

  async updateProfile(
    id: string,
    patch: { username?: string; avatarUrl?: string | null; extensions?: unknown },
  ): Promise<User> {
    const { extensions } = patch;
    if (patch.username === undefined && patch.avatarUrl === undefined && extensions === undefined)
      return this.getById(id);
    const change: ProfilePatch = { username: patch.username, avatarUrl: patch.avatarUrl };
    if (extensions !== undefined) {
      // The patch's own shape is refused before anything is touched; the limits on the result
      // are checked against the stored fields, under the row lock.
      checkExtensionsPatch(extensions);
      change.extensions = (current) => mergeExtensions(current, extensions);
    }
    return this.users.updateProfile(id, change);
  }

  async search(
    prefix: string,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<PublicProfile>> {
    const after = cursor ? (decodeCursor(cursor, ['string'])[0] as string) : null;
    const page = await this.users.searchActiveByPrefix(prefix, limit, after);
    return { items: page.items, nextCursor: page.next !== null ? encodeCursor([page.next]) : null };
  }
}
