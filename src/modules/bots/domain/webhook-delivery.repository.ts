import type { MessageView } from '../../../common/events/chat-events.js';

/** A webhook delivery claimed for sending by this instance. */
export interface ClaimedDelivery {
  id: string;
  botId: string;
  messageId: string;
  /** What to send under `event` / `message`. */
  payload: { event: string; message: MessageView };
  /** Attempts made, this one included. */
  attempts: number;
  /** The bot's current webhook (null: removed since the delivery was queued). */
  webhookUrl: string | null;
  tokenHash: string;
  /** The message was deleted (tombstoned) since: its content must not go out. */
  messageDeleted: boolean;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A delivery as its bot's owner sees it. */
export interface DeliveryRecord {
  id: string;
  botId: string;
  messageId: string;
  roomId: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface DeliveryPage {
  items: DeliveryRecord[];
  next: [string, string] | null;
}

/** Persistence port for the webhook delivery queue (table webhook_deliveries). */
export abstract class WebhookDeliveryRepository {
  /**
   * Queues one delivery per bot with a webhook that is a member of the message's room (since
   * before the message), other than its author. Idempotent per (bot, message). Answers how many
   * new deliveries were queued.
   */
  abstract enqueueForMessage(message: MessageView): Promise<number>;
  /**
   * Claims up to `limit` due deliveries (pending, due, not leased) for `leaseMs`, counting the
   * attempt; rows another instance holds are skipped, not waited for.
   */
  abstract claimDue(limit: number, leaseMs: number, holder: string): Promise<ClaimedDelivery[]>;
  abstract markDelivered(id: string): Promise<void>;
  /**
   * Records a failed attempt: due again at `retryAt`, or failed for good when null. Only while
   * this claim (`attempts`) still holds the row.
   */
  abstract markAttemptFailed(
    id: string,
    attempts: number,
    error: string,
    retryAt: Date | null,
  ): Promise<void>;
  /** Deletes delivered and failed deliveries older than the retention. */
  abstract purgeFinished(olderThanHours: number): Promise<number>;
  /** A bot's deliveries, newest first. */
  abstract listForBot(
    botId: string,
    status: DeliveryStatus | undefined,
    limit: number,
    after: [string, string] | null,
  ): Promise<DeliveryPage>;
}
