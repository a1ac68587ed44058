// The WebSocket wire protocol of /ws, mirrored by hand from the server
// (src/common/events/chat-events.ts and src/modules/realtime/ws-protocol.ts, dto/ws.dto.ts).
// One file on purpose: it is to be replaced by types generated from /asyncapi.json once that
// document exists. test/sdk/events-mirror.ts fails to compile when the two drift apart.

export type MessageType = 'text' | 'system' | 'bot';

export interface ThreadSummary {
  replyCount: number;
  lastReplyAt: string;
  lastReplySeq: number;
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  /** Whether the reader reacted with it (false in live events, which carry changes). */
  me: boolean;
}

export interface MessageView {
  id: string;
  roomId: string;
  /** The message's place in its room: 1, 2, 3, … with no gaps. */
  seq: number;
  userId: string;
  username: string;
  content: string;
  type: MessageType;
  clientMsgId: string | null;
  createdAt: string;
  /** Who actually sent it when sent on the author's behalf (proxy module); else null. */
  sentBy: string | null;
  deletedAt: string | null;
  /** A tombstone: content "", seq kept. */
  deleted: boolean;
  editedAt: string | null;
  threadRootId: string | null;
  thread: ThreadSummary | null;
  mentions: string[];
  reactions: ReactionSummary[];
  /** The files it carries, in the sender's order. */
  attachments: AttachmentView[];
}

export interface AttachmentView {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  /** Signed download URL (no token needed), set when the message is served. */
  url?: string;
}

export interface RoomView {
  id: string;
  kind: 'room' | 'direct';
  name: string;
  description: string;
  ownerId: string;
  isPrivate: boolean;
  orgId: string | null;
  memberCount: number;
  lastSeq: number;
  lastEventSeq: number;
  /** Days its messages and room events are kept (owner's setting); null: the server's default. */
  retentionDays: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface InviteView {
  id: string;
  roomId: string;
  userId: string;
  invitedBy: string;
  createdAt: string;
}

export interface ReactionEventData {
  roomId: string;
  messageId: string;
  seq: number;
  emoji: string;
  userId: string;
  eventSeq: number;
}

/** Room events: every change to what a room's members see, numbered per room by eventSeq. */
export interface RoomEventDataMap {
  'message.new': MessageView & { eventSeq: number };
  'message.edited': {
    roomId: string;
    id: string;
    seq: number;
    content: string;
    editedAt: string;
    mentions: string[];
    eventSeq: number;
  };
  'message.deleted': { roomId: string; id: string; seq: number; eventSeq: number };
  'reaction.added': ReactionEventData;
  'reaction.removed': ReactionEventData;
  'member.joined': { roomId: string; userId: string; username: string; eventSeq: number };
  'member.left': {
    roomId: string;
    userId: string;
    username: string;
    reason: 'left' | 'kicked';
    eventSeq: number;
  };
  'room.updated': RoomView & { roomId: string; eventSeq: number };
}

export type RoomEventKind = keyof RoomEventDataMap;

export const ROOM_EVENT_KINDS: readonly RoomEventKind[] = [
  'message.new',
  'message.edited',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'member.joined',
  'member.left',
  'room.updated',
];

/** One entry of a room's log, as GET /api/rooms/:id/events lists it. */
export type RoomEvent = {
  [K in RoomEventKind]: {
    eventSeq: number;
    event: K;
    data: RoomEventDataMap[K];
    createdAt: string;
  };
}[RoomEventKind];

/** Every event the server sends on /ws, with its data. */
export interface ServerEvents extends RoomEventDataMap {
  'room.subscribed': { roomId: string; lastSeq: number; lastEventSeq: number };
  'room.unsubscribed': { roomId: string; reason?: 'requested' | 'left' | 'kicked' | 'deleted' };
  'message.ack': { clientMsgId: string; id: string; seq: number; createdAt: string };
  'room.deleted': { roomId: string };
  typing: { roomId: string; userId: string; username: string };
  presence: { roomId: string; userId: string; online: boolean };
  'invite.received': { invite: InviteView; room: RoomView };
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

/** Every event a client sends on /ws, with its data. */
export interface ClientEvents {
  /** Give afterEventSeq (v2: every room event after it) or afterSeq (v1: messages), not both. */
  'room.subscribe': { roomId: string; afterSeq?: number; afterEventSeq?: number };
  'room.unsubscribe': { roomId: string };
  /** clientMsgId: 1-64 characters of A-Z a-z 0-9 _ . : - ; the same id twice stores one message. */
  'message.send': {
    roomId: string;
    content: string;
    clientMsgId: string;
    threadRootId?: string;
    onBehalfOf?: string;
    /** Up to 10 of the sender's own finished uploads for this room (POST …/attachments). */
    attachmentIds?: string[];
  };
  typing: { roomId: string };
  'room.read': { roomId: string; seq: number };
  ping: Record<string, never>;
}

/** Close codes the server uses. */
export const CloseCodes = {
  goingAway: 1001,
  policyViolation: 1008,
  tooBig: 1009,
  /** Logout, refresh-token reuse, account disabled or banned. */
  sessionEnded: 4401,
} as const;

export function isRoomEventKind(event: string): event is RoomEventKind {
  return (ROOM_EVENT_KINDS as readonly string[]).includes(event);
}
