// Users domain: plain types and rules, no framework imports.
import type { Extensions } from './user-extensions.js';

export type UserStatus = 'active' | 'disabled' | 'banned';

export interface User {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  avatarUrl: string | null;
  status: UserStatus;
  /** Custom profile fields (user_extensions), `{}` when none. */
  extensions: Extensions;
  createdAt: Date;
  updatedAt: Date;
}

/** What anyone signed in may see of another user: never the email. */
export type PublicProfile = Pick<User, 'id' | 'username' | 'avatarUrl' | 'status' | 'extensions'>;

/** What anyone signed in sees of a user: never the email or the password hash. */
export function publicProfile(u: PublicProfile): PublicProfile {
  return {
    id: u.id,
    username: u.username,
    avatarUrl: u.avatarUrl,
    status: u.status,
    extensions: u.extensions,
  };
}

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Logins are either an email (has '@') or a username; both compared case-insensitively. */
export function loginKind(login: string): 'email' | 'username' {
  return login.includes('@') ? 'email' : 'username';
}

export function canAuthenticate(user: Pick<User, 'status'>): boolean {
  return user.status === 'active';
}
