import { describe, expect, it } from '@jest/globals';
import { adminConfig } from './admin.config.js';

describe('adminConfig', () => {
  it('defaults to 5 s for the sweep and the heartbeat', () => {
    expect(adminConfig({})).toEqual({ sweepIntervalMs: 5000, heartbeatIntervalMs: 5000 });
  });

  it('reads both intervals', () => {
    expect(
      adminConfig({ ADMIN_SWEEP_INTERVAL_MS: '200', ADMIN_HEARTBEAT_INTERVAL_MS: '300' }),
    ).toEqual({ sweepIntervalMs: 200, heartbeatIntervalMs: 300 });
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => adminConfig({ ADMIN_SWEEP_INTERVAL_MS: 'soon' })).toThrow(
      /ADMIN_SWEEP_INTERVAL_MS/,
    );
    expect(() =>
      adminConfig({ ADMIN_SWEEP_INTERVAL_MS: '1000', ADMIN_HEARTBEAT_INTERVAL_MS: '10' }),
    ).toThrow(/ADMIN_HEARTBEAT_INTERVAL_MS/);
  });
});
