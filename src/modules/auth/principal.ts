import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';

/** Who is calling: set on the request by the auth guard, on the socket by the upgrade check. */
export interface Principal {
  userId: string;
  username: string;
  sessionId: string;
}

export const IS_PUBLIC = 'auth:isPublic';
/** Marks a route that needs no access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const req = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  return req.principal;
});

export const SKIP_RATE_LIMIT = 'http:skipRateLimit';
/** Operational endpoints (health, metrics) are not counted against HTTP rate limits. */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);
