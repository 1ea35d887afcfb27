import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Sections of `npm run bench` that run in their own process (own world, ports and table). */
export const CHILD_SECTIONS = {
  scale: 'scripts/bench/scale.ts',
  soak: 'scripts/bench/soak.ts',
} as const;

export type ChildSection = keyof typeof CHILD_SECTIONS;

/**
 * Runs a bench section as `npm run bench:<section>` would, its output inline. Options pass through
 * the environment (BENCH_SCALE_REPOS, BENCH_SOAK_SECONDS). A FAIL row is printed, not thrown; a
 * section that crashed is reported and the bench goes on with the next one.
 */
export function runChildSection(root: string, section: ChildSection): boolean {
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), CHILD_SECTIONS[section]],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  if (result.status !== 0)
    console.log(`(bench:${section} ended with ${result.status ?? result.signal ?? 'an error'})`);
  return result.status === 0;
}
