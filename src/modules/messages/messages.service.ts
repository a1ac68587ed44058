import { Injectable } from '@nestjs/common';
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
} from './domain/message.js';
import { MessageRepository } from './domain/message.repository.js';

export interface SendInput {
  content: string;
  clientMsgId?: string | null;
}

/** The one path every message takes, from REST and WebSocket alike. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly rooms: RoomsService,
    private readonly bus: EventBus,
    private readonly metrics: ChatMetrics,
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
    await this.rooms.requireMember(caller.userId, roomId);
    const appended = this.messages.appendToRoom({
      roomId,
      userId: caller.userId,
      content: input.content,
      type: 'text',
      clientMsgId: input.clientMsgId ?? null,
    });
    return { stored: this.completeSend(roomId, appended) };
  }

  private async completeSend(
    roomId: string,
    appended: Promise<{ message: Message; created: boolean } | null>,
  ): Promise<{ message: Message; created: boolean }> {
    const result = await appended;
    if (!result) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    checkSameSend(result.message, roomId);
    if (result.created) {
      this.metrics.messagesSent.inc();
      await this.bus.publish({ type: 'message.sent', roomId, message: result.message });
    }
    return result;
  }

  async history(
    caller: { userId: string },
    roomId: string,
    query: HistoryQuery,
  ): Promise<Page<Message>> {
    await this.rooms.requireMember(caller.userId, roomId);
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
