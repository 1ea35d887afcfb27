/** Jest 30 + ts-jest in ESM mode: run with NODE_OPTIONS=--experimental-vm-modules (npm test does). */
export default {
  // Node's, stopping whatever a test file left running (test/support/environment.js).
  testEnvironment: '<rootDir>/test/support/environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The bundle suite needs `cdk synth` first: npm run test:bundles (jest.bundles.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/test/bundles/'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.js',
  // EMF metric lines out of the output unless a test captures them.
  setupFiles: ['<rootDir>/test/support/quiet-metrics.js'],
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
