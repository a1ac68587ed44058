import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { operationsConfig, type OperationsConfig } from '../../config/configuration.js';
import { Errors } from '../../common/errors/domain-error.js';
import { bearerToken } from '../../modules/auth/bearer-token.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * GET /metrics behind METRICS_TOKEN when one is configured (`Authorization: Bearer <token>`,
 * as Prometheus sends it). Both sides are hashed first, so the comparison takes the same time
 * whatever the presented token's length or content.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(operationsConfig.KEY) cfg: OperationsConfig) {
    this.expected = cfg.metrics.token === null ? null : digest(cfg.metrics.token);
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (this.expected === null) return true;
    const presented = bearerToken(ctx.switchToHttp().getRequest<Request>().headers.authorization);
    if (presented === null)
      throw Errors.unauthorized('AUTH_REQUIRED', 'metrics need the METRICS_TOKEN bearer token');
    if (!timingSafeEqual(digest(presented), this.expected))
      throw Errors.unauthorized('TOKEN_INVALID', 'the metrics token is not valid');
    return true;
  }
}
