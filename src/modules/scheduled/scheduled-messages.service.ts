import { Injectable, Logger } from '@nestjs/common';
import { decodeTimeIdCursor, encodeCursor } from '../../common/cursor.js';
import { Errors } from '../../common/errors/domain-error.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { checkContent } from '../messages/domain/message.js';
import { assertThreadRoot } from '../messages/domain/message-rules.js';
import { MessagesService } from '../messages/messages.service.js';
import { RoomsService } from '../rooms/rooms.service.js';
import {
  assertAuthorMaySend,
  assertChangeable,
  checkSendAt,
  classifySendError,
  MAX_ATTEMPTS,
  retryDelayMs,
  scheduledClientMsgId,
  type ClaimedScheduledMessage,
  type ScheduledMessage,
} from './domain/scheduled-message.js';
import { ScheduledErrorCodes } from './domain/scheduled-errors.js';
import {
  ScheduledMessageRepository,
  type ScheduledPatch,
} from './domain/scheduled-message.repository.js';

export interface ScheduleInput {
  content: string;
  sendAt: string;
  threadRootId?: string | null;
}

/** Where a test may make a sender stall on a row's first claim (SCHEDULED_TEST_STALL_AFTER). */
export type StallPoint = 'claim' | 'append' | null;

/** How one claimed row ended on this round. */
export type DeliveryOutcome = 'sent' | 'failed' | 'retry';

/**
 * Scheduled messages: the author's own list and changes, and their delivery. At `sendAt` a row
 * becomes an ordinary message of its author through MessagesService.send, the path REST sends
 * take (seq, room event, mentions, thread, read marker, fan-out, the optional modules' send
 * policies), with a clientMsgId derived from the row: a send retried after a crash between the
 * append and `markSent` is answered by the send dedupe with the message already stored.
 */
@Injectable()
export class ScheduledMessagesService {
  private readonly log = new Logger('ScheduledMessages');

  constructor(
    private readonly repo: ScheduledMessageRepository,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
  ) {}

  async schedule(
    caller: { userId: string },
    roomId: string,
    input: ScheduleInput,
    now = new Date(),
  ): Promise<ScheduledMessage> {
    checkContent(input.content);
    const sendAt = checkSendAt(input.sendAt, now);
    await this.rooms.assertMember(caller.userId, roomId);
    if (input.threadRootId) await this.checkThreadRoot(roomId, input.threadRootId);
    return this.repo.create({
      roomId,
      userId: caller.userId,
      content: input.content,
      threadRootId: input.threadRootId ?? null,
      sendAt,
    });
  }

  async list(
    caller: { userId: string },
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<ScheduledMessage>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    const page = await this.repo.listOwn(caller.userId, limit, after);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /** The author changes content, sendAt or the thread while it is pending and unclaimed. */
  async update(
    caller: { userId: string },
    id: string,
    input: Partial<ScheduleInput>,
    now = new Date(),
  ): Promise<ScheduledMessage> {
    const patch: ScheduledPatch = {};
    if (input.content !== undefined) {
      checkContent(input.content);
      patch.content = input.content;
    }
    if (input.sendAt !== undefined) patch.sendAt = checkSendAt(input.sendAt, now);
    if (input.threadRootId !== undefined) {
      const current = await this.repo.findOwn(id, caller.userId);
      if (!current) throw this.notFound();
      assertChangeable(current); // a 409 before a 400 about a thread it will never be sent to
      if (input.threadRootId !== null)
        await this.checkThreadRoot(current.roomId, input.threadRootId);
      patch.threadRootId = input.threadRootId;
    }
    const changed = await this.repo.change(id, caller.userId, (current) => {
      assertChangeable(current);
      return { kind: 'update', patch };
    });
    if (!changed) throw this.notFound();
    return changed;
  }

  async cancel(caller: { userId: string }, id: string): Promise<void> {
    const deleted = await this.repo.change(id, caller.userId, (current) => {
      assertChangeable(current);
      return { kind: 'delete' };
    });
    if (!deleted) throw this.notFound();
  }

  /**
   * One round of the sender: claims due rows for `holder` and sends each. A refusal of the send
   * (the author left...) fails the row; any other error frees it for a later round, and the
   * clientMsgId makes that retry store nothing twice. Rows are sent one after another in
   * sendAt order (ties: the order they were scheduled in), so rows due together keep it.
   */
  async sendDue(
    holder: string,
    opts: { batch: number; leaseMs: number; stall?: (point: StallPoint) => Promise<void> },
  ): Promise<DeliveryOutcome[]> {
    const claimed = await this.repo.claimDue(opts.batch, opts.leaseMs, holder);
    const outcomes: DeliveryOutcome[] = [];
    for (const row of claimed) outcomes.push(await this.deliver(row, opts.stall));
    return outcomes;
  }

  private async deliver(
    row: ClaimedScheduledMessage,
    stall?: (point: StallPoint) => Promise<void>,
  ): Promise<DeliveryOutcome> {
    const clientMsgId = scheduledClientMsgId(row.id);
    const first = row.attempts === 1;
    try {
      if (first && stall) await stall('claim');
      assertAuthorMaySend(row.authorStatus);
      const { message } = await this.messages.send({ userId: row.userId }, row.roomId, {
        content: row.content,
        clientMsgId,
        threadRootId: row.threadRootId,
      });
      if (first && stall) await stall('append');
      await this.repo.markSent(row.id, message.id, message.seq);
      return 'sent';
    } catch (err) {
      const failure = classifySendError(err);
      if (failure.kind === 'fail' || row.attempts >= MAX_ATTEMPTS) {
        const { code, reason } =
          failure.kind === 'fail'
            ? failure
            : { code: 'SEND_FAILED', reason: `not sent after ${row.attempts} attempts` };
        try {
          const status = await this.repo.markFailed(row.id, clientMsgId, code, reason);
          this.log.log({ scheduledId: row.id, code, status }, 'scheduled message not sent');
          return status === 'sent' ? 'sent' : 'failed';
        } catch (markErr) {
          // Its lease runs out and a later round decides again.
          this.log.warn({ scheduledId: row.id, err: String(markErr) }, 'marking failed failed');
          return 'retry';
        }
      }
      this.log.warn(
        { scheduledId: row.id, attempts: row.attempts, err: String(err) },
        'scheduled send failed; retrying',
      );
      // If even this fails, the lease runs out and the row is claimed again anyway.
      await this.repo.release(row.id, retryDelayMs(row.attempts)).catch(() => undefined);
      return 'retry';
    }
  }

  private async checkThreadRoot(roomId: string, threadRootId: string): Promise<void> {
    assertThreadRoot(await this.messages.findMessage(roomId, threadRootId));
  }

  private notFound() {
    return Errors.notFound(ScheduledErrorCodes.notFound, 'scheduled message not found');
  }
}
