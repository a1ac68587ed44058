import { adminConfig, type AdminConfig } from '../modules/admin/admin.config.js';
import {
  attachmentsConfig,
  type AttachmentsConfig,
} from '../modules/attachments/attachments.config.js';
import { botsConfig, type BotsConfig } from '../modules/bots/bots.config.js';
import {
  onlineStatsConfig,
  type OnlineStatsConfig,
} from '../modules/online-stats/online-stats.config.js';
import {
  authConfig,
  busConfig,
  databaseConfig,
  featuresConfig,
  httpConfig,
  operationsConfig,
  retentionConfig,
  scheduledConfig,
  websocketConfig,
  type AuthConfig,
  type BusConfig,
  type DatabaseConfig,
  type FeaturesConfig,
  type HttpConfig,
  type OperationsConfig,
  type RetentionConfig,
  type ScheduledConfig,
  type WebsocketConfig,
} from './configuration.js';
import { ConfigValidationError, type ConfigPart, type Env } from './validate-env.js';

/** The whole validated configuration: what main.ts, the CLI and the tests hand to createApp. */
export interface AppConfig {
  http: HttpConfig;
  auth: AuthConfig;
  database: DatabaseConfig;
  bus: BusConfig;
  websocket: WebsocketConfig;
  operations: OperationsConfig;
  scheduled: ScheduledConfig;
  attachments: AttachmentsConfig;
  retention: RetentionConfig;
  features: FeaturesConfig;
  /** A module's own settings: null when its flag is off (then they are not even validated). */
  admin: AdminConfig | null;
  bots: BotsConfig | null;
  onlineStats: OnlineStatsConfig | null;
}

/**
 * Reads and validates every setting once, before anything starts (no database, no broker),
 * collecting every bad variable into one ConfigValidationError.
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const read = <T>(part: ConfigPart<T>): T => {
    try {
      return part(env);
    } catch (err) {
      if (!(err instanceof ConfigValidationError)) throw err;
      problems.push(...err.problems);
      return undefined as T; // only returned when problems is non-empty, so never seen
    }
  };
  const features = read(featuresConfig);
  const flags = features?.flags;
  const config: AppConfig = {
    http: read(httpConfig),
    auth: read(authConfig),
    database: read(databaseConfig),
    bus: read(busConfig),
    websocket: read(websocketConfig),
    operations: read(operationsConfig),
    scheduled: read(scheduledConfig),
    attachments: read(attachmentsConfig),
    retention: read(retentionConfig),
    features,
    admin: flags?.enableAdvancedAdmin ? read(adminConfig) : null,
    bots: flags?.enableBotMessages ? read(botsConfig) : null,
    onlineStats: flags?.enableOnlineStatistics ? read(onlineStatsConfig) : null,
  };
  // A variable named by several parts (NODE_ENV, DATA_DIR) is reported once.
  if (problems.length > 0) throw new ConfigValidationError([...new Set(problems)]);
  return config;
}

/** Each part of a loaded configuration with its injection token (null parts left out). */
export function configProviders(config: AppConfig): { provide: string; useValue: unknown }[] {
  const parts: [ConfigPart<unknown>, unknown][] = [
    [httpConfig, config.http],
    [authConfig, config.auth],
    [databaseConfig, config.database],
    [busConfig, config.bus],
    [websocketConfig, config.websocket],
    [operationsConfig, config.operations],
    [scheduledConfig, config.scheduled],
    [attachmentsConfig, config.attachments],
    [retentionConfig, config.retention],
    [featuresConfig, config.features],
    [adminConfig, config.admin],
    [botsConfig, config.bots],
    [onlineStatsConfig, config.onlineStats],
  ];
  return parts
    .filter(([, value]) => value !== null)
    .map(([part, value]) => ({ provide: part.KEY, useValue: value }));
}
