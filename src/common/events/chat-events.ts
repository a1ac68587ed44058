// ChatEvents: what crosses instances. Framework-free; the bus drivers serialise these as JSON
// and validate them on the way in (a malformed record is skipped, never trusted).

export type MessageType = 'text' | 'system' | 'bot';

export interface MessageView {
  id: string;
  roomId: string;
  seq: number;
  userId: string;
  username: string;
  content: string;
  type: MessageType;
  clientMsgId: string | null;
  createdAt: string;
  /** Who actually sent it when sent on the author's behalf (proxy module); else null. */
  sentBy: string | null;
  /** Set when the message was deleted: a tombstone keeps its seq, its content is gone. */
  deletedAt: string | null;
}

export interface RoomView {
  id: string;
  /** 'room', or 'direct' for a direct conversation. */
  kind: 'room' | 'direct';
  name: string;
  description: string;
  ownerId: string;
  isPrivate: boolean;
  /** The organisation the room belongs to (organisations module), else null. */
  orgId: string | null;
  memberCount: number;
  lastSeq: number;
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

export type ChatEvent =
  | { type: 'message.sent'; roomId: string; message: MessageView }
  | { type: 'member.joined'; roomId: string; userId: string; username: string }
  | {
      type: 'member.left';
      roomId: string;
      userId: string;
      username: string;
      reason: 'left' | 'kicked';
    }
  | { type: 'room.updated'; roomId: string; room: RoomView }
  | { type: 'room.deleted'; roomId: string }
  | { type: 'typing'; roomId: string; userId: string; username: string }
  | { type: 'session.revoked'; userId: string; sessionId: string | null; reason: string }
  // Set by optional modules; the gateway forwards them to the room's subscribers.
  | { type: 'message.deleted'; roomId: string; id: string; seq: number }
  | { type: 'presence'; roomId: string; userId: string; online: boolean }
  // To every socket of one user (keyed by the user: no top-level roomId).
  | { type: 'invite.received'; userId: string; invite: InviteView; room: RoomView }
  // To every socket of one user: their read marker in a room moved.
  | {
      type: 'read.updated';
      roomId: string;
      userId: string;
      lastReadSeq: number;
      unreadCount: number;
      mentionCount: number;
    };

export type ChatEventType = ChatEvent['type'];

/** Partition key: a room's events stay in order on one partition; user events keyed by user. */
export function eventKey(event: ChatEvent): string {
  return 'roomId' in event ? event.roomId : event.userId;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isMessage(m: unknown): m is MessageView {
  return (
    isObj(m) &&
    isUuid(m.id) &&
    isUuid(m.roomId) &&
    Number.isSafeInteger(m.seq) &&
    (m.seq as number) > 0 &&
    isUuid(m.userId) &&
    isStr(m.username) &&
    isStr(m.content) &&
    (m.type === 'text' || m.type === 'system' || m.type === 'bot') &&
    (m.clientMsgId === null || isStr(m.clientMsgId)) &&
    isStr(m.createdAt) &&
    (m.sentBy === null || isUuid(m.sentBy)) &&
    (m.deletedAt === null || isStr(m.deletedAt))
  );
}

function isRoom(r: unknown): r is RoomView {
  return (
    isObj(r) &&
    isUuid(r.id) &&
    // Absent in records of instances that predate direct rooms: a room.
    (r.kind === undefined || r.kind === 'room' || r.kind === 'direct') &&
    isStr(r.name) &&
    isStr(r.description) &&
    isUuid(r.ownerId) &&
    typeof r.isPrivate === 'boolean' &&
    (r.orgId === null || isUuid(r.orgId)) &&
    Number.isSafeInteger(r.memberCount) &&
    Number.isSafeInteger(r.lastSeq)
  );
}

function isInvite(i: unknown): i is InviteView {
  return (
    isObj(i) &&
    isUuid(i.id) &&
    isUuid(i.roomId) &&
    isUuid(i.userId) &&
    isUuid(i.invitedBy) &&
    isStr(i.createdAt)
  );
}

/** Validates an inbound event (from Kafka or any other transport); null when malformed. */
export function parseChatEvent(raw: unknown): ChatEvent | null {
  if (!isObj(raw) || !isStr(raw.type)) return null;
  const e = raw;
  switch (e.type) {
    case 'message.sent':
      return isUuid(e.roomId) && isMessage(e.message) && e.message.roomId === e.roomId
        ? (e as unknown as ChatEvent)
        : null;
    case 'member.joined':
    case 'typing':
      return isUuid(e.roomId) && isUuid(e.userId) && isStr(e.username)
        ? (e as unknown as ChatEvent)
        : null;
    case 'member.left':
      return isUuid(e.roomId) &&
        isUuid(e.userId) &&
        isStr(e.username) &&
        (e.reason === 'left' || e.reason === 'kicked')
        ? (e as unknown as ChatEvent)
        : null;
    case 'room.updated':
      return isUuid(e.roomId) && isRoom(e.room) ? (e as unknown as ChatEvent) : null;
    case 'room.deleted':
      return isUuid(e.roomId) ? (e as unknown as ChatEvent) : null;
    case 'session.revoked':
      return isUuid(e.userId) && (e.sessionId === null || isUuid(e.sessionId)) && isStr(e.reason)
        ? (e as unknown as ChatEvent)
        : null;
    case 'message.deleted':
      return isUuid(e.roomId) &&
        isUuid(e.id) &&
        Number.isSafeInteger(e.seq) &&
        (e.seq as number) > 0
        ? (e as unknown as ChatEvent)
        : null;
    case 'presence':
      return isUuid(e.roomId) && isUuid(e.userId) && typeof e.online === 'boolean'
        ? (e as unknown as ChatEvent)
        : null;
    case 'read.updated':
      return isUuid(e.roomId) &&
        isUuid(e.userId) &&
        [e.lastReadSeq, e.unreadCount, e.mentionCount].every(
          (n) => Number.isSafeInteger(n) && (n as number) >= 0,
        )
        ? (e as unknown as ChatEvent)
        : null;
    case 'invite.received':
      return isUuid(e.userId) &&
        isInvite(e.invite) &&
        e.invite.userId === e.userId &&
        isRoom(e.room) &&
        e.room.id === e.invite.roomId
        ? (e as unknown as ChatEvent)
        : null;
    default:
      return null;
  }
}
