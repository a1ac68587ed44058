import { Injectable, Logger } from '@nestjs/common';
import {
  ChatExtensions,
  type SendAttempt,
  type SendAuthor,
} from '../../common/extensions/chat-extensions.js';
import { Errors } from '../../common/errors/domain-error.js';
import { EventBus } from '../../common/events/event-bus.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import { RoomsService } from '../rooms/rooms.service.js';
import {
  checkClientMsgId,
  checkContent,
  checkSameSend,
  type HistoryQuery,
  type Message,
  type MessageType,
} from './domain/message.js';
import { MessageRepository } from './domain/message.repository.js';

export interface SendInput {
  content: string;
  clientMsgId?: string | null;
  /** Send as this user (proxy module). */
  onBehalfOf?: string;
  /** `bot` for the bots module's route; users send text. */
  type?: MessageType;
  via?: SendAttempt['via'];
}

/** The one path every message takes, from REST and WebSocket alike. */
@Injectable()
export class MessagesService {
  private readonly log = new Logger('MessagesService');

  constructor(
    private readonly messages: MessageRepository,
    private readonly rooms: RoomsService,
    private readonly bus: EventBus,
    private readonly metrics: ChatMetrics,
    private readonly ext: ChatExtensions,
  ) {}

  async send(
    caller: { userId: string },
    roomId: string,
    input: SendInput,
  ): Promise<{ message: Message; created: boolean }> {
    const { stored } = await this.queueSend(caller, roomId, input);
    return stored;
  }

  /**
   * Checks the send and queues its append, resolving once it is queued (appends are stored in
   * the order queued); `stored` resolves when the message is stored and published. The gateway
   * uses this so a connection's next frame need not wait for the database.
   */
  async queueSend(
    caller: { userId: string },
    roomId: string,
    input: SendInput,
  ): Promise<{ stored: Promise<{ message: Message; created: boolean }> }> {
    checkContent(input.content);
    checkClientMsgId(input.clientMsgId);
    let author: SendAuthor = { userId: caller.userId, sentBy: null };
    let attempt: SendAttempt | null = null;
    // Optional modules' rules (mute, proxy, ...); none registered: nothing runs here.
    if (this.ext.sendPolicies.length > 0 || input.onBehalfOf !== undefined) {
      attempt = {
        actorId: caller.userId,
        roomId,
        onBehalfOf: input.onBehalfOf,
        type: input.type ?? 'text',
        via: input.via ?? 'rest',
      };
      author = await this.applySendPolicies(attempt, author);
    }
    await this.rooms.assertMember(author.userId, roomId);
    const appended = this.messages.appendToRoom({
      roomId,
      userId: author.userId,
      content: input.content,
      type: input.type ?? 'text',
      clientMsgId: input.clientMsgId ?? null,
      sentBy: author.sentBy,
    });
    return { stored: this.completeSend(roomId, appended, attempt) };
  }

  private async applySendPolicies(attempt: SendAttempt, author: SendAuthor): Promise<SendAuthor> {
    if (attempt.onBehalfOf !== undefined && !this.ext.handlesOnBehalfOf)
      throw Errors.validation(
        'VALIDATION_FAILED',
        'onBehalfOf is only accepted when the proxy module is on',
      );
    let current = author;
    for (const p of this.ext.sendPolicies) current = (await p.check(attempt, current)) ?? current;
    return current;
  }

  private async completeSend(
    roomId: string,
    appended: Promise<{ message: Message; created: boolean } | null>,
    attempt: SendAttempt | null,
  ): Promise<{ message: Message; created: boolean }> {
    const result = await appended;
    if (!result) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    checkSameSend(result.message, roomId);
    if (result.created) {
      this.metrics.messagesSent.inc();
      await this.bus.publish({ type: 'message.sent', roomId, message: result.message });
      if (this.ext.messageObservers.length > 0) this.notifyObservers(result.message, attempt);
    }
    return result;
  }

  private notifyObservers(message: Message, attempt: SendAttempt | null): void {
    const a: SendAttempt = attempt ?? {
      actorId: message.sentBy ?? message.userId,
      roomId: message.roomId,
      type: message.type,
      via: 'rest',
    };
    for (const o of this.ext.messageObservers) {
      Promise.resolve()
        .then(() => o.stored(message, a))
        .catch((err: unknown) =>
          this.log.error({ err: String(err), observer: o.name }, 'message observer failed'),
        );
    }
  }

  /**
   * Deletes a message for everyone: it becomes a tombstone (content gone, seq kept, so history
   * has no gap) and subscribers get message.deleted. Callers check who may do this. Deleting
   * a tombstone again changes nothing and answers it.
   */
  async tombstone(roomId: string, messageId: string): Promise<Message> {
    const result = await this.messages.tombstone(roomId, messageId);
    if (!result) throw Errors.notFound('MESSAGE_NOT_FOUND', 'message not found');
    if (result.changed)
      await this.bus.publish({
        type: 'message.deleted',
        roomId,
        id: result.message.id,
        seq: result.message.seq,
      });
    return result.message;
  }

  /** One message by id in a room (no access rules: callers check). */
  async findMessage(roomId: string, messageId: string): Promise<Message | null> {
    return this.messages.findById(roomId, messageId);
  }

  async history(
    caller: { userId: string },
    roomId: string,
    query: HistoryQuery,
  ): Promise<Page<Message>> {
    await this.rooms.assertMember(caller.userId, roomId);
    // Ask for one more than the page to know whether another page exists.
    const n = query.limit + 1;
    if (query.kind === 'after') {
      const rows = await this.messages.findAfterSeq(roomId, query.seq, n);
      const items = rows.slice(0, query.limit);
      return {
        items,
        nextCursor: rows.length > query.limit ? String(items[items.length - 1].seq) : null,
      };
    }
    const rows =
      query.kind === 'before'
        ? await this.messages.findBeforeSeq(roomId, query.seq, n)
        : await this.messages.findLatest(roomId, n);
    const items = rows.length > query.limit ? rows.slice(1) : rows;
    return { items, nextCursor: rows.length > query.limit ? String(items[0].seq) : null };
  }

  /** For replay and gap filling: what a subscriber missed, in seq order. */
  async since(roomId: string, afterSeq: number, limit: number): Promise<Message[]> {
    return this.messages.findAfterSeq(roomId, afterSeq, limit);
  }

  static historyQuery(q: { afterSeq?: number; beforeSeq?: number; limit?: number }): HistoryQuery {
    const limit = q.limit ?? DEFAULT_LIMIT;
    if (q.afterSeq !== undefined && q.beforeSeq !== undefined)
      throw Errors.validation('VALIDATION_FAILED', 'give afterSeq or beforeSeq, not both');
    if (q.afterSeq !== undefined) return { kind: 'after', seq: q.afterSeq, limit };
    if (q.beforeSeq !== undefined) return { kind: 'before', seq: q.beforeSeq, limit };
    return { kind: 'latest', limit };
  }
}
