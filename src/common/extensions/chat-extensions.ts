// Extension points where optional (enterprise) modules plug into the core's use cases.
// Framework-free. A module that is off registers nothing, so the core pays one array-length
// check on its paths and runs none of the module's rules.
import type { MessageType, MessageView } from '../events/chat-events.js';
import type { PermissionResolver } from '../authz/permissions.js';

/** A send as the core received it, before any module had its say. */
export interface SendAttempt {
  /** The authenticated caller (a user, or a bot's user). */
  actorId: string;
  roomId: string;
  /** Asked-for author when acting on someone's behalf (proxy module). */
  onBehalfOf?: string;
  type: MessageType;
  via: 'rest' | 'ws' | 'bot';
}

/** Who the stored message is from: the author, and who sent it for them (or null). */
export interface SendAuthor {
  userId: string;
  sentBy: string | null;
}

/**
 * Checks a send before it is queued. May throw a DomainError (MUTED, PROXY_NOT_ALLOWED, ...);
 * may return a different author (the proxy module resolves `onBehalfOf` to the grantor).
 * Policies run in registration order, each seeing the author the previous one settled on.
 * The core checks the author's membership after them.
 */
export interface SendPolicy {
  readonly name: string;
  /** True when this policy decides on `onBehalfOf` (without one, the core refuses it). */
  readonly handlesOnBehalfOf?: boolean;
  check(attempt: SendAttempt, author: SendAuthor): Promise<SendAuthor | void> | SendAuthor | void;
}

/** Told after a message is stored and published (audit trails, webhooks). Errors are logged. */
export interface MessageObserver {
  readonly name: string;
  stored(message: MessageView, attempt: SendAttempt): Promise<void> | void;
}

/** The parts of a room a policy needs. */
export interface RoomFacts {
  id: string;
  ownerId: string;
  isPrivate: boolean;
  orgId: string | null;
}

/**
 * Extra rules on who may see, create and join rooms (the organisations module). Rooms with an
 * `orgId` are hidden from non-members unless a policy's `canSee` says yes, and cannot be joined
 * unless a policy's `canJoin` says yes; without a policy (module off) nobody but members sees them.
 */
export interface RoomPolicy {
  readonly name: string;
  /** Validates a new room's `orgId` for its creator; throws to refuse. */
  beforeCreate(userId: string, orgId: string): Promise<void>;
  canSee(userId: string, room: RoomFacts): Promise<boolean>;
  /** Throws a DomainError to refuse with a reason; resolves true to allow. */
  canJoin(userId: string, room: RoomFacts): Promise<boolean>;
}

/** One WebSocket connection as observers see it. */
export interface ConnectionInfo {
  connectionId: string;
  userId: string;
  sessionId: string;
  openedAt: Date;
}

/** Told when a WebSocket connection opens and closes on this instance (online statistics). */
export interface ConnectionObserver {
  readonly name: string;
  opened(conn: ConnectionInfo): Promise<void> | void;
  closed(conn: ConnectionInfo, closedAt: Date): Promise<void> | void;
}

/**
 * The registry the core consults. One per application (a global provider); enterprise modules
 * register into it when they initialise.
 */
export class ChatExtensions {
  readonly sendPolicies: SendPolicy[] = [];
  readonly messageObservers: MessageObserver[] = [];
  readonly roomPolicies: RoomPolicy[] = [];
  readonly connectionObservers: ConnectionObserver[] = [];
  private resolver: PermissionResolver | null = null;

  addSendPolicy(p: SendPolicy): void {
    this.sendPolicies.push(p);
  }
  addMessageObserver(o: MessageObserver): void {
    this.messageObservers.push(o);
  }
  addRoomPolicy(p: RoomPolicy): void {
    this.roomPolicies.push(p);
  }
  addConnectionObserver(o: ConnectionObserver): void {
    this.connectionObservers.push(o);
  }

  /** The roles module installs its resolver; without it the fallback (ADMIN_USERNAMES) applies. */
  usePermissionResolver(r: PermissionResolver): void {
    this.resolver = r;
  }
  get permissionResolver(): PermissionResolver | null {
    return this.resolver;
  }

  get handlesOnBehalfOf(): boolean {
    return this.sendPolicies.some((p) => p.handlesOnBehalfOf);
  }
}
