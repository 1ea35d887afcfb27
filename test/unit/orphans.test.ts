import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { findOrphans, orphansAfter, TEST_RUN_MARKER } from '../support/orphans.js';

/**
 * The check after the suite (global-teardown.js) finds the processes a run left behind by the run's
 * marker, and only those: a stand-in whose command line names local/start.ts, as `npm start` does.
 */
it('finds a process the run started and left running, and nothing of another run', async () => {
  const runId = randomUUID();
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'local/start.ts'], {
    env: { ...process.env, [TEST_RUN_MARKER]: runId },
    stdio: 'ignore',
  });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    expect(findOrphans(runId)).toEqual([
      { pid: child.pid, kind: 'npm start', command: expect.stringContaining('local/start.ts') },
    ]);
    expect(findOrphans(randomUUID())).toEqual([]);
  } finally {
    child.kill('SIGKILL');
  }
  expect(await orphansAfter(runId)).toEqual([]);
});
