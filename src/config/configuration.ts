import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import {
  ConfigValidationError,
  configPart,
  toBool,
  toInt,
  toList,
  validateEnv,
  type Env,
} from './validate-env.js';

// One class per concern. Each part is a pure function of the environment; loadConfig
// (load-config.ts) runs them all once, before anything starts, and a bad value stops start-up
// with the variable's name in the message.

class HttpEnv {
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT: number = 3000;
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV: string = 'development';
  @IsOptional() @Transform(toList) @IsString({ each: true }) ALLOWED_ORIGINS?: string[];
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_HTTP_PER_MIN: number = 600;
  @IsOptional()
  @IsIn(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
  LOG_LEVEL: string = 'info';
  @IsOptional() @Transform(toBool) @IsBoolean() TRUST_PROXY: boolean = false;
  @IsOptional() @IsString() DATA_DIR: string = './.data';
}

export const httpConfig = configPart('http', (e: Env) => {
  const env = validateEnv(HttpEnv, e);
  return {
    port: env.PORT,
    nodeEnv: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    /** null = any Origin (only outside production). */
    allowedOrigins: env.ALLOWED_ORIGINS ?? null,
    rateLimitPerMin: env.RATE_LIMIT_HTTP_PER_MIN,
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    dataDir: env.DATA_DIR,
  };
});

class AuthEnv {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV: string = 'development';
  // Required and non-trivial in production; elsewhere generated once and kept under DATA_DIR.
  @ValidateIf((o: AuthEnv) => o.NODE_ENV === 'production' || o.JWT_SECRET !== undefined)
  @IsDefined({
    message:
      'JWT_SECRET is required when NODE_ENV=production (32+ characters, e.g. openssl rand -base64 48)',
  })
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  @Matches(/^(?!change-me|changeme|secret)/i, { message: 'JWT_SECRET must not be a default value' })
  JWT_SECRET?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(30) @Max(86400) JWT_ACCESS_TTL_SEC: number = 900;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) REFRESH_TOKEN_TTL_SEC: number = 2592000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(5) @Max(300) WS_TICKET_TTL_SEC: number = 30;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) ROOM_JOIN_MAX_FAILURES: number = 5;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) ROOM_JOIN_FAILURE_WINDOW_SEC: number = 300;
  // Per-account login back-off (auth/domain/login-backoff.ts).
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) LOGIN_THROTTLE_FREE_FAILURES: number = 5;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) LOGIN_THROTTLE_BASE_DELAY_SEC: number = 1;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) LOGIN_THROTTLE_MAX_DELAY_SEC: number = 900;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) LOGIN_THROTTLE_FORGET_AFTER_SEC: number = 86400;
  @IsOptional() @Transform(toInt) @IsInt() @Min(60) LOGIN_DEVICE_TOKEN_TTL_SEC: number = 15552000;
  @IsOptional() @IsString() DATA_DIR: string = './.data';
}

export const authConfig = configPart('auth', (e: Env) => {
  const env = validateEnv(AuthEnv, e);
  if (env.LOGIN_THROTTLE_MAX_DELAY_SEC < env.LOGIN_THROTTLE_BASE_DELAY_SEC)
    throw new ConfigValidationError([
      `LOGIN_THROTTLE_MAX_DELAY_SEC=${env.LOGIN_THROTTLE_MAX_DELAY_SEC}: must not be below LOGIN_THROTTLE_BASE_DELAY_SEC (${env.LOGIN_THROTTLE_BASE_DELAY_SEC})`,
    ]);
  return {
    jwtSecret: env.JWT_SECRET ?? null,
    accessTtlSec: env.JWT_ACCESS_TTL_SEC,
    refreshTtlSec: env.REFRESH_TOKEN_TTL_SEC,
    wsTicketTtlSec: env.WS_TICKET_TTL_SEC,
    joinMaxFailures: env.ROOM_JOIN_MAX_FAILURES,
    joinFailureWindowSec: env.ROOM_JOIN_FAILURE_WINDOW_SEC,
    loginThrottle: {
      freeFailures: env.LOGIN_THROTTLE_FREE_FAILURES,
      baseDelayMs: env.LOGIN_THROTTLE_BASE_DELAY_SEC * 1000,
      maxDelayMs: env.LOGIN_THROTTLE_MAX_DELAY_SEC * 1000,
      forgetAfterMs: env.LOGIN_THROTTLE_FORGET_AFTER_SEC * 1000,
    },
    deviceTokenTtlMs: env.LOGIN_DEVICE_TOKEN_TTL_SEC * 1000,
    dataDir: env.DATA_DIR,
    isProduction: env.NODE_ENV === 'production',
  };
});

class DatabaseEnv {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;
  @IsOptional() @IsString() DATA_DIR: string = './.data';
  @IsOptional() @Transform(toBool) @IsBoolean() DB_MIGRATIONS_RUN: boolean = true;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500) DB_POOL_SIZE: number = 20;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500) DB_GENERIC_PLAN_POOL_SIZE: number = 5;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) EMBEDDED_PG_PORT: number = 0;
}

export const databaseConfig = configPart('database', (e: Env) => {
  const env = validateEnv(DatabaseEnv, e);
  return {
    url: env.DATABASE_URL ?? null,
    dataDir: env.DATA_DIR,
    migrationsRun: env.DB_MIGRATIONS_RUN,
    poolSize: env.DB_POOL_SIZE,
    genericPlanPoolSize: env.DB_GENERIC_PLAN_POOL_SIZE,
    embeddedPort: env.EMBEDDED_PG_PORT,
  };
});

class BusEnv {
  @IsOptional() @Transform(toList) @IsString({ each: true }) KAFKA_BROKERS?: string[];
  @IsOptional() @IsString() KAFKA_CLIENT_ID: string = 'chat-backend';
  @IsOptional() @IsString() KAFKA_TOPIC: string = 'chat.events';
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) KAFKA_PARTITIONS: number = 6;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) KAFKA_REPLICATION_FACTOR: number = 1;
  // Unset: the broker's default (1 on a single broker). A write is acked (acks=all) only once
  // this many replicas have it; fewer in sync and the broker refuses it.
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) KAFKA_MIN_INSYNC_REPLICAS?: number;
  @IsOptional() @IsString() INSTANCE_ID?: string;
}

export const busConfig = configPart('bus', (e: Env) => {
  const env = validateEnv(BusEnv, e);
  if (
    env.KAFKA_MIN_INSYNC_REPLICAS !== undefined &&
    env.KAFKA_MIN_INSYNC_REPLICAS > env.KAFKA_REPLICATION_FACTOR
  )
    // The topic would refuse every write.
    throw new ConfigValidationError([
      `KAFKA_MIN_INSYNC_REPLICAS=${env.KAFKA_MIN_INSYNC_REPLICAS}: at most KAFKA_REPLICATION_FACTOR (${env.KAFKA_REPLICATION_FACTOR})`,
    ]);
  return {
    driver: env.KAFKA_BROKERS && env.KAFKA_BROKERS.length > 0 ? 'kafka' : 'in-process',
    kafkaBrokers: env.KAFKA_BROKERS ?? [],
    kafkaClientId: env.KAFKA_CLIENT_ID,
    kafkaTopic: env.KAFKA_TOPIC,
    kafkaPartitions: env.KAFKA_PARTITIONS,
    kafkaReplicationFactor: env.KAFKA_REPLICATION_FACTOR,
    kafkaMinInsyncReplicas: env.KAFKA_MIN_INSYNC_REPLICAS ?? null,
    instanceId: env.INSTANCE_ID ?? null,
  } as const;
});

class WebsocketEnv {
  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(16777216) WS_MAX_PAYLOAD: number = 65536;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_WS_PER_SEC: number = 20;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) RATE_LIMIT_WS_BURST: number = 100;
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) WS_PING_INTERVAL_MS: number = 30000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(65536) WS_MAX_BUFFERED_BYTES: number = 4194304;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) WS_GAP_FILL_MS: number = 200;
}

export const websocketConfig = configPart('websocket', (e: Env) => {
  const env = validateEnv(WebsocketEnv, e);
  return {
    maxPayload: env.WS_MAX_PAYLOAD,
    ratePerSec: env.RATE_LIMIT_WS_PER_SEC,
    rateBurst: env.RATE_LIMIT_WS_BURST,
    pingIntervalMs: env.WS_PING_INTERVAL_MS,
    maxBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
    gapFillMs: env.WS_GAP_FILL_MS,
  };
});

class OperationsEnv {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV: string = 'development';
  /** Serve GET /metrics. Unset: on outside production; in production, on when METRICS_TOKEN is set. */
  @IsOptional() @Transform(toBool) @IsBoolean() METRICS_ENABLED?: boolean;
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;
  /** Serve the Swagger UI (/docs) and the OpenAPI document (/docs-json). Unset: off in production. */
  @IsOptional() @Transform(toBool) @IsBoolean() DOCS_ENABLED?: boolean;
}

/**
 * What the service exposes besides its API. In production nothing is public unless chosen:
 * the API documentation is off (it maps every route, the enterprise ones too, for anyone), and
 * metrics are served only behind a token (or when METRICS_ENABLED=true says so explicitly).
 */
export const operationsConfig = configPart('operations', (e: Env) => {
  const env = validateEnv(OperationsEnv, e);
  const isProduction = env.NODE_ENV === 'production';
  const metricsToken = env.METRICS_TOKEN ?? null;
  return {
    metrics: {
      enabled: env.METRICS_ENABLED ?? (!isProduction || metricsToken !== null),
      /** null: no token asked for. */
      token: metricsToken,
    },
    docs: { enabled: env.DOCS_ENABLED ?? !isProduction },
  };
});

class ScheduledEnv {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV: string = 'development';
  @IsOptional() @Transform(toBool) @IsBoolean() SCHEDULED_SENDER_ENABLED: boolean = true;
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(1000) SCHEDULED_POLL_MS: number = 250;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1000) @Max(600_000) SCHEDULED_LEASE_MS: number =
    5000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000) SCHEDULED_BATCH: number = 50;
  /** Tests only: a sender stalls on a row's first claim, after claiming it or after its append. */
  @IsOptional() @IsIn(['claim', 'append']) SCHEDULED_TEST_STALL_AFTER?: 'claim' | 'append';
}

/**
 * The scheduled messages sender that runs on every instance: how often it looks for due rows,
 * how long a claim holds a row (a dead instance's rows are taken over after it), how many rows
 * a round claims.
 */
export const scheduledConfig = configPart('scheduled', (e: Env) => {
  const env = validateEnv(ScheduledEnv, e);
  if (env.SCHEDULED_TEST_STALL_AFTER !== undefined && env.NODE_ENV === 'production')
    throw new ConfigValidationError([
      `SCHEDULED_TEST_STALL_AFTER=${env.SCHEDULED_TEST_STALL_AFTER}: a test knob, refused when NODE_ENV=production`,
    ]);
  return {
    /** Off: this instance sends none (others must, or nothing goes out). */
    senderEnabled: env.SCHEDULED_SENDER_ENABLED,
    pollMs: env.SCHEDULED_POLL_MS,
    leaseMs: env.SCHEDULED_LEASE_MS,
    batch: env.SCHEDULED_BATCH,
    testStallAfter: env.SCHEDULED_TEST_STALL_AFTER ?? null,
  };
});

class RetentionEnv {
  /** Unset: messages and room events are kept forever (unless a room sets its own). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(36_500) RETENTION_DAYS?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(86_400_000) RETENTION_SWEEP_MS: number =
    60_000;
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(10_000) RETENTION_BATCH: number = 1000;
}

/**
 * Retention: the server's default (a room's own retentionDays wins), how often each instance
 * tries a sweep (one instance sweeps at a time), and how many room events one delete statement
 * takes (its transaction's size).
 */
export const retentionConfig = configPart('retention', (e: Env) => {
  const env = validateEnv(RetentionEnv, e);
  return {
    /** null: keep forever. */
    defaultDays: env.RETENTION_DAYS ?? null,
    sweepMs: env.RETENTION_SWEEP_MS,
    batch: env.RETENTION_BATCH,
  };
});

class FeaturesEnv {
  @IsOptional() @Transform(toBool) @IsBoolean() FEATURE_ORGANIZATIONS: boolean = false;
  @IsOptional() @Transform(toBool) @IsBoolean() FEATURE_USER_ROLES: boolean = false;
  @IsOptional() @Transform(toBool) @IsBoolean() FEATURE_PROXY_SYSTEM: boolean = false;
  @IsOptional() @Transform(toBool) @IsBoolean() FEATURE_BOT_MESSAGES: boolean = false;
  @IsOptional() @Transform(toBool) @IsBoolean() FEATURE_ONLINE_STATISTICS: boolean = false;
  @IsOptional() @Transform(toBool) @IsBoolean() FEATURE_ADVANCED_ADMIN: boolean = false;
  @IsOptional() @Transform(toList) @IsString({ each: true }) ADMIN_USERNAMES?: string[];
}

/** The enterprise feature flags; every module is off unless its flag is set. */
export interface FeatureFlags {
  enableOrganizations: boolean;
  enableUserRoles: boolean;
  enableProxySystem: boolean;
  enableBotMessages: boolean;
  enableOnlineStatistics: boolean;
  enableAdvancedAdmin: boolean;
}

export function loadFeatureFlags(env: Env): {
  flags: FeatureFlags;
  adminUsernames: string[];
} {
  const e = validateEnv(FeaturesEnv, env);
  return {
    flags: {
      enableOrganizations: e.FEATURE_ORGANIZATIONS,
      enableUserRoles: e.FEATURE_USER_ROLES,
      enableProxySystem: e.FEATURE_PROXY_SYSTEM,
      enableBotMessages: e.FEATURE_BOT_MESSAGES,
      enableOnlineStatistics: e.FEATURE_ONLINE_STATISTICS,
      enableAdvancedAdmin: e.FEATURE_ADVANCED_ADMIN,
    },
    adminUsernames: e.ADMIN_USERNAMES ?? [],
  };
}

export const featuresConfig = configPart('features', loadFeatureFlags);

export type HttpConfig = ReturnType<typeof httpConfig>;
export type AuthConfig = ReturnType<typeof authConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type BusConfig = ReturnType<typeof busConfig>;
export type WebsocketConfig = ReturnType<typeof websocketConfig>;
export type OperationsConfig = ReturnType<typeof operationsConfig>;
export type FeaturesConfig = ReturnType<typeof featuresConfig>;
export type ScheduledConfig = ReturnType<typeof scheduledConfig>;
export type RetentionConfig = ReturnType<typeof retentionConfig>;
