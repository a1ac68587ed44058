import {
  createParamDecorator,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { Errors } from '../../../common/errors/domain-error.js';
import { setRateLimitHeaders } from '../../../common/http/rate-limit-headers.js';
import { KeyedRateLimiter } from '../../../common/rate-limit/token-bucket.js';
import { botsConfig, type BotsConfig } from '../bots.config.js';
import { BotsService, type BotPrincipal } from '../bots.service.js';
import { botAuthorization } from '../domain/bot-token.js';
import { BotErrorCodes } from '../domain/bot-errors.js';

type BotRequest = Request & { bot?: BotPrincipal };

/**
 * Authenticates `Authorization: Bot <token>` on the bot API (whose routes are @Public(), so the
 * global bearer guard lets them through, still counting them per IP), then holds each bot to
 * its token bucket (BOT_RATE_PER_SEC, BOT_RATE_BURST; per instance): 429 with Retry-After.
 */
@Injectable()
export class BotAuthGuard implements CanActivate {
  private readonly limiter: KeyedRateLimiter;

  constructor(
    private readonly bots: BotsService,
    @Inject(botsConfig.KEY) cfg: BotsConfig,
  ) {
    this.limiter = new KeyedRateLimiter(cfg.ratePerSec, cfg.rateBurst);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<BotRequest>();
    req.bot = await this.bots.authenticate(botAuthorization(req.headers.authorization));
    const r = this.limiter.take(req.bot.botId);
    setRateLimitHeaders(ctx.switchToHttp().getResponse<Response>(), r);
    if (!r.ok)
      throw Errors.rateLimited(
        'RATE_LIMITED',
        'this bot is sending too fast',
        Math.ceil(r.retryAfterMs / 1000),
        r.limit,
      );
    return true;
  }
}

/** The bot BotAuthGuard authenticated. */
export const CurrentBot = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): BotPrincipal => {
    const bot = ctx.switchToHttp().getRequest<BotRequest>().bot;
    if (!bot)
      throw Errors.unauthorized(BotErrorCodes.tokenInvalid, 'bot token is missing or invalid');
    return bot;
  },
);
