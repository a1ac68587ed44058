import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { authConfig, type AuthConfig } from '../../config/configuration.js';
import { Errors } from '../../common/errors/domain-error.js';
import { Periodic } from '../../common/periodic.js';
import { LoginAttemptRepository } from './domain/login-attempt.repository.js';
import type { BackoffPolicy } from './domain/login-backoff.js';
import { LoginKeys } from './domain/login-keys.js';
import { resolveJwtSecret } from './jwt-secret.js';

/** What one login attempt is counted against (opaque to the caller). */
export interface LoginAttempt {
  readonly key: Buffer;
  /** The attempt came with a valid device token of the account it names. */
  readonly trustedDevice: boolean;
}

/**
 * Per-account login back-off, on top of the per-IP request limit (issue 11).
 *
 * A guessing run spread over many addresses still meets one count per account: the k-th failed
 * attempt on an account blocks it for an exponentially growing, capped delay (domain rule in
 * domain/login-backoff.ts). Logins that name no account are counted the same way under a digest
 * of the login, so the answers (401, then 429 with Retry-After) never tell whether it exists.
 *
 * So that a stranger cannot lock the owner out, a login presenting a device token that this
 * account was issued on an earlier successful login is counted under its own key (that
 * account and device), not under the account's: strangers' failures never delay it, and a
 * stolen token is held to the same back-off. Without such a token, the worst the owner meets is
 * one capped delay: the throttle never locks for good.
 */
@Injectable()
export class LoginThrottle implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('LoginThrottle');
  private readonly keys: LoginKeys;
  private readonly policy: BackoffPolicy;
  private readonly deviceTtlMs: number;
  private readonly purge: Periodic;

  constructor(
    private readonly attempts: LoginAttemptRepository,
    @Inject(authConfig.KEY) cfg: AuthConfig,
  ) {
    this.keys = new LoginKeys(resolveJwtSecret(cfg));
    this.policy = cfg.loginThrottle;
    this.deviceTtlMs = cfg.deviceTokenTtlMs;
    this.purge = new Periodic(
      'login-attempts-purge',
      10 * 60_000,
      async () => {
        await this.attempts.purgeForgotten(this.policy);
      },
      this.logger,
    );
  }

  onModuleInit(): void {
    this.purge.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.purge.stop();
  }

  /** The key a login attempt counts against: a trusted device's own, else the account's. */
  attemptFor(
    login: string,
    userId: string | null,
    deviceToken: string | undefined,
    nowMs = Date.now(),
  ): LoginAttempt {
    if (userId === null) return { key: this.keys.unknownLogin(login), trustedDevice: false };
    const deviceId =
      deviceToken === undefined
        ? null
        : this.keys.verifyDeviceToken(userId, deviceToken, nowMs, this.deviceTtlMs);
    return deviceId === null
      ? { key: this.keys.account(userId), trustedDevice: false }
      : { key: this.keys.device(userId, deviceId), trustedDevice: true };
  }

  /**
   * Lets the attempt through (counted as a failure until `succeeded`) or refuses it with 429
   * RATE_LIMITED and Retry-After, before any password is checked.
   */
  async admit(attempt: LoginAttempt): Promise<void> {
    const decision = await this.attempts.claim(attempt.key, this.policy);
    if (!decision.allowed)
      throw Errors.rateLimited(
        'RATE_LIMITED',
        'too many failed logins; try again later',
        decision.retryAfterMs / 1000,
        this.policy.freeFailures,
      );
  }

  /** The password was right: the count the attempt was held to starts over. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.attempts.clear(attempt.key);
  }

  /** A device token for the account, to present on later logins from this client. */
  issueDeviceToken(userId: string, nowMs = Date.now()): string {
    return this.keys.issueDeviceToken(userId, nowMs);
  }
}
