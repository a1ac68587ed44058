import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository, type EntityManager } from 'typeorm';
import { Errors } from '../../../../common/errors/domain-error.js';
import type { Extensions } from '../../domain/user-extensions.js';
import {
  loginKind,
  normalizeEmail,
  type PublicProfile,
  type User,
  type UserStatus,
} from '../../domain/user.js';
import { UserRepository, type NewUser, type ProfilePatch } from '../../domain/user.repository.js';
import { UserEntity } from './user.entity.js';

interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  avatar_url: string | null;
  status: UserStatus;
  extensions: Extensions | null;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  email: r.email,
  passwordHash: r.password_hash,
  avatarUrl: r.avatar_url,
  status: r.status,
  extensions: r.extensions ?? {},
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toProfile = (u: User): PublicProfile => ({
  id: u.id,
  username: u.username,
  avatarUrl: u.avatarUrl,
  status: u.status,
  extensions: u.extensions,
});

const SELECT_USER = `SELECT u.id, u.username, u.email, u.password_hash, u.avatar_url, u.status,
       u.created_at, u.updated_at, e.data AS extensions
  FROM users u LEFT JOIN user_extensions e ON e.user_id = u.id`;

/** Unique-index violations become the contract's 409s, whichever index was hit. */
export function mapUniqueViolation(err: unknown): never {
  if (err instanceof QueryFailedError) {
    const d = err.driverError as { code?: string; constraint?: string };
    if (d.code === '23505') {
      if (d.constraint === 'users_username_lower_uq')
        throw Errors.conflict('USERNAME_TAKEN', 'username is already taken');
      if (d.constraint === 'users_email_uq')
        throw Errors.conflict('EMAIL_TAKEN', 'email is already registered');
    }
  }
  throw err;
}

const likePrefix = (s: string) => `${s.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;

@Injectable()
export class TypeormUserRepository extends UserRepository {
  constructor(@InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>) {
    super();
  }

  async create(user: NewUser): Promise<User> {
    try {
      const saved = await this.repo.save(
        this.repo.create({ ...user, email: normalizeEmail(user.email), avatarUrl: null }),
      );
      // The user_extensions row was created by the insert's trigger, empty.
      return { ...saved, extensions: {} };
    } catch (err) {
      mapUniqueViolation(err);
    }
  }

  async findById(id: string): Promise<User | null> {
    return this.findOne(this.repo.manager, 'u.id = $1', [id]);
  }

  async findByLogin(login: string): Promise<User | null> {
    return loginKind(login) === 'email'
      ? this.findOne(this.repo.manager, 'u.email = $1', [normalizeEmail(login)])
      : this.findOne(this.repo.manager, 'lower(u.username) = lower($1)', [login.trim()]);
  }

  async findProfiles(ids: string[]): Promise<PublicProfile[]> {
    if (ids.length === 0) return [];
    const rows = await this.repo.manager.query<UserRow[]>(
      `${SELECT_USER} WHERE u.id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => toProfile(toDomain(r)));
  }

  async updateProfile(id: string, patch: ProfilePatch): Promise<User> {
    try {
      return await this.repo.manager.transaction(async (m) => {
        const sets: string[] = [];
        const params: unknown[] = [id];
        if (patch.username !== undefined) {
          params.push(patch.username);
          sets.push(`username = $${params.length}`);
        }
        if (patch.avatarUrl !== undefined) {
          params.push(patch.avatarUrl);
          sets.push(`avatar_url = $${params.length}`);
        }
        if (patch.extensions) {
          const [row] = await m.query<{ data: Extensions }[]>(
            `SELECT data FROM user_extensions WHERE user_id = $1 FOR UPDATE`,
            [id],
          );
          const next = patch.extensions(row?.data ?? {});
          await m.query(
            `INSERT INTO user_extensions (user_id, data, updated_at) VALUES ($1, $2::jsonb, now())
             ON CONFLICT (user_id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
            [id, JSON.stringify(next)],
          );
        }
        if (sets.length > 0 || patch.extensions)
          await m.query(
            `UPDATE users SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`,
            params,
          );
        const user = await this.findOne(m, 'u.id = $1', [id]);
        if (!user) throw Errors.notFound('USER_NOT_FOUND', 'user not found');
        return user;
      });
    } catch (err) {
      mapUniqueViolation(err);
    }
  }

  async setStatus(id: string, status: UserStatus): Promise<void> {
    await this.repo.update({ id }, { status });
  }

  async searchActiveByPrefix(
    prefix: string,
    limit: number,
    after: string | null,
  ): Promise<{ items: PublicProfile[]; next: string | null }> {
    const params: unknown[] = [likePrefix(prefix), limit + 1];
    let where = `lower(u.username) LIKE $1 AND u.status = 'active'`;
    if (after !== null) {
      params.push(after);
      where += ` AND lower(u.username) ~>~ $3`;
    }
    // One range scan of users_username_prefix_idx (text_pattern_ops), in its own order (~<~,
    // byte order), so no sort however many names share the prefix.
    const rows = await this.repo.manager.query<UserRow[]>(
      `${SELECT_USER} WHERE ${where} ORDER BY lower(u.username) USING ~<~ LIMIT $2`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => toProfile(toDomain(r))),
      next: more && page.length > 0 ? page[page.length - 1].username.toLowerCase() : null,
    };
  }

  private async findOne(m: EntityManager, where: string, params: unknown[]): Promise<User | null> {
    const rows = await m.query<UserRow[]>(`${SELECT_USER} WHERE ${where}`, params);
    return rows[0] ? toDomain(rows[0]) : null;
  }
}
