import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { MessageView } from '../../common/events/chat-events.js';
import {
  ChatExtensions,
  type MessageObserver,
  type SendAttempt,
  type SendAuthor,
  type SendPolicy,
} from '../../common/extensions/chat-extensions.js';
import { Errors } from '../../common/errors/domain-error.js';
import { ProxyRepository } from './domain/proxy.repository.js';

/**
 * Where the proxy module meets the send path. The policy resolves `onBehalfOf` to the grantor
 * (or refuses with PROXY_NOT_ALLOWED); the observer writes each proxied message to the audit
 * trail once it is stored.
 */
@Injectable()
export class ProxySendHooks implements SendPolicy, MessageObserver, OnModuleInit {
  readonly name = 'proxy';
  readonly handlesOnBehalfOf = true;
  /** The grant each proxied send was allowed by, for its audit line (the core hands the
   * observer the same attempt object the policy saw). */
  private readonly grantOf = new WeakMap<SendAttempt, string>();

  constructor(
    private readonly ext: ChatExtensions,
    private readonly repo: ProxyRepository,
  ) {}

  onModuleInit(): void {
    // First, ahead of policies registered before this one: every other rule (a mute, ...)
    // must judge the author the message will carry, the grantor, not the proxy typing it.
    this.ext.sendPolicies.unshift(this);
    this.ext.addMessageObserver(this);
  }

  async check(attempt: SendAttempt, _author: SendAuthor): Promise<SendAuthor | void> {
    const grantorId = attempt.onBehalfOf;
    // Sending "on behalf of" oneself is an ordinary send.
    if (grantorId === undefined || grantorId === attempt.actorId) return;
    const grantId = await this.repo.findLiveGrant(attempt.actorId, grantorId, attempt.roomId);
    if (!grantId)
      throw Errors.forbidden(
        'PROXY_NOT_ALLOWED',
        'you hold no live proxy grant from this user for this room',
      );
    this.grantOf.set(attempt, grantId);
    return { userId: grantorId, sentBy: attempt.actorId };
  }

  async stored(message: MessageView, attempt: SendAttempt): Promise<void> {
    if (message.sentBy === null) return;
    await this.repo.recordAudit({
      grantId: this.grantOf.get(attempt) ?? null,
      grantorId: message.userId,
      proxyUserId: message.sentBy,
      actorId: message.sentBy,
      action: 'message.send',
      via: attempt.via,
      roomId: message.roomId,
      messageId: message.id,
      seq: message.seq,
    });
  }
}
