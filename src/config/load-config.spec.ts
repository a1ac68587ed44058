import { describe, expect, it } from '@jest/globals';
import { adminConfig } from '../modules/admin/admin.config.js';
import { httpConfig } from './configuration.js';
import { configProviders, loadConfig } from './load-config.js';
import { ConfigValidationError } from './validate-env.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigValidationError');
};

describe('loadConfig', () => {
  it('reads every part with its defaults; module settings only when their flag is on', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(3000);
    expect(c.bus.driver).toBe('in-process');
    expect(c.features.flags.enableAdvancedAdmin).toBe(false);
    expect(c.admin).toBeNull();
    expect(c.bots).toBeNull();
    expect(c.onlineStats).toBeNull();
    const on = loadConfig({
      FEATURE_ADVANCED_ADMIN: 'true',
      FEATURE_BOT_MESSAGES: 'true',
      FEATURE_ONLINE_STATISTICS: 'true',
      ADMIN_SWEEP_INTERVAL_MS: '250',
    });
    expect(on.admin).toEqual({ sweepIntervalMs: 250, heartbeatIntervalMs: 5000 });
    expect(on.bots?.ratePerSec).toBe(5);
    expect(on.onlineStats?.leaseMs).toBe(30_000);
  });

  it('names every bad variable at once, in one line', () => {
    const problems = problemsOf({ PORT: 'eighty', WS_MAX_PAYLOAD: '12', LOG_LEVEL: 'loud' });
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/WS_MAX_PAYLOAD/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/^invalid configuration: PORT="eighty"/);
    expect(() => loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud' })).not.toThrow(/\n/);
  });

  it('reads the login back-off, and refuses a cap below its base delay', () => {
    expect(loadConfig({}).auth.loginThrottle).toEqual({
      freeFailures: 5,
      baseDelayMs: 1000,
      maxDelayMs: 900_000,
      forgetAfterMs: 86_400_000,
    });
    expect(
      problemsOf({ LOGIN_THROTTLE_BASE_DELAY_SEC: '60', LOGIN_THROTTLE_MAX_DELAY_SEC: '30' }),
    ).toEqual([expect.stringMatching(/^LOGIN_THROTTLE_MAX_DELAY_SEC=30: must not be below/)]);
  });

  it('requires JWT_SECRET in production, and never echoes a secret', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(
        /^JWT_SECRET \(unset\): JWT_SECRET is required when NODE_ENV=production/,
      ),
    ]);
    const short = problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'hunter2-short' });
    expect(short.join()).toMatch(/JWT_SECRET/);
    expect(short.join()).not.toMatch(/hunter2/);
    const url = problemsOf({ DATABASE_URL: 'mysql://app:pa55word@db/chat' });
    expect(url.join()).toMatch(/DATABASE_URL/);
    expect(url.join()).not.toMatch(/pa55word/);
  });

  it('validates the admin intervals when the module is on, and ignores them when it is off', () => {
    expect(problemsOf({ FEATURE_ADVANCED_ADMIN: 'true', ADMIN_SWEEP_INTERVAL_MS: 'soon' })).toEqual(
      [expect.stringMatching(/^ADMIN_SWEEP_INTERVAL_MS="soon"/)],
    );
    expect(
      problemsOf({ FEATURE_ADVANCED_ADMIN: 'true', ADMIN_HEARTBEAT_INTERVAL_MS: '10' }).join(),
    ).toMatch(/ADMIN_HEARTBEAT_INTERVAL_MS/);
    expect(loadConfig({ ADMIN_SWEEP_INTERVAL_MS: 'soon' }).admin).toBeNull();
    expect(problemsOf({ FEATURE_BOT_MESSAGES: 'on', BOT_WEBHOOK_LEASE_MS: '1000' }).join()).toMatch(
      /BOT_WEBHOOK_LEASE_MS/,
    );
    expect(problemsOf({ FEATURE_ONLINE_STATISTICS: '1', ONLINE_LEASE_SEC: '0' }).join()).toMatch(
      /ONLINE_LEASE_SEC/,
    );
  });

  it('exposes docs and metrics outside production; in production only what is chosen', () => {
    expect(loadConfig({}).operations).toEqual({
      metrics: { enabled: true, token: null },
      docs: { enabled: true },
    });
    const secret = { NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(40) };
    expect(loadConfig(secret).operations).toEqual({
      metrics: { enabled: false, token: null },
      docs: { enabled: false },
    });
    const token = 't'.repeat(32);
    expect(loadConfig({ ...secret, METRICS_TOKEN: token }).operations.metrics).toEqual({
      enabled: true,
      token,
    });
    expect(
      loadConfig({ ...secret, METRICS_ENABLED: 'true', DOCS_ENABLED: 'yes' }).operations,
    ).toEqual({ metrics: { enabled: true, token: null }, docs: { enabled: true } });
    expect(
      loadConfig({ METRICS_ENABLED: 'false', METRICS_TOKEN: token }).operations.metrics.enabled,
    ).toBe(false);
  });

  it('refuses a short METRICS_TOKEN or a bad flag, naming it and hiding the token', () => {
    const short = problemsOf({ METRICS_TOKEN: 'tiny-tok' });
    expect(short.join()).toMatch(/METRICS_TOKEN/);
    expect(short.join()).not.toMatch(/tiny-tok/);
    expect(problemsOf({ DOCS_ENABLED: 'perhaps' }).join()).toMatch(/DOCS_ENABLED/);
    expect(problemsOf({ METRICS_ENABLED: 'perhaps' }).join()).toMatch(/METRICS_ENABLED/);
  });

  it('reports a variable shared by several parts once', () => {
    expect(problemsOf({ NODE_ENV: 'staging' })).toHaveLength(1);
  });

  it('provides each part under its injection token, and a module that is off not at all', () => {
    const off = configProviders(loadConfig({}));
    expect(off.find((p) => p.provide === httpConfig.KEY)?.useValue).toMatchObject({ port: 3000 });
    expect(off.some((p) => p.provide === adminConfig.KEY)).toBe(false);
    const on = configProviders(loadConfig({ FEATURE_ADVANCED_ADMIN: 'true' }));
    expect(on.some((p) => p.provide === adminConfig.KEY)).toBe(true);
  });
});
