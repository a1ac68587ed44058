import type { Bot } from './bot.js';

export interface NewBot {
  id: string;
  ownerId: string;
  name: string;
  avatarUrl: string | null;
  webhookUrl: string | null;
  tokenHash: string;
}

export interface BotPatch {
  name?: string;
  avatarUrl?: string | null;
  webhookUrl?: string | null;
}

export interface BotPage {
  items: Bot[];
  /** Keyset position after the last item, or null on the last page. */
  next: [string, string] | null;
}

/** A bot as its token authenticates it. */
export interface BotCredentials {
  botId: string;
  userId: string;
  username: string;
  tokenHash: string;
  userActive: boolean;
}

/** Persistence port for bots (and the user rows behind them); one method per use case. */
export abstract class BotRepository {
  /** Creates the bot's user and the bot together; BOT_NAME_TAKEN when the name is in use. */
  abstract create(bot: NewBot): Promise<Bot>;
  abstract findById(id: string): Promise<Bot | null>;
  abstract findCredentials(id: string): Promise<BotCredentials | null>;
  /** The owner's bots, newest first. */
  abstract listByOwner(
    ownerId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<BotPage>;
  /** Renames the bot's user with it; BOT_NAME_TAKEN on a clash. Null when the bot is gone. */
  abstract update(id: string, patch: BotPatch): Promise<Bot | null>;
  /** Replaces the token hash (the old token stops working at once). Null when the bot is gone. */
  abstract rotateToken(id: string, tokenHash: string): Promise<Bot | null>;
  /**
   * Deletes the bot: its row (and pending webhook deliveries) go, its user is disabled and
   * renamed but kept so old messages keep their author. Answers the rooms the bot's user is
   * still a member of (the caller removes those memberships), or null when there was no bot.
   */
  abstract delete(id: string): Promise<{ userId: string; roomIds: string[] } | null>;
}
