// Bots domain: what a bot is and the rules on its name. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';

/**
 * A bot is backed by a user row (its `userId`), so its messages and room memberships are the
 * core's own; the bot row adds the owner, the webhook and the token's hash.
 */
export interface Bot {
  id: string;
  /** The user row the bot posts as. */
  userId: string;
  ownerId: string;
  name: string;
  /** The bot user's username: `${name}[bot]`, which registration can never produce. */
  username: string;
  avatarUrl: string | null;
  webhookUrl: string | null;
  /** SHA-256 (hex) of the current token; also the webhook signing key (see bot-token.ts). */
  tokenHash: string;
  createdAt: Date;
  updatedAt: Date;
  tokenRotatedAt: Date | null;
}

/** A bot's name: letters, digits, `_ . -`, 2 to 32 characters (like a username). */
export const BOT_NAME_PATTERN = /^[A-Za-z0-9_.-]{2,32}$/;
export const WEBHOOK_URL_MAX = 2048;

/**
 * The bot user's username. Registration only accepts `[A-Za-z0-9_.-]` (USERNAME_PATTERN), so
 * the brackets make it a name no person can register or take with PATCH /users/me.
 */
export function botUsername(name: string): string {
  return `${name}[bot]`;
}

/** What a deleted bot's user is renamed to: frees the name, keeps the author of old messages. */
export function deletedBotUsername(name: string, botId: string): string {
  return `${name}[deleted-bot-${botId.slice(0, 8)}]`;
}

/** An email no one can receive mail at (`.invalid` is reserved, RFC 2606). */
export function botEmail(botId: string): string {
  return `bot-${botId}@bots.invalid`;
}

/**
 * The bot user's password hash: not an argon2 string, so every password check fails and login
 * as the bot answers 401 INVALID_CREDENTIALS like any wrong password.
 */
export const UNUSABLE_PASSWORD_HASH = '!bot-account:no-password-login';

export function checkBotName(name: string): void {
  if (!BOT_NAME_PATTERN.test(name))
    throw Errors.validation('VALIDATION_FAILED', 'name must be 2-32 letters, digits, _ . or -');
}
