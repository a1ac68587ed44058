import type { ChatEvent } from './chat-events.js';

export type ChatEventHandler = (event: ChatEvent) => void;

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
  abstract health(): Promise<BusHealth>;
}
