import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { DomainError, Errors } from '../../common/errors/domain-error.js';
import type { CallerAuthenticator } from '../auth/caller-authenticator.js';
import type { Principal } from '../auth/principal.js';
import { WsUpgradeAuth } from './ws-upgrade-auth.js';

const alice: Principal = { userId: 'u1', username: 'alice', sessionId: 's1' };

/** Accepts the ticket "good-ticket" and the token "good-token"; records what it was asked. */
function fakeAuth(): CallerAuthenticator & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    redeemWsTicket: (ticket) => {
      asked.push(`ticket:${ticket}`);
      return ticket === 'good-ticket'
        ? Promise.resolve(alice)
        : Promise.reject(Errors.unauthorized('TOKEN_INVALID', 'ticket is invalid'));
    },
    authenticateAccessToken: (token) => {
      asked.push(`token:${token}`);
      return token === 'good-token'
        ? Promise.resolve(alice)
        : Promise.reject(Errors.unauthorized('TOKEN_INVALID', 'access token is invalid'));
    },
  };
}

const upgrade = (url: string, authorization?: string) =>
  ({ url, headers: authorization ? { authorization } : {} }) as IncomingMessage;

const codeOf = async (p: Promise<unknown>): Promise<string | null> => {
  try {
    await p;
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

describe('WsUpgradeAuth: which credentials an upgrade may carry', () => {
  it('a ticket in the query, redeemed by the auth module', async () => {
    const auth = fakeAuth();
    await expect(
      new WsUpgradeAuth(auth).authenticate(upgrade('/ws?ticket=good-ticket')),
    ).resolves.toEqual(alice);
    expect(auth.asked).toEqual(['ticket:good-ticket']);
  });

  it('a bearer access token in the Authorization header', async () => {
    const auth = fakeAuth();
    const ws = new WsUpgradeAuth(auth);
    await expect(ws.authenticate(upgrade('/ws', 'Bearer good-token'))).resolves.toEqual(alice);
    expect(await codeOf(ws.authenticate(upgrade('/ws', 'Bearer bad')))).toBe(
      'unauthorized:TOKEN_INVALID',
    );
  });

  it('a ticket wins over a header: a bad ticket is refused even with a good token', async () => {
    const auth = fakeAuth();
    const res = new WsUpgradeAuth(auth).authenticate(
      upgrade('/ws?ticket=spent', 'Bearer good-token'),
    );
    expect(await codeOf(res)).toBe('unauthorized:TOKEN_INVALID');
    expect(auth.asked).toEqual(['ticket:spent']);
  });

  it('no credential, a token in the URL or a non-bearer header: AUTH_REQUIRED, nothing asked', async () => {
    const auth = fakeAuth();
    const ws = new WsUpgradeAuth(auth);
    for (const req of [
      upgrade('/ws'),
      upgrade('/ws?access_token=good-token'),
      upgrade('/ws?token=good-token'),
      upgrade('/ws', 'Basic Z29vZC10b2tlbg=='),
      upgrade('/ws?ticket='),
    ])
      expect(await codeOf(ws.authenticate(req))).toBe('unauthorized:AUTH_REQUIRED');
    expect(auth.asked).toEqual([]);
  });
});
