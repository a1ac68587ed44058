import { afterEach, describe, expect, it } from '@jest/globals';
import { adminConfig } from './admin.config.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['ADMIN_SWEEP_INTERVAL_MS', 'ADMIN_HEARTBEAT_INTERVAL_MS']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('adminConfig', () => {
  it('defaults to 5 s for the sweep and the heartbeat', () => {
    delete process.env.ADMIN_SWEEP_INTERVAL_MS;
    delete process.env.ADMIN_HEARTBEAT_INTERVAL_MS;
    expect(adminConfig()).toEqual({ sweepIntervalMs: 5000, heartbeatIntervalMs: 5000 });
  });

  it('reads both intervals', () => {
    process.env.ADMIN_SWEEP_INTERVAL_MS = '200';
    process.env.ADMIN_HEARTBEAT_INTERVAL_MS = '300';
    expect(adminConfig()).toEqual({ sweepIntervalMs: 200, heartbeatIntervalMs: 300 });
  });

  it('refuses a bad value, naming the variable', () => {
    process.env.ADMIN_SWEEP_INTERVAL_MS = 'soon';
    expect(() => adminConfig()).toThrow(/ADMIN_SWEEP_INTERVAL_MS/);
    process.env.ADMIN_SWEEP_INTERVAL_MS = '1000';
    process.env.ADMIN_HEARTBEAT_INTERVAL_MS = '10';
    expect(() => adminConfig()).toThrow(/ADMIN_HEARTBEAT_INTERVAL_MS/);
  });
});
