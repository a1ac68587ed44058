import type { Extensions } from './user-extensions.js';
import type { PublicProfile, User, UserStatus } from './user.js';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
}

export interface ProfilePatch {
  username?: string;
  avatarUrl?: string | null;
  /**
   * The new custom fields computed from the stored ones, read under a row lock so two
   * concurrent patches both apply; a throw rolls the whole patch back.
   */
  extensions?: (current: Extensions) => Extensions;
}

/** Persistence port for users; the DI token is this abstract class. */
export abstract class UserRepository {
  /** Throws a conflict DomainError (USERNAME_TAKEN / EMAIL_TAKEN) on duplicates. */
  abstract create(user: NewUser): Promise<User>;
  abstract findById(id: string): Promise<User | null>;
  abstract findByLogin(login: string): Promise<User | null>;
  /** The public profiles of those of `ids` that exist, in one read. */
  abstract findProfiles(ids: string[]): Promise<PublicProfile[]>;
  /** All or nothing: a conflict or a refused extensions patch changes nothing. */
  abstract updateProfile(id: string, patch: ProfilePatch): Promise<User>;
  abstract setStatus(id: string, status: UserStatus): Promise<void>;
  /**
   * Active users whose username starts with `prefix` (case-insensitive), by lower-cased
   * username; `after` is the last lower-cased username of the previous page.
   */
  abstract searchActiveByPrefix(
    prefix: string,
    limit: number,
    after: string | null,
  ): Promise<{ items: PublicProfile[]; next: string | null }>;
}
