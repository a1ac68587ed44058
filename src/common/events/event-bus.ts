import type { ChatEvent } from './chat-events.js';

export type ChatEventHandler = (event: ChatEvent) => void;

/**
 * What a transport knows of an event before decoding it: its type, its partition key (the room id,
 * or the user id for user events: see eventKey) and, for a room event, its kind when the record
 * says it (records of older versions do not).
 */
export interface EventHint {
  type: ChatEvent['type'];
  key: string;
  roomEvent?: string;
}

/**
 * Whether a subscriber may want an event, judged from its hint alone. False only when the event
 * cannot matter to it (e.g. a room with no subscriber on this instance), so that a transport can
 * drop the record without decoding it. A hint is an optimisation: a subscriber may still get
 * events it declined (the in-process driver hands it everything).
 */
export type EventInterest = (hint: EventHint) => boolean;

/** A shared subscriber's handler: the event counts as handled once the promise resolves. */
export type SharedEventHandler = (event: ChatEvent) => Promise<void>;

export interface BusHealth {
  healthy: boolean;
  driver: string;
  details?: Record<string, unknown>;
}

/**
 * The port every context publishes ChatEvents through and the gateway listens on.
 * Drivers: in-process (one instance) and Kafka (many instances). Used as the DI token.
 */
export abstract class EventBus {
  /** Resolves once the event is handed to the transport (delivered locally, or acked by Kafka). */
  abstract publish(event: ChatEvent): Promise<void>;
  /**
   * Every event published on any instance reaches every subscriber on this instance, except,
   * where the transport can tell before decoding, events `interest` declines (none without one).
   */
  abstract subscribe(handler: ChatEventHandler, interest?: EventInterest): () => void;
  /**
   * Work-sharing subscription (unlike `subscribe`, which is a broadcast): each event is handled
   * by ONE subscriber among all instances that subscribed with the same `group`, at least once
   * (a handler that fails or an instance that dies mid-way means the event is handled again,
   * possibly elsewhere: handlers must be idempotent). Events published after the returned
   * promise resolved are all handled; a brand new group does not replay older ones. Resolves
   * with a function that ends the subscription.
   */
  abstract subscribeShared(
    group: string,
    handler: SharedEventHandler,
  ): Promise<() => Promise<void>>;
  abstract health(): Promise<BusHealth>;
}
