// The wire format: JSON text frames {"event": "...", "data": {...}} both ways.
import type {
  InviteView,
  RoomEvent,
  RoomEventDataMap,
  RoomView,
} from '../../common/events/chat-events.js';

/**
 * Every event the server sends, with its data: the typed map of outgoing frames. Room events
 * (RoomEventDataMap: message.new, message.edited, message.deleted, reaction.added,
 * reaction.removed, member.joined, member.left, room.updated) carry their eventSeq; so does a
 * v1 afterSeq replay's message.new (the message as it is now, with its message.new eventSeq).
 */
export interface ServerEvents extends RoomEventDataMap {
  'room.subscribed': { roomId: string; lastSeq: number; lastEventSeq: number };
  'room.unsubscribed': { roomId: string; reason?: 'requested' | 'left' | 'kicked' | 'deleted' };
  'message.ack': { clientMsgId: string; id: string; seq: number; createdAt: string };
  'room.deleted': { roomId: string };
  typing: { roomId: string; userId: string; username: string };
  presence: { roomId: string; userId: string; online: boolean };
  'invite.received': { invite: InviteView; room: RoomView };
  /** A direct room the user is in was just created (by them on another socket, or by another). */
  'dm.created': { room: RoomView };
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

/** A room event's frame: its kind is the event name, its data exactly as the log holds it. */
export function roomEventFrame(e: RoomEvent): string {
  return JSON.stringify({ event: e.event, data: e.data });
}

/** Close codes the server uses. */
export const CloseCodes = {
  goingAway: 1001,
  policyViolation: 1008, // flooding, or a reader too slow to keep up
  tooBig: 1009,
  sessionEnded: 4401, // logout, refresh-token reuse, account disabled or banned
} as const;
