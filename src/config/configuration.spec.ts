import { afterEach, describe, expect, it } from '@jest/globals';
import {
  authConfig,
  busConfig,
  httpConfig,
  loadFeatureFlags,
  websocketConfig,
} from './configuration.js';
import { ConfigValidationError } from './validate-env.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  process.env = { ...saved, ...env };
  return fn();
}

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const http = withEnv({ PORT: '', NODE_ENV: '' }, () => httpConfig());
    expect(http.port).toBe(3000);
    expect(http.rateLimitPerMin).toBe(600);
    const ws = withEnv({}, () => websocketConfig());
    expect(ws.maxPayload).toBe(65536);
    expect(ws.ratePerSec).toBe(20);
    expect(ws.rateBurst).toBe(100);
    expect(withEnv({ KAFKA_BROKERS: '' }, () => busConfig()).driver).toBe('in-process');
  });

  it('stops on a bad value, naming the variable', () => {
    expect(() => withEnv({ PORT: 'eighty' }, () => httpConfig())).toThrow(/PORT/);
    expect(() => withEnv({ WS_MAX_PAYLOAD: '12' }, () => websocketConfig())).toThrow(
      /WS_MAX_PAYLOAD/,
    );
    expect(() => withEnv({ FEATURE_ORGANIZATIONS: 'maybe' }, () => loadFeatureFlags())).toThrow(
      ConfigValidationError,
    );
  });

  it('requires a real JWT_SECRET in production only', () => {
    expect(() => withEnv({ NODE_ENV: 'production', JWT_SECRET: '' }, () => authConfig())).toThrow(
      /JWT_SECRET/,
    );
    expect(() =>
      withEnv({ NODE_ENV: 'production', JWT_SECRET: 'changeme-changeme-changeme-changeme-1' }, () =>
        authConfig(),
      ),
    ).toThrow(/JWT_SECRET/);
    expect(() =>
      withEnv({ NODE_ENV: 'production', JWT_SECRET: 'short' }, () => authConfig()),
    ).toThrow(/JWT_SECRET/);
    const ok = withEnv({ NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(40) }, () => authConfig());
    expect(ok.jwtSecret).toBe('k'.repeat(40));
    expect(
      withEnv({ NODE_ENV: 'development', JWT_SECRET: '' }, () => authConfig()).jwtSecret,
    ).toBeNull();
  });

  it('reads flags and lists', () => {
    const f = loadFeatureFlags({ FEATURE_BOT_MESSAGES: 'true', ADMIN_USERNAMES: 'alice, bob' });
    expect(f.flags.enableBotMessages).toBe(true);
    expect(f.flags.enableOrganizations).toBe(false);
    expect(f.adminUsernames).toEqual(['alice', 'bob']);
    expect(withEnv({ KAFKA_BROKERS: 'a:9092,b:9092' }, () => busConfig())).toMatchObject({
      driver: 'kafka',
      kafkaBrokers: ['a:9092', 'b:9092'],
    });
  });
});
