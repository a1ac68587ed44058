// Messages domain: what a message is and what content is acceptable. No framework imports.
import { Errors } from '../../../common/errors/domain-error.js';
import type { MessageType, MessageView } from '../../../common/events/chat-events.js';

export type Message = MessageView;
export type { MessageType };

export const CONTENT_MAX = 4000;
export const CLIENT_MSG_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Content is 1 to 4,000 characters (code points), and not only white space. */
export function checkContent(content: string): void {
  if (content.trim().length === 0)
    throw Errors.validation('VALIDATION_FAILED', 'content must not be empty');
  let n = 0;
  for (const _ of content) if (++n > CONTENT_MAX) break;
  if (n > CONTENT_MAX)
    throw Errors.validation(
      'VALIDATION_FAILED',
      `content must be at most ${CONTENT_MAX} characters`,
    );
}

/**
 * A service sender's clientMsgId (`<sender>/<id>`, e.g. the scheduled sender's): the `/` is outside
 * what clients may send (the DTOs hold them to CLIENT_MSG_ID_PATTERN), so no client send can take
 * such an id first.
 */
export const SERVICE_MSG_ID_PATTERN = /^[a-z]{1,16}\/[A-Za-z0-9_.:-]{1,47}$/;

/** The ids the send path stores: a client's, or a service sender's (reached only in-process). */
export function checkClientMsgId(id: string | null | undefined): void {
  if (
    id !== null &&
    id !== undefined &&
    !CLIENT_MSG_ID_PATTERN.test(id) &&
    !SERVICE_MSG_ID_PATTERN.test(id)
  )
    throw Errors.validation(
      'VALIDATION_FAILED',
      'clientMsgId must be 1-64 characters of A-Z a-z 0-9 _ . : -',
    );
}

/** An idempotent re-send must be the same send: same room. */
export function checkSameSend(existing: Message, roomId: string): void {
  if (existing.roomId !== roomId)
    throw Errors.conflict(
      'CLIENT_MSG_ID_CONFLICT',
      'clientMsgId was already used for a message in another room',
    );
}

export type HistoryQuery = (
  | { kind: 'after'; seq: number; limit: number }
  | { kind: 'before'; seq: number; limit: number }
  | { kind: 'latest'; limit: number }
) & { threadRootId?: string };
