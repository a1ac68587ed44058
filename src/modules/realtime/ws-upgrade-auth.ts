import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Errors } from '../../common/errors/domain-error.js';
import { bearerToken } from '../auth/bearer-token.js';
import { CallerAuthenticator } from '../auth/caller-authenticator.js';
import type { Principal } from '../auth/principal.js';

/**
 * Who opens /ws, decided before the upgrade completes (ChatWsAdapter refuses with 401/403 on a
 * DomainError). Which credentials an upgrade may carry is the realtime module's rule; whether
 * they are good is the auth module's (CallerAuthenticator).
 */
@Injectable()
export class WsUpgradeAuth {
  constructor(private readonly auth: CallerAuthenticator) {}

  /** A ticket in the query (browsers) or a bearer header (other clients); never a token in a URL. */
  authenticate(req: IncomingMessage): Promise<Principal> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ticket = url.searchParams.get('ticket');
    if (ticket) return this.auth.redeemWsTicket(ticket);
    const token = bearerToken(req.headers.authorization);
    if (token) return this.auth.authenticateAccessToken(token);
    return Promise.reject(
      Errors.unauthorized('AUTH_REQUIRED', 'a ticket or bearer token is required'),
    );
  }
}
