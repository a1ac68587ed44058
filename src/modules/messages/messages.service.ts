import { Injectable, Logger } from '@nestjs/common';
import { AuthorizationService } from '../../common/authz/authorization.service.js';
import {
  ChatExtensions,
  type SendAttempt,
  type SendAuthor,
} from '../../common/extensions/chat-extensions.js';
import { Errors } from '../../common/errors/domain-error.js';
import type { RoomEvent } from '../../common/events/chat-events.js';
import { EventBus } from '../../common/events/event-bus.js';
import { DEFAULT_LIMIT } from '../../common/http/pagination.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import { AttachmentUrls } from '../attachments/attachment-urls.js';
import { checkAttachmentIds } from '../attachments/domain/attachment.js';
import {
  MessageAttachments,
  type AttachmentClaim,
} from '../attachments/message-attachments.service.js';
import { checkRetained } from '../room-events/domain/room-event-cursor.js';
import { RoomsService } from '../rooms/rooms.service.js';
import {
  checkClientMsgId,
  checkContent,
  checkSameSend,
  type HistoryQuery,
  type Message,
  type MessageType,
} from './domain/message.js';
import { MessageRepository, type Appended } from './domain/message.repository.js';
import { checkEmoji } from './domain/emoji.js';
import { MessageErrorCodes } from './domain/message-errors.js';
import {
  assertCanDelete,
  assertCanEdit,
  assertCanReact,
  assertThreadRoot,
  checkReactionLimit,
} from './domain/message-rules.js';
import { parseMentionNames } from './domain/mentions.js';

export interface SendInput {
  content: string;
  clientMsgId?: string | null;
  /** Send as this user (proxy module). */
  onBehalfOf?: string;
  /** `bot` for the bots module's route; users send text. */
  type?: MessageType;
  via?: SendAttempt['via'];
  /** Reply in the thread of this top-level message of the same room. */
  threadRootId?: string | null;
  /** The sender's own uploads to this room, at most 10 (else ATTACHMENT_INVALID). */
  attachmentIds?: string[];
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
    private readonly authz: AuthorizationService,
    private readonly attachments: MessageAttachments,
    private readonly urls: AttachmentUrls,
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
    if (input.attachmentIds) checkAttachmentIds(input.attachmentIds);
    let author: SendAuthor = { userId: caller.userId, sentBy: null };
    const attempt: SendAttempt = {
      actorId: caller.userId,
      roomId,
      onBehalfOf: input.onBehalfOf,
      type: input.type ?? 'text',
      via: input.via ?? 'rest',
    };
    // Optional modules' rules (mute, proxy, ...); none registered: nothing runs here.
    if (this.ext.sendPolicies.length > 0 || input.onBehalfOf !== undefined)
      author = await this.applySendPolicies(attempt, author);
    await this.rooms.assertMember(author.userId, roomId);
    // A reply: one read of its root (only then), so the rule is checked before the append.
    if (input.threadRootId)
      assertThreadRoot(await this.messages.findById(roomId, input.threadRootId));
    // Attachments: claimed now (checked against the store), bound by the append that stores
    // the message (one statement: no message lists files that are not its own).
    const claim =
      input.attachmentIds && input.attachmentIds.length > 0
        ? await this.attachments.claim({
            senderId: caller.userId,
            roomId,
            ids: input.attachmentIds,
            clientMsgId: input.clientMsgId ?? null,
          })
        : null;
    const appended = this.messages.appendToRoom({
      roomId,
      userId: author.userId,
      content: input.content,
      type: input.type ?? 'text',
      clientMsgId: input.clientMsgId ?? null,
      sentBy: author.sentBy,
      threadRootId: input.threadRootId ?? null,
      mentionNames: parseMentionNames(input.content),
      attachments: claim?.summaries ?? null,
      attachmentClaim: claim?.token ?? null,
    });
    return { stored: this.completeSend(roomId, appended, attempt, claim) };
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
    appended: Promise<Appended | null>,
    attempt: SendAttempt,
    claim: AttachmentClaim | null,
  ): Promise<{ message: Message; created: boolean }> {
    let result: Appended | null;
    try {
      result = await appended;
      if (!result) {
        // Left out: the room is gone, or the claim went stale and another send took an upload.
        if (claim) await this.attachments.assertHeld(claim);
        throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
      }
      checkSameSend(result.message, roomId);
    } catch (err) {
      if (claim) await this.attachments.release(claim);
      throw err;
    }
    // A repeated clientMsgId stored nothing: the claimed uploads are free again.
    if (claim && !result.created) await this.attachments.release(claim);
    const message = this.urls.present(result.message);
    if (result.event) {
      this.metrics.messagesSent.inc();
      await this.publish(roomId, result.event);
      if (this.ext.messageObservers.length > 0) this.notifyObservers(message, attempt);
    }
    return { message, created: result.created };
  }

  /** A committed room event goes out; the log is its outbox, so the relay has it anyway. */
  private async publish(roomId: string, event: RoomEvent | null): Promise<void> {
    if (event) await this.bus.publish({ type: 'room.event', roomId, event });
  }

  /** The author edits their text message: message.edited. */
  async edit(
    caller: { userId: string },
    roomId: string,
    messageId: string,
    content: string,
  ): Promise<Message> {
    checkContent(content);
    await this.rooms.assertMember(caller.userId, roomId);
    const result = await this.messages.change(roomId, messageId, (current) => {
      assertCanEdit(current, caller.userId);
      return { kind: 'edit', content, mentionNames: parseMentionNames(content) };
    });
    if (!result) throw this.messageNotFound();
    await this.publish(roomId, result.event);
    return this.urls.present(result.message);
  }

  /**
   * The author, the room owner or a holder of message.delete.any deletes a message: it becomes
   * a tombstone and message.deleted goes out. A tombstone deleted again: nothing new.
   */
  async delete(caller: { userId: string }, roomId: string, messageId: string): Promise<void> {
    const [room, mayDeleteAny] = await Promise.all([
      this.rooms.findRoom(roomId),
      this.authz.can(caller.userId, 'message.delete.any', { type: 'room', id: roomId }),
    ]);
    if (!mayDeleteAny) await this.rooms.assertMember(caller.userId, roomId);
    else if (!room) throw Errors.notFound('ROOM_NOT_FOUND', 'room not found');
    const rights = { isRoomOwner: room?.ownerId === caller.userId, mayDeleteAny };
    let hadFiles = false;
    const result = await this.messages.change(roomId, messageId, (current) => {
      assertCanDelete(current, caller.userId, rights);
      hadFiles = (current.attachments?.length ?? 0) > 0;
      return current.deleted ? { kind: 'none' } : { kind: 'delete' };
    });
    if (!result) throw this.messageNotFound();
    await this.publish(roomId, result.event);
    if (hadFiles && result.event) await this.attachments.discard(roomId, result.message.seq);
  }

  /** A member adds (PUT) or removes (DELETE) their reaction; repeats change nothing. */
  async react(
    caller: { userId: string },
    roomId: string,
    messageId: string,
    rawEmoji: string,
    add: boolean,
  ): Promise<void> {
    const emoji = checkEmoji(rawEmoji);
    await this.rooms.assertMember(caller.userId, roomId);
    const result = await this.messages.react(
      roomId,
      messageId,
      caller.userId,
      emoji,
      add,
      (current, distinct, there) => {
        if (!add) return;
        assertCanReact(current);
        checkReactionLimit(distinct, there);
      },
    );
    if (!result) throw this.messageNotFound();
    await this.publish(roomId, result.event);
  }

  private messageNotFound() {
    return Errors.notFound(MessageErrorCodes.notFound, 'message not found in this room');
  }

  /** `attempt` as the send came in (its `via`: REST, WebSocket or a bot), the policies' input. */
  private notifyObservers(message: Message, attempt: SendAttempt): void {
    for (const o of this.ext.messageObservers) {
      Promise.resolve()
        .then(() => o.stored(message, attempt))
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
    let hadFiles = false;
    const result = await this.messages.change(roomId, messageId, (current) => {
      hadFiles = (current.attachments?.length ?? 0) > 0;
      return current.deleted ? { kind: 'none' } : { kind: 'delete' };
    });
    if (!result) throw this.messageNotFound();
    await this.publish(roomId, result.event);
    if (hadFiles && result.event) await this.attachments.discard(roomId, result.message.seq);
    return this.urls.present(result.message);
  }

  /** One message by id in a room (no access rules: callers check). */
  async findMessage(roomId: string, messageId: string): Promise<Message | null> {
    const m = await this.messages.findById(roomId, messageId);
    return m && this.urls.present(m);
  }

  /**
   * A page of history, rendered by the database (RenderedPage): the items' JSON is served as it
   * is, decoded only to sign attachment URLs when the page has attachments.
   */
  async history(
    caller: { userId: string },
    roomId: string,
    query: HistoryQuery,
  ): Promise<{ itemsJson: string; nextCursor: string | null }> {
    await this.rooms.assertMember(caller.userId, roomId);
    const page = await this.messages.readPage(roomId, query, caller.userId);
    // Retention deletes a room's oldest messages and nothing in between: a first row past
    // afterSeq + 1 means the ones right after the cursor are gone, so the answer is
    // RESYNC_REQUIRED rather than a page with a hole before it. (A thread's replies have gaps.)
    if (query.kind === 'after' && !query.threadRootId && page.firstSeq !== null)
      checkRetained(query.seq, page.firstSeq, 'afterSeq');
    const edge = query.kind === 'after' ? page.lastSeq : page.firstSeq;
    const itemsJson = page.withAttachments
      ? JSON.stringify((JSON.parse(page.itemsJson) as Message[]).map((m) => this.urls.present(m)))
      : page.itemsJson;
    return { itemsJson, nextCursor: page.more && edge !== null ? String(edge) : null };
  }

  /** For a v1 (afterSeq) replay: the messages a subscriber missed, in seq order, as they are now. */
  async since(
    roomId: string,
    afterSeq: number,
    limit: number,
    readerId?: string,
  ): Promise<Message[]> {
    const page = await this.messages.findAfterSeq(roomId, afterSeq, limit, { readerId });
    return page.map((m) => this.urls.present(m));
  }

  static historyQuery(q: {
    afterSeq?: number;
    beforeSeq?: number;
    limit?: number;
    threadRootId?: string;
  }): HistoryQuery {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const threadRootId = q.threadRootId;
    if (q.afterSeq !== undefined && q.beforeSeq !== undefined)
      throw Errors.validation('VALIDATION_FAILED', 'give afterSeq or beforeSeq, not both');
    if (q.afterSeq !== undefined) return { kind: 'after', seq: q.afterSeq, limit, threadRootId };
    if (q.beforeSeq !== undefined) return { kind: 'before', seq: q.beforeSeq, limit, threadRootId };
    return { kind: 'latest', limit, threadRootId };
  }
}
