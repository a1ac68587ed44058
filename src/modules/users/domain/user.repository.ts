import type { User, UserStatus } from './user.js';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
}

/** Persistence port for users; the DI token is this abstract class. */
export abstract class UserRepository {
  /** Throws a conflict DomainError (USERNAME_TAKEN / EMAIL_TAKEN) on duplicates. */
  abstract create(user: NewUser): Promise<User>;
  abstract findById(id: string): Promise<User | null>;
  abstract findByLogin(login: string): Promise<User | null>;
  abstract updateProfile(
    id: string,
    patch: { username?: string; avatarUrl?: string | null },
  ): Promise<User>;
  abstract setStatus(id: string, status: UserStatus): Promise<void>;
}
