import { TestEnvironment } from 'jest-environment-node';

const KEY = Symbol.for('github-app-accounts.test-processes');

/**
 * Jest's Node environment, plus: once a test file is done (its afterAll hooks included), whatever it
 * started and did not stop (test/support/processes.ts) is stopped, so a failed test or a half-started
 * fixture leaves no `npm start`, worker or Chromium behind.
 */
export default class TestFileEnvironment extends TestEnvironment {
  async teardown() {
    const left = [...(this.global[KEY] ?? [])];
    await Promise.allSettled(left.map((entry) => entry.stop()));
    if (left.length > 0)
      process.stderr.write(
        `stopped what the test file left running: ${left.map((entry) => entry.name).join(', ')}\n`,
      );
    await super.teardown();
  }
}
