import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { Errors } from '../../../../common/errors/domain-error.js';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import {
  botEmail,
  botUsername,
  deletedBotUsername,
  UNUSABLE_PASSWORD_HASH,
  type Bot,
} from '../../domain/bot.js';
import {
  BotRepository,
  type BotCredentials,
  type BotPage,
  type BotPatch,
  type NewBot,
} from '../../domain/bot.repository.js';
import { BotErrorCodes } from '../../domain/bot-errors.js';

interface BotRow {
  id: string;
  user_id: string;
  owner_id: string;
  name: string;
  username: string;
  avatar_url: string | null;
  webhook_url: string | null;
  token_hash: string;
  created_at: Date;
  updated_at: Date;
  token_rotated_at: Date | null;
}

const BOT_COLS = `b.id, b.user_id, b.owner_id, b.name, u.username, b.avatar_url, b.webhook_url,
  b.token_hash, b.created_at, b.updated_at, b.token_rotated_at`;
const BOT_SELECT = `SELECT ${BOT_COLS} FROM bots b JOIN users u ON u.id = b.user_id`;

const toBot = (r: BotRow): Bot => ({
  id: r.id,
  userId: r.user_id,
  ownerId: r.owner_id,
  name: r.name,
  username: r.username,
  avatarUrl: r.avatar_url,
  webhookUrl: r.webhook_url,
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  tokenRotatedAt: r.token_rotated_at,
});

/** The users table's username index: a bot name clashes with another bot's (case-insensitive). */
function mapNameTaken(err: unknown): never {
  if (
    err instanceof QueryFailedError &&
    (err.driverError as { code?: string; constraint?: string }).code === '23505' &&
    (err.driverError as { constraint?: string }).constraint === 'users_username_lower_uq'
  )
    throw Errors.conflict(BotErrorCodes.nameTaken, 'a bot with this name already exists');
  throw err;
}

@Injectable()
export class SqlBotRepository extends BotRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async create(bot: NewBot): Promise<Bot> {
    try {
      await this.ds.transaction(async (m) => {
        const [user] = await m.query<{ id: string }[]>(
          `INSERT INTO users (username, email, password_hash, avatar_url)
           VALUES ($1, $2, $3, $4) RETURNING id`,
          [botUsername(bot.name), botEmail(bot.id), UNUSABLE_PASSWORD_HASH, bot.avatarUrl],
        );
        await m.query(
          `INSERT INTO bots (id, user_id, owner_id, name, avatar_url, webhook_url, token_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [bot.id, user.id, bot.ownerId, bot.name, bot.avatarUrl, bot.webhookUrl, bot.tokenHash],
        );
      });
    } catch (err) {
      mapNameTaken(err);
    }
    return (await this.findById(bot.id))!;
  }

  async findById(id: string): Promise<Bot | null> {
    const rows = await this.ds.query<BotRow[]>(`${BOT_SELECT} WHERE b.id = $1`, [id]);
    return rows[0] ? toBot(rows[0]) : null;
  }

  async findCredentials(id: string): Promise<BotCredentials | null> {
    const rows = await this.ds.query<
      { id: string; user_id: string; username: string; token_hash: string; status: string }[]
    >(
      `SELECT b.id, b.user_id, u.username, b.token_hash, u.status
         FROM bots b JOIN users u ON u.id = b.user_id WHERE b.id = $1`,
      [id],
    );
    const r = rows[0];
    return r
      ? {
          botId: r.id,
          userId: r.user_id,
          username: r.username,
          tokenHash: r.token_hash,
          userActive: r.status === 'active',
        }
      : null;
  }

  async listByOwner(
    ownerId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<BotPage> {
    const params: unknown[] = [ownerId, limit + 1];
    let where = 'b.owner_id = $1';
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (b.created_at, b.id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows = await this.ds.query<(BotRow & { cursor_ts: string })[]>(
      `SELECT ${BOT_COLS},
              to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM bots b JOIN users u ON u.id = b.user_id
        WHERE ${where} ORDER BY b.created_at DESC, b.id DESC LIMIT $2`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toBot), next: more && last ? [last.cursor_ts, last.id] : null };
  }

  async update(id: string, patch: BotPatch): Promise<Bot | null> {
    try {
      const found = await this.ds.transaction(async (m) => {
        const rows = rowsOf<{ user_id: string; name: string }>(
          await m.query(
            `UPDATE bots SET
               name = COALESCE($2, name),
               avatar_url = CASE WHEN $3::boolean THEN $4 ELSE avatar_url END,
               webhook_url = CASE WHEN $5::boolean THEN $6 ELSE webhook_url END,
               updated_at = now()
             WHERE id = $1 RETURNING user_id, name`,
            [
              id,
              patch.name ?? null,
              patch.avatarUrl !== undefined,
              patch.avatarUrl ?? null,
              patch.webhookUrl !== undefined,
              patch.webhookUrl ?? null,
            ],
          ),
        );
        if (rows.length === 0) return false;
        await m.query(
          `UPDATE users SET username = $2,
                  avatar_url = CASE WHEN $3::boolean THEN $4 ELSE avatar_url END,
                  updated_at = now()
            WHERE id = $1`,
          [
            rows[0].user_id,
            botUsername(rows[0].name),
            patch.avatarUrl !== undefined,
            patch.avatarUrl ?? null,
          ],
        );
        return true;
      });
      if (!found) return null;
    } catch (err) {
      mapNameTaken(err);
    }
    return this.findById(id);
  }

  async rotateToken(id: string, tokenHash: string): Promise<Bot | null> {
    const rows = rowsOf<{ id: string }>(
      await this.ds.query(
        `UPDATE bots SET token_hash = $2, token_rotated_at = now(), updated_at = now()
          WHERE id = $1 RETURNING id`,
        [id, tokenHash],
      ),
    );
    return rows.length > 0 ? this.findById(id) : null;
  }

  async delete(id: string): Promise<{ userId: string; roomIds: string[] } | null> {
    return this.ds.transaction(async (m) => {
      const rows = rowsOf<{ user_id: string; name: string }>(
        await m.query(`DELETE FROM bots WHERE id = $1 RETURNING user_id, name`, [id]),
      );
      if (rows.length === 0) return null;
      const { user_id: userId, name } = rows[0];
      await m.query(
        `UPDATE users SET status = 'disabled', username = $2, updated_at = now() WHERE id = $1`,
        [userId, deletedBotUsername(name, id)],
      );
      const rooms = await m.query<{ room_id: string }[]>(
        `SELECT room_id FROM room_members WHERE user_id = $1`,
        [userId],
      );
      return { userId, roomIds: rooms.map((r) => r.room_id) };
    });
  }
}
