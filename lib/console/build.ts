import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const CONSOLE_DIR = resolve(ROOT, 'console');

/**
 * Builds the console with Vite's own CLI into `outDir`, synchronously in a child process: CDK's local
 * bundling is synchronous, and Vite's bundler cannot run inside Jest's VM modules. The typed client is
 * type-only (checked by `npm run typecheck`), so the build needs nothing generated first.
 */
export function buildConsoleSync(outDir: string): void {
  execFileSync(
    process.execPath,
    [
      resolve(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      resolve(CONSOLE_DIR, 'vite.config.ts'),
      '--outDir',
      resolve(outDir),
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}
