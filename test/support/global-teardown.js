import { tsImport } from 'tsx/esm/api';

/**
 * Stops the run's DynamoDB Local, then fails the run if any process a test started is still there
 * (`npm start`, DynamoDB Local, Chromium: test/support/orphans.ts), listing them. They are then
 * stopped (by pid; only this run's), so a failed run does not leave the machine busier.
 */
export default async function globalTeardown() {
  await globalThis.__dynamodbLocal?.stop();
  const { TEST_RUN_MARKER, orphansAfter } = await tsImport('./orphans.ts', import.meta.url);
  const runId = process.env[TEST_RUN_MARKER];
  if (!runId) return;
  const orphans = await orphansAfter(runId);
  if (orphans.length === 0) return;
  for (const { pid } of orphans) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  throw new Error(
    `Processes the tests started were still running after the suite (now killed):\n${orphans
      .map((orphan) => `  ${orphan.pid} ${orphan.kind}: ${orphan.command}`)
      .join('\n')}`,
  );
}
