import { readdirSync, readFileSync } from 'node:fs';

/**
 * The processes a test run leaves behind: every process the run started carries its marker in its
 * environment (global-setup.js sets TEST_RUN_MARKER before any worker or child is spawned, and children
 * inherit it), so another run or another checkout on the same machine is never counted. Only what a
 * test starts on purpose is looked for: `npm start` (local/start.ts), DynamoDB Local, Chromium.
 */
export const TEST_RUN_MARKER = 'GITHUB_APP_ACCOUNTS_TEST_RUN';

const KINDS: Array<[string, RegExp]> = [
  ['npm start', /local\/start\.ts/],
  ['DynamoDB Local', /DynamoDBLocal/],
  ['Chromium', /chrom(e|ium)/i],
];

export type Orphan = { pid: number; kind: string; command: string };

export function findOrphans(runId: string): Orphan[] {
  const orphans: Orphan[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!environ.includes(`${TEST_RUN_MARKER}=${runId}`)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const kind = KINDS.find(([, pattern]) => pattern.test(command))?.[0];
      if (kind) orphans.push({ pid, kind, command: command.slice(0, 200) });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return orphans;
}

/**
 * Waits (up to `graceMs`: a process told to stop may take a moment) until the run's processes are gone;
 * returns those still there.
 */
export async function orphansAfter(runId: string, graceMs = 5000): Promise<Orphan[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const orphans = findOrphans(runId);
    if (orphans.length === 0 || Date.now() > deadline) return orphans;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
