// Users domain: plain types and rules, no framework imports.

export type UserStatus = 'active' | 'disabled' | 'banned';

export interface User {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  avatarUrl: string | null;
  status: UserStatus;
  createdAt: Date;
  updatedAt: Date;
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
