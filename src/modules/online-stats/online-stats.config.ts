import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { configPart, toInt, validateEnv, type Env } from '../../config/validate-env.js';

// Read by loadConfig only when the module is on, so a deployment with FEATURE_ONLINE_STATISTICS
// off never validates these.
class OnlineStatsEnv {
  /**
   * How long an instance's lease lasts. An instance renews it every third of this; one that
   * stops renewing for this long is taken for dead and its sessions are closed at its last
   * renewal by the other instances.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(3600) ONLINE_LEASE_SEC: number = 30;
}

export const onlineStatsConfig = configPart('onlineStats', (e: Env) => {
  const env = validateEnv(OnlineStatsEnv, e);
  return {
    leaseMs: env.ONLINE_LEASE_SEC * 1000,
    renewEveryMs: Math.round((env.ONLINE_LEASE_SEC * 1000) / 3),
  };
});

export type OnlineStatsConfig = ReturnType<typeof onlineStatsConfig>;
