import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { httpConfig, type HttpConfig } from '../../config/configuration.js';
import { Errors } from '../../common/errors/domain-error.js';
import { setRateLimitHeaders } from '../../common/http/rate-limit-headers.js';
import { KeyedRateLimiter } from '../../common/rate-limit/token-bucket.js';
import { AuthService } from './auth.service.js';
import { bearerToken } from './bearer-token.js';
import { IS_PUBLIC, SKIP_RATE_LIMIT, type Principal } from './principal.js';

/**
 * Global guard: every route needs a valid access token unless marked @Public(), and every
 * caller is held to RATE_LIMIT_HTTP_PER_MIN (per user when authenticated, per IP otherwise;
 * per instance). One guard, so the order "authenticate, then count" is fixed.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly limiter: KeyedRateLimiter;

  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
    @Inject(httpConfig.KEY) cfg: HttpConfig,
  ) {
    this.limiter = new KeyedRateLimiter(cfg.rateLimitPerMin / 60, cfg.rateLimitPerMin);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const res = ctx.switchToHttp().getResponse<Response>();
    if (!isPublic) {
      const token = bearerToken(req.headers.authorization);
      if (!token) throw Errors.unauthorized('AUTH_REQUIRED', 'a bearer access token is required');
      req.principal = await this.auth.authenticateAccessToken(token);
    }
    if (!this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, targets)) {
      const key = req.principal ? `u:${req.principal.userId}` : `ip:${req.ip}`;
      const r = this.limiter.take(key);
      setRateLimitHeaders(res, r);
      if (!r.ok)
        throw Errors.rateLimited(
          'RATE_LIMITED',
          'too many requests',
          r.retryAfterMs / 1000,
          r.limit,
        );
    }
    return true;
  }
}
