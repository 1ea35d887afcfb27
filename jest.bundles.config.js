import base from './jest.config.js';

/**
 * `npm run test:bundles`: the end-to-end suite against the bundles `cdk synth` wrote (test/bundles/),
 * apart from `npm test`, which runs the TypeScript sources.
 */
export default {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['<rootDir>/test/bundles/**/*.test.ts'],
};
