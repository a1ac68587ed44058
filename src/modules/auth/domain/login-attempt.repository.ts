import type { BackoffPolicy, ClaimDecision } from './login-backoff.js';

/**
 * Persistence port for per-account login back-off. Keys are opaque digests (never a raw
 * username or address). Shared by every instance, so a guessing run spread over instances
 * and addresses meets one count per account.
 */
export abstract class LoginAttemptRepository {
  /**
   * Decides an attempt under `key` with the back-off rule (claimAttempt) at the store's clock,
   * and stores the counted attempt when it is let through; atomic across instances.
   */
  abstract claim(key: Buffer, policy: BackoffPolicy): Promise<ClaimDecision>;
  /** A successful login: the key starts over. */
  abstract clear(key: Buffer): Promise<void>;
  /** Drops records the rule has forgotten; returns how many. */
  abstract purgeForgotten(policy: BackoffPolicy): Promise<number>;
}
