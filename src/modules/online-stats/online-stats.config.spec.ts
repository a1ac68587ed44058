import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError } from '../../config/validate-env.js';
import { onlineStatsConfig } from './online-stats.config.js';

describe('online statistics configuration', () => {
  it('defaults to a 30 s lease renewed every 10 s', () => {
    expect(onlineStatsConfig({ ONLINE_LEASE_SEC: '' })).toEqual({
      leaseMs: 30_000,
      renewEveryMs: 10_000,
    });
  });

  it('takes a short lease (tests) and renews every third of it', () => {
    expect(onlineStatsConfig({ ONLINE_LEASE_SEC: '3' })).toEqual({
      leaseMs: 3000,
      renewEveryMs: 1000,
    });
  });

  it('stops on a bad value, naming the variable', () => {
    for (const v of ['0', '-5', 'soon', '1.5', '3601'])
      expect(() => onlineStatsConfig({ ONLINE_LEASE_SEC: v })).toThrow(ConfigValidationError);
    expect(() => onlineStatsConfig({ ONLINE_LEASE_SEC: 'soon' })).toThrow(/ONLINE_LEASE_SEC/);
  });
});
