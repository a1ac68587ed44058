import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigValidationError } from '../../config/validate-env.js';
import { onlineStatsConfig } from './online-stats.config.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  process.env = { ...saved, ...env };
  return fn();
}

describe('online statistics configuration', () => {
  it('defaults to a 30 s lease renewed every 10 s', () => {
    expect(withEnv({ ONLINE_LEASE_SEC: '' }, () => onlineStatsConfig())).toEqual({
      leaseMs: 30_000,
      renewEveryMs: 10_000,
    });
  });

  it('takes a short lease (tests) and renews every third of it', () => {
    expect(withEnv({ ONLINE_LEASE_SEC: '3' }, () => onlineStatsConfig())).toEqual({
      leaseMs: 3000,
      renewEveryMs: 1000,
    });
  });

  it('stops on a bad value, naming the variable', () => {
    for (const v of ['0', '-5', 'soon', '1.5', '3601'])
      expect(() => withEnv({ ONLINE_LEASE_SEC: v }, () => onlineStatsConfig())).toThrow(
        ConfigValidationError,
      );
    expect(() => withEnv({ ONLINE_LEASE_SEC: 'soon' }, () => onlineStatsConfig())).toThrow(
      /ONLINE_LEASE_SEC/,
    );
  });
});
