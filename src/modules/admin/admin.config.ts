import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { configPart, toInt, validateEnv, type Env } from '../../config/validate-env.js';

// The admin module's own settings, validated by loadConfig before start-up (only when its flag
// is on): a bad value stops start-up with the variable's name.
class AdminEnv {
  /** How often each instance lifts timed bans/disables and ended mutes. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(3_600_000)
  ADMIN_SWEEP_INTERVAL_MS: number = 5000;
  /** How often each instance reports its open sockets for the cluster-wide overview. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600_000)
  ADMIN_HEARTBEAT_INTERVAL_MS: number = 5000;
}

export const adminConfig = configPart('admin', (e: Env) => {
  const env = validateEnv(AdminEnv, e);
  return {
    sweepIntervalMs: env.ADMIN_SWEEP_INTERVAL_MS,
    heartbeatIntervalMs: env.ADMIN_HEARTBEAT_INTERVAL_MS,
  };
});

export type AdminConfig = ReturnType<typeof adminConfig>;
