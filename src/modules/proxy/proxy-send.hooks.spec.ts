import { describe, expect, it } from '@jest/globals';
import type { MessageView } from '../../common/events/chat-events.js';
import { messageView } from '../../common/testing/unit-kit.fake.js';
import {
  ChatExtensions,
  type SendAttempt,
  type SendAuthor,
} from '../../common/extensions/chat-extensions.js';
import { DomainError } from '../../common/errors/domain-error.js';
import type { NewAuditEntry, ProxyRepository } from './domain/proxy.repository.js';
import { ProxySendHooks } from './proxy-send.hooks.js';

const G = '11111111-1111-4111-8111-111111111111';
const P = '22222222-2222-4222-8222-222222222222';
const ROOM = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const GRANT = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

/** A repository fake: one live grant G → P for ROOM; records audit lines. */
function fakeRepo() {
  const lookups: [string, string, string][] = [];
  const audit: NewAuditEntry[] = [];
  const repo = {
    findLiveGrant: async (proxyId: string, grantorId: string, roomId: string) => {
      lookups.push([proxyId, grantorId, roomId]);
      return proxyId === P && grantorId === G && roomId === ROOM ? GRANT : null;
    },
    recordAudit: async (e: NewAuditEntry) => {
      audit.push(e);
    },
  } as unknown as ProxyRepository;
  return { repo, lookups, audit };
}

const attempt = (over: Partial<SendAttempt> = {}): SendAttempt => ({
  actorId: P,
  roomId: ROOM,
  onBehalfOf: G,
  type: 'text',
  via: 'ws',
  ...over,
});

const message = (over: Partial<MessageView> = {}): MessageView =>
  messageView({
    roomId: ROOM,
    seq: 7,
    userId: G,
    username: 'g',
    content: 'hi',
    createdAt: new Date().toISOString(),
    sentBy: P,
    ...over,
  });

describe('ProxySendHooks', () => {
  it('registers its policy first, ahead of ones registered earlier, and its observer', () => {
    const ext = new ChatExtensions();
    const seen: SendAuthor[] = [];
    ext.addSendPolicy({ name: 'mute', check: (_a, author) => void seen.push(author) });
    const hooks = new ProxySendHooks(ext, fakeRepo().repo);
    hooks.onModuleInit();
    expect(ext.sendPolicies.map((p) => p.name)).toEqual(['proxy', 'mute']);
    expect(ext.handlesOnBehalfOf).toBe(true);
    expect(ext.messageObservers).toEqual([hooks]);
  });

  it('later policies see the grantor as the author, the proxy as sentBy', async () => {
    const ext = new ChatExtensions();
    const seen: SendAuthor[] = [];
    ext.addSendPolicy({ name: 'mute', check: (_a, author) => void seen.push(author) });
    new ProxySendHooks(ext, fakeRepo().repo).onModuleInit();
    // What MessagesService.applySendPolicies does.
    let author: SendAuthor = { userId: P, sentBy: null };
    for (const p of ext.sendPolicies) author = (await p.check(attempt(), author)) ?? author;
    expect(author).toEqual({ userId: G, sentBy: P });
    expect(seen).toEqual([{ userId: G, sentBy: P }]);
  });

  it('leaves sends without onBehalfOf, or on behalf of oneself, alone and reads nothing', async () => {
    const { repo, lookups } = fakeRepo();
    const hooks = new ProxySendHooks(new ChatExtensions(), repo);
    const me: SendAuthor = { userId: P, sentBy: null };
    expect(await hooks.check(attempt({ onBehalfOf: undefined }), me)).toBeUndefined();
    expect(await hooks.check(attempt({ onBehalfOf: P }), me)).toBeUndefined();
    expect(lookups).toEqual([]);
  });

  it('refuses with PROXY_NOT_ALLOWED when no live grant covers the room', async () => {
    const { repo, lookups } = fakeRepo();
    const hooks = new ProxySendHooks(new ChatExtensions(), repo);
    const other = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
    await expect(
      hooks.check(attempt({ roomId: other }), { userId: P, sentBy: null }),
    ).rejects.toMatchObject({ kind: 'forbidden', code: 'PROXY_NOT_ALLOWED' });
    await expect(
      hooks.check(attempt({ roomId: other }), { userId: P, sentBy: null }),
    ).rejects.toBeInstanceOf(DomainError);
    expect(lookups[0]).toEqual([P, G, other]);
  });

  it('audits a stored proxied message under the grant that allowed it; ordinary messages not', async () => {
    const { repo, audit } = fakeRepo();
    const hooks = new ProxySendHooks(new ChatExtensions(), repo);
    const a = attempt();
    await hooks.check(a, { userId: P, sentBy: null });
    await hooks.stored(message(), a);
    await hooks.stored(message({ sentBy: null, userId: P }), attempt({ onBehalfOf: undefined }));
    expect(audit).toEqual([
      {
        grantId: GRANT,
        grantorId: G,
        proxyUserId: P,
        actorId: P,
        action: 'message.send',
        via: 'ws',
        roomId: ROOM,
        messageId: message().id,
        seq: 7,
      },
    ]);
  });
});
