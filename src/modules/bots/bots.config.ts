import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  configPart,
  ConfigValidationError,
  toInt,
  validateEnv,
  type Env,
} from '../../config/validate-env.js';
import { PRIVATE_ALLOWANCES, type PrivateAllowance } from './domain/webhook-address.js';

/** The bots module's settings; loadConfig validates them only when the module is on. */
class BotsEnv {
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10_000) BOT_RATE_PER_SEC: number = 5;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100_000) BOT_RATE_BURST: number = 20;
  @IsOptional()
  @IsIn(PRIVATE_ALLOWANCES as string[])
  BOT_WEBHOOK_ALLOW_PRIVATE: PrivateAllowance = 'none';
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(60_000) BOT_WEBHOOK_TIMEOUT_MS: number =
    5000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000) BOT_WEBHOOK_LEASE_MS: number =
    30_000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100) BOT_WEBHOOK_MAX_ATTEMPTS: number = 8;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) BOT_WEBHOOK_BACKOFF_BASE_MS: number = 1000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) BOT_WEBHOOK_BACKOFF_MAX_MS: number = 300_000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(60_000) BOT_WEBHOOK_POLL_MS: number = 1000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(256) BOT_WEBHOOK_CONCURRENCY: number = 8;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) BOT_WEBHOOK_RETENTION_HOURS: number = 168;
}

export const botsConfig = configPart('bots', (e: Env) => {
  const env = validateEnv(BotsEnv, e);
  // A lease must outlast a request, or a slow (not dead) sender's delivery would be taken over.
  if (env.BOT_WEBHOOK_LEASE_MS < env.BOT_WEBHOOK_TIMEOUT_MS + 1000)
    throw new ConfigValidationError([
      `BOT_WEBHOOK_LEASE_MS=${env.BOT_WEBHOOK_LEASE_MS}: must be at least BOT_WEBHOOK_TIMEOUT_MS + 1000`,
    ]);
  if (env.BOT_WEBHOOK_BACKOFF_MAX_MS < env.BOT_WEBHOOK_BACKOFF_BASE_MS)
    throw new ConfigValidationError([
      `BOT_WEBHOOK_BACKOFF_MAX_MS=${env.BOT_WEBHOOK_BACKOFF_MAX_MS}: must be at least BOT_WEBHOOK_BACKOFF_BASE_MS`,
    ]);
  return {
    ratePerSec: env.BOT_RATE_PER_SEC,
    rateBurst: env.BOT_RATE_BURST,
    allowPrivate: env.BOT_WEBHOOK_ALLOW_PRIVATE,
    timeoutMs: env.BOT_WEBHOOK_TIMEOUT_MS,
    leaseMs: env.BOT_WEBHOOK_LEASE_MS,
    retry: {
      maxAttempts: env.BOT_WEBHOOK_MAX_ATTEMPTS,
      baseMs: env.BOT_WEBHOOK_BACKOFF_BASE_MS,
      maxMs: env.BOT_WEBHOOK_BACKOFF_MAX_MS,
    },
    pollMs: env.BOT_WEBHOOK_POLL_MS,
    concurrency: env.BOT_WEBHOOK_CONCURRENCY,
    retentionHours: env.BOT_WEBHOOK_RETENTION_HOURS,
  };
});

export type BotsConfig = ReturnType<typeof botsConfig>;
