import { Injectable } from '@nestjs/common';
import { Errors } from '../../common/errors/domain-error.js';
import type { User } from './domain/user.js';
import { UserRepository } from './domain/user.repository.js';

@Injectable()
export class UsersService {
  constructor(private readonly users: UserRepository) {}

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
    return user;
  }

  async updateProfile(
    id: string,
    patch: { username?: string; avatarUrl?: string | null },
  ): Promise<User> {
    if (patch.username === undefined && patch.avatarUrl === undefined) return this.getById(id);
    return this.users.updateProfile(id, patch);
  }
}
