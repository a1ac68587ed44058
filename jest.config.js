// Jest runs NestJS 12 (ESM-only) in ESM mode: NODE_OPTIONS=--experimental-vm-modules + ts-jest useESM.
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: false }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
  rootDir: '.',
  setupFiles: ['<rootDir>/test/setup/worker-databases.mjs'],
};
const allModulesOn = [...common.setupFiles, '<rootDir>/test/setup/all-modules-on.mjs'];

/** @type {import('jest').Config} */
export default {
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
  testTimeout: 30000,
  // Two files at a time (this machine kind has 2 cores; Jest's default would be 1): each worker
  // has its own databases (test/setup/worker-databases.mjs), brokers that tests stop are each
  // file's own, and every wait is on a condition. TEST_WORKERS=1 runs them one by one.
  maxWorkers: Number(process.env.TEST_WORKERS ?? 2),
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // The core's e2e files again with every enterprise module on: the core must behave the same.
    {
      ...common,
      displayName: 'e2e-all-modules',
      testMatch: ['<rootDir>/test/e2e/*.e2e-spec.ts'],
      setupFiles: allModulesOn,
    },
    // The same attachment behaviour on the S3 store, against a real S3Proxy (started by the
    // global setup only when this project runs).
    { ...common, displayName: 's3', testMatch: ['<rootDir>/test/s3/**/*.s3-spec.ts'] },
    // Several service processes on a real Kafka broker (started by the global setup).
    { ...common, displayName: 'kafka', testMatch: ['<rootDir>/test/kafka/**/*.kafka-spec.ts'] },
    // The core's Kafka suites again with every module on (the modules' own suites set their flags).
    {
      ...common,
      displayName: 'kafka-all-modules',
      testMatch: ['broker-outage', 'cross-instance', 'instance-failure', 'two-apps'].map(
        (f) => `<rootDir>/test/kafka/${f}.kafka-spec.ts`,
      ),
      setupFiles: allModulesOn,
    },
    // The client SDK (packages/sdk) against the real service: in-process apps and real processes.
    { ...common, displayName: 'sdk', testMatch: ['<rootDir>/test/sdk/**/*.sdk-spec.ts'] },
    // The web app (web/, built into dist/web) in a real Chromium, served by the real service.
    { ...common, displayName: 'web', testMatch: ['<rootDir>/test/web/**/*.web-spec.ts'] },
  ],
};
