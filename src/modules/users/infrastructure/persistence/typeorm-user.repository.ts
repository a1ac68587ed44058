import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { Errors } from '../../../../common/errors/domain-error.js';
import { loginKind, normalizeEmail, type User, type UserStatus } from '../../domain/user.js';
import { UserRepository, type NewUser } from '../../domain/user.repository.js';
import { UserEntity } from './user.entity.js';

const toDomain = (e: UserEntity): User => ({ ...e });

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
      return toDomain(saved);
    } catch (err) {
      mapUniqueViolation(err);
    }
  }

  async findById(id: string): Promise<User | null> {
    const e = await this.repo.findOneBy({ id });
    return e ? toDomain(e) : null;
  }

  async findByLogin(login: string): Promise<User | null> {
    const qb = this.repo.createQueryBuilder('u');
    const e =
      loginKind(login) === 'email'
        ? await qb.where('u.email = :email', { email: normalizeEmail(login) }).getOne()
        : await qb
            .where('lower(u.username) = lower(:username)', { username: login.trim() })
            .getOne();
    return e ? toDomain(e) : null;
  }

  async updateProfile(
    id: string,
    patch: { username?: string; avatarUrl?: string | null },
  ): Promise<User> {
    try {
      await this.repo.update({ id }, patch);
    } catch (err) {
      mapUniqueViolation(err);
    }
    const e = await this.repo.findOneByOrFail({ id });
    return toDomain(e);
  }

  async setStatus(id: string, status: UserStatus): Promise<void> {
    await this.repo.update({ id }, { status });
  }
}
