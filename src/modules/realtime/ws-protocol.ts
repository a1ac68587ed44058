// The wire format: JSON text frames {"event": "...", "data": {...}} both ways.
import type { InviteView, MessageView, RoomView } from '../../common/events/chat-events.js';

/** Every event the server sends, with its data: the typed map of outgoing frames. */
export interface ServerEvents {
  'room.subscribed': { roomId: string; lastSeq: number };
  'room.unsubscribed': { roomId: string; reason?: 'requested' | 'left' | 'kicked' | 'deleted' };
  'message.ack': { clientMsgId: string; id: string; seq: number; createdAt: string };
  'message.new': MessageView;
  'member.joined': { roomId: string; userId: string; username: string };
  'member.left': { roomId: string; userId: string; username: string };
  'room.updated': RoomView;
  'room.deleted': { roomId: string };
  typing: { roomId: string; userId: string; username: string };
  'message.deleted': { roomId: string; id: string; seq: number };
  presence: { roomId: string; userId: string; online: boolean };
  'invite.received': { invite: InviteView; room: RoomView };
  'read.updated': {
    roomId: string;
    lastReadSeq: number;
    unreadCount: number;
    mentionCount: number;
  };
  pong: { serverTime: string };
  error: { code: string; message: string; ref?: string };
}

export function frame<E extends keyof ServerEvents>(event: E, data: ServerEvents[E]): string {
  return JSON.stringify({ event, data });
}

/** Close codes the server uses. */
export const CloseCodes = {
  goingAway: 1001,
  policyViolation: 1008, // flooding, or a reader too slow to keep up
  tooBig: 1009,
  sessionEnded: 4401, // logout, refresh-token reuse, account disabled or banned
} as const;
