import {
  applyDecorators,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Errors } from '../errors/domain-error.js';
import { AuthorizationService } from './authorization.service.js';
import { GLOBAL_SCOPE, type Permission, type PermissionScope } from './permissions.js';

/** Where the scope's id comes from: a route param (HTTP) or a field of the frame's data (WS). */
export interface ScopeFrom {
  room?: string;
  org?: string;
}

interface Requirement {
  permission: Permission;
  scope?: ScopeFrom;
}

const REQUIRED = 'authz:requiredPermission';

/** Set on a WebSocket by the gateway so guards can tell who sent a frame. */
export const WS_PRINCIPAL = Symbol.for('chat.wsPrincipal');

/**
 * Requires a permission for an HTTP route or a WebSocket event:
 * `@RequirePermission('member.kick', { room: 'id' })` checks it in the room named by the `id`
 * route param (or `data.id` of a frame). Refused: 403 PERMISSION_DENIED (an `error` frame on WS).
 * The guard is attached by the decorator itself, so routes without it run no check at all.
 */
export const RequirePermission = (permission: Permission, scope?: ScopeFrom) =>
  applyDecorators(
    SetMetadata(REQUIRED, { permission, scope } satisfies Requirement),
    UseGuards(PermissionGuard),
  );

@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authz: AuthorizationService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = this.reflector.getAllAndOverride<Requirement | undefined>(REQUIRED, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (!req) return true;
    let userId: string | undefined;
    let source: Record<string, unknown> = {};
    if (ctx.getType() === 'ws') {
      const client = ctx.switchToWs().getClient<Record<symbol, { userId: string } | undefined>>();
      userId = client[WS_PRINCIPAL]?.userId;
      const data: unknown = ctx.switchToWs().getData();
      if (typeof data === 'object' && data !== null) source = data as Record<string, unknown>;
    } else {
      const http = ctx
        .switchToHttp()
        .getRequest<{ principal?: { userId: string }; params?: Record<string, unknown> }>();
      userId = http.principal?.userId;
      source = http.params ?? {};
    }
    if (!userId) throw Errors.unauthorized('AUTH_REQUIRED', 'authentication required');
    const scope = scopeOf(req.scope, source);
    if (await this.authz.can(userId, req.permission, scope)) return true;
    throw Errors.forbidden('PERMISSION_DENIED', `this needs the ${req.permission} permission`);
  }
}

function scopeOf(from: ScopeFrom | undefined, source: Record<string, unknown>): PermissionScope {
  const id = (key: string | undefined) => {
    if (!key) return undefined;
    const v = source[key];
    return typeof v === 'string' ? v : undefined;
  };
  const room = id(from?.room);
  if (room) return { type: 'room', id: room };
  const org = id(from?.org);
  if (org) return { type: 'org', id: org };
  return GLOBAL_SCOPE;
}
