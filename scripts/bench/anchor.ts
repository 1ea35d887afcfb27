import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { esbuildOptions as functionBuildOptions } from '../../lib/bundling.js';

export type BuiltBundle = { file: string; bytes: number };

/**
 * The esbuild options our functions are built with (lib/bundling.ts), without our own aliases (they
 * name this repository's modules; the anchor bundles what npm installed for it, as a user would).
 */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  const { alias: _ours, ...options } = functionBuildOptions(
    join(import.meta.dirname, '../..'),
    entry,
    outfile,
  );
  return options;
}

/**
 * Installs the anchor (Probot's Lambda adapter and the AWS SDK at the versions scripts/bench/anchor/package-lock.json
 * pins) into `.cache/bench-anchor` when that lock changed or nothing is there yet (`npm ci`, so the
 * versions are exactly the lock's), and bundles its handler as our functions are bundled.
 */
export async function buildAnchor(
  root: string,
  outDir: string,
  secrets: 'sdk' | 'extension' = 'sdk',
): Promise<BuiltBundle> {
  const pinned = join(root, 'scripts/bench/anchor');
  const cache = join(root, '.cache/bench-anchor');
  const lock = readFileSync(join(pinned, 'package-lock.json'), 'utf8');
  const installed = join(cache, 'package-lock.json');
  if (
    !existsSync(join(cache, 'node_modules/@probot/adapter-aws-lambda-serverless')) ||
    !existsSync(installed) ||
    readFileSync(installed, 'utf8') !== lock
  ) {
    mkdirSync(cache, { recursive: true });
    for (const file of ['package.json', 'package-lock.json'])
      copyFileSync(join(pinned, file), join(cache, file));
    console.log(`Installing the anchor into ${cache} (npm ci) …`);
    execFileSync('npm', ['ci', '--prefix', cache, '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  copyFileSync(join(pinned, 'handler.mjs'), join(cache, 'handler.mjs'));
  // The secret reader beside the handler, so it resolves the anchor's own SDK.
  const reader = join(cache, `secret-${secrets}.mjs`);
  copyFileSync(join(root, `scripts/bench/floor/secret-${secrets}.mjs`), reader);
  const file = join(outDir, `anchor-${secrets}`, 'index.mjs');
  await build({ ...esbuildOptions(join(cache, 'handler.mjs'), file), alias: { 'bench-secret': reader } });
  return { file, bytes: statSync(file).size };
}

/**
 * The floor (scripts/bench/floor/handler.mjs) bundled exactly as our functions are (lib/bundling.ts,
 * our aliases included: the floor is the same guarantee without our code, not without our build), its
 * secret read through the SDK or through the Parameters and Secrets extension.
 */
export async function buildFloor(
  root: string,
  outDir: string,
  secrets: 'sdk' | 'extension',
): Promise<BuiltBundle> {
  const dir = join(root, 'scripts/bench/floor');
  const file = join(outDir, `floor-${secrets}`, 'index.mjs');
  const options = functionBuildOptions(root, join(dir, 'handler.mjs'), file);
  await build({
    ...options,
    alias: { ...options.alias, 'bench-secret': join(dir, `secret-${secrets}.mjs`) },
  });
  return { file, bytes: statSync(file).size };
}

/** The exact versions the anchor runs (from its installed packages). */
export function anchorVersions(root: string): string {
  // Before the first run installs the anchor (buildAnchor, in section 1) there is nothing to read yet.
  if (!existsSync(join(root, '.cache/bench-anchor/node_modules/@probot/adapter-aws-lambda-serverless')))
    return 'pinned in scripts/bench/anchor (installed on first use)';
  const version = (name: string) =>
    (
      JSON.parse(
        readFileSync(join(root, '.cache/bench-anchor/node_modules', name, 'package.json'), 'utf8'),
      ) as { version: string }
    ).version;
  return `@probot/adapter-aws-lambda-serverless ${version('@probot/adapter-aws-lambda-serverless')} (probot ${version('probot')}) + @aws-sdk/client-dynamodb ${version('@aws-sdk/client-dynamodb')}`;
}
