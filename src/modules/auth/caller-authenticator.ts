import type { Principal } from './principal.js';

/**
 * The auth module's use case for transports its HTTP guard does not cover (the realtime
 * module's WebSocket upgrade): who a credential names. A credential that names no live session
 * is refused with a DomainError (401 codes; 403 USER_DISABLED). AuthService provides it.
 */
export abstract class CallerAuthenticator {
  /** A one-time WebSocket ticket (30 s, single use across all instances). */
  abstract redeemWsTicket(ticket: string): Promise<Principal>;
  /** An access token (JWT) whose session and user are still live. */
  abstract authenticateAccessToken(token: string): Promise<Principal>;
}
