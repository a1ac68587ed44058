/**
 * Whether stored messages also get an outbox record in the same transaction. The Kafka driver
 * turns it on (no acknowledged message may be lost while the broker is away); the in-process
 * driver has nothing to lose and leaves it off. Used as a DI token.
 */
export abstract class OutboxPolicy {
  abstract readonly enabled: boolean;
}
