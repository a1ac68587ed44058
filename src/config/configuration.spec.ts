import { describe, expect, it } from '@jest/globals';
import {
  authConfig,
  busConfig,
  databaseConfig,
  httpConfig,
  loadFeatureFlags,
  retentionConfig,
  websocketConfig,
} from './configuration.js';
import { ConfigValidationError } from './validate-env.js';

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const http = httpConfig({ PORT: '', NODE_ENV: '' });
    expect(http.port).toBe(3000);
    expect(http.rateLimitPerMin).toBe(600);
    const ws = websocketConfig({});
    expect(ws.maxPayload).toBe(65536);
    expect(ws.ratePerSec).toBe(20);
    expect(ws.rateBurst).toBe(100);
    expect(busConfig({ KAFKA_BROKERS: '' }).driver).toBe('in-process');
  });

  it('stops on a bad value, naming the variable', () => {
    expect(() => httpConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => websocketConfig({ WS_MAX_PAYLOAD: '12' })).toThrow(/WS_MAX_PAYLOAD/);
    expect(() => loadFeatureFlags({ FEATURE_ORGANIZATIONS: 'maybe' })).toThrow(
      ConfigValidationError,
    );
  });

  it('database pools: 20 connections per instance, 5 more for generic-plan statements; each 1-500', () => {
    expect(databaseConfig({})).toMatchObject({ poolSize: 20, genericPlanPoolSize: 5 });
    expect(databaseConfig({ DB_GENERIC_PLAN_POOL_SIZE: '2' }).genericPlanPoolSize).toBe(2);
    for (const bad of ['0', '501', 'many'])
      expect(() => databaseConfig({ DB_GENERIC_PLAN_POOL_SIZE: bad })).toThrow(
        /DB_GENERIC_PLAN_POOL_SIZE/,
      );
  });

  it('RETENTION_DAYS: unset keeps forever; otherwise a whole number of days, at least 1', () => {
    expect(retentionConfig({})).toEqual({ defaultDays: null, sweepMs: 60_000, batch: 1000 });
    expect(retentionConfig({ RETENTION_DAYS: '', RETENTION_SWEEP_MS: '100' })).toMatchObject({
      defaultDays: null,
      sweepMs: 100,
    });
    expect(retentionConfig({ RETENTION_DAYS: '30' }).defaultDays).toBe(30);
    for (const bad of ['0', '-1', '1.5', 'week', '36501'])
      expect(() => retentionConfig({ RETENTION_DAYS: bad })).toThrow(/RETENTION_DAYS/);
    expect(() => retentionConfig({ RETENTION_SWEEP_MS: '10' })).toThrow(/RETENTION_SWEEP_MS/);
    expect(() => retentionConfig({ RETENTION_BATCH: '0' })).toThrow(/RETENTION_BATCH/);
  });

  it('requires a real JWT_SECRET in production only', () => {
    expect(() => authConfig({ NODE_ENV: 'production', JWT_SECRET: '' })).toThrow(/JWT_SECRET/);
    expect(() =>
      authConfig({ NODE_ENV: 'production', JWT_SECRET: 'changeme-changeme-changeme-changeme-1' }),
    ).toThrow(/JWT_SECRET/);
    expect(() => authConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    const ok = authConfig({ NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(40) });
    expect(ok.jwtSecret).toBe('k'.repeat(40));
    expect(authConfig({ NODE_ENV: 'development', JWT_SECRET: '' }).jwtSecret).toBeNull();
  });

  it('reads flags and lists', () => {
    const f = loadFeatureFlags({ FEATURE_BOT_MESSAGES: 'true', ADMIN_USERNAMES: 'alice, bob' });
    expect(f.flags.enableBotMessages).toBe(true);
    expect(f.flags.enableOrganizations).toBe(false);
    expect(f.adminUsernames).toEqual(['alice', 'bob']);
    expect(busConfig({ KAFKA_BROKERS: 'a:9092,b:9092' })).toMatchObject({
      driver: 'kafka',
      kafkaBrokers: ['a:9092', 'b:9092'],
    });
  });

  it('takes the topic replication settings, and refuses a min.insync.replicas no write can meet', () => {
    expect(busConfig({})).toMatchObject({
      kafkaReplicationFactor: 1,
      kafkaMinInsyncReplicas: null,
    });
    expect(
      busConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }),
    ).toMatchObject({ kafkaReplicationFactor: 3, kafkaMinInsyncReplicas: 2 });
    expect(() => busConfig({ KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(
      /KAFKA_MIN_INSYNC_REPLICAS=2: at most KAFKA_REPLICATION_FACTOR \(1\)/,
    );
    expect(() => busConfig({ KAFKA_MIN_INSYNC_REPLICAS: '0' })).toThrow(
      /KAFKA_MIN_INSYNC_REPLICAS/,
    );
  });
});
