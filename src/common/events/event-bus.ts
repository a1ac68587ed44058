import type { ChatEvent } from './chat-events.js';

export type ChatEventHandler = (event: ChatEvent) => void;

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
  /** Every event published on any instance reaches every subscriber on this instance. */
  abstract subscribe(handler: ChatEventHandler): () => void;
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
