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
  /** A tombstone: content "", seq kept. */
  deleted: boolean;
  editedAt: string | null;
  /** The top-level message of the same room this one replies to, or null. */
  threadRootId: string | null;
  /** On a root with replies; else null. */
  thread: ThreadSummary | null;
  /** Ids of the room members named as @username in the content. */
  mentions: string[];
  /** `me`: whether the reader reacted with it (false in live events, which carry changes). */
  reactions: ReactionSummary[];
  /**
   * The files it carries, in the sender's order. Stored and published without `url`; every
   * path that serves a message adds a freshly signed one (attachments/AttachmentUrls).
   */
  attachments: AttachmentView[];
}

export interface AttachmentView {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  /** Signed download URL, set when the message is served. */
  url?: string;
}

export interface ThreadSummary {
  replyCount: number;
  lastReplyAt: string;
  lastReplySeq: number;
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  me: boolean;
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
  /** eventSeq of the room's newest room event, 0 when none. */
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

/**
 * Room events (contract v2): every change to what a room's members see, numbered per room by
 * eventSeq. `data` is exactly what a subscriber gets live, eventSeq included.
 */
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
  /** The Room, plus roomId like every room event's data. */
  'room.updated': RoomView & { roomId: string; eventSeq: number };
}

export interface ReactionEventData {
  roomId: string;
  messageId: string;
  seq: number;
  emoji: string;
  userId: string;
  eventSeq: number;
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

/** One entry of a room's log, as stored and as GET /rooms/:id/events lists it. */
export type RoomEvent = {
  [K in RoomEventKind]: {
    eventSeq: number;
    event: K;
    data: RoomEventDataMap[K];
    createdAt: string;
  };
}[RoomEventKind];

/** What a change hands to the log: the data without its eventSeq (the log assigns it). */
export type RoomEventDraft = {
  [K in RoomEventKind]: { event: K; data: Omit<RoomEventDataMap[K], 'eventSeq'> };
}[RoomEventKind];

export type ChatEvent =
  // An entry of a room's log, exactly as the log holds it (the relay publishes these).
  | { type: 'room.event'; roomId: string; event: RoomEvent }
  | { type: 'room.deleted'; roomId: string }
  | { type: 'typing'; roomId: string; userId: string; username: string }
  | { type: 'session.revoked'; userId: string; sessionId: string | null; reason: string }
  // Set by optional modules; the gateway forwards them to the room's subscribers.
  | { type: 'presence'; roomId: string; userId: string; online: boolean }
  // To every socket of one user (keyed by the user: no top-level roomId).
  | { type: 'invite.received'; userId: string; invite: InviteView; room: RoomView }
  // To every socket of each member of a direct room that was just created (keyed by the room).
  | { type: 'dm.created'; roomId: string; memberIds: string[]; room: RoomView }
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
    (m.deletedAt === null || isStr(m.deletedAt)) &&
    typeof m.deleted === 'boolean' &&
    (m.editedAt === null || isStr(m.editedAt)) &&
    (m.threadRootId === null || isUuid(m.threadRootId)) &&
    (m.thread === null || isObj(m.thread)) &&
    Array.isArray(m.mentions) &&
    m.mentions.every(isUuid) &&
    Array.isArray(m.reactions)
  );
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** A room event's envelope and, per kind, the fields subscribers rely on. */
function isRoomEvent(roomId: string, e: unknown): e is RoomEvent {
  if (!isObj(e) || !isSeq(e.eventSeq) || !isStr(e.event) || !isStr(e.createdAt)) return false;
  const d = e.data;
  if (!isObj(d) || d.roomId !== roomId || d.eventSeq !== e.eventSeq) return false;
  switch (e.event as RoomEventKind) {
    case 'message.new':
      return isMessage(d);
    case 'message.edited':
      return isUuid(d.id) && isSeq(d.seq) && isStr(d.content) && isStr(d.editedAt);
    case 'message.deleted':
      return isUuid(d.id) && isSeq(d.seq);
    case 'reaction.added':
    case 'reaction.removed':
      return isUuid(d.messageId) && isSeq(d.seq) && isStr(d.emoji) && isUuid(d.userId);
    case 'member.joined':
      return isUuid(d.userId) && isStr(d.username);
    case 'member.left':
      return (
        isUuid(d.userId) && isStr(d.username) && (d.reason === 'left' || d.reason === 'kicked')
      );
    case 'room.updated':
      return isRoom(d) && d.id === roomId;
    default:
      return false; // a kind this instance does not know: not trusted
  }
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
    Number.isSafeInteger(r.lastSeq) &&
    // Absent in records of instances that predate the room event log.
    (r.lastEventSeq === undefined || Number.isSafeInteger(r.lastEventSeq)) &&
    // Absent in records of instances that predate retention.
    (r.retentionDays === undefined ||
      r.retentionDays === null ||
      Number.isSafeInteger(r.retentionDays))
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
    case 'room.event':
      return isUuid(e.roomId) && isRoomEvent(e.roomId, e.event)
        ? (e as unknown as ChatEvent)
        : null;
    case 'typing':
      return isUuid(e.roomId) && isUuid(e.userId) && isStr(e.username)
        ? (e as unknown as ChatEvent)
        : null;
    case 'room.deleted':
      return isUuid(e.roomId) ? (e as unknown as ChatEvent) : null;
    case 'session.revoked':
      return isUuid(e.userId) && (e.sessionId === null || isUuid(e.sessionId)) && isStr(e.reason)
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
    case 'dm.created':
      return isUuid(e.roomId) &&
        Array.isArray(e.memberIds) &&
        e.memberIds.length >= 2 &&
        e.memberIds.every(isUuid) &&
        isRoom(e.room) &&
        e.room.id === e.roomId &&
        e.room.kind === 'direct'
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
