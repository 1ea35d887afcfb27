/**
 * `npx tsx scripts/bundle-report.ts [function …] [--top N]`: where each function's bundle bytes go.
 * Builds every function (or those named) exactly as `cdk synth` does (lib/bundling.ts) and prints its
 * JavaScript bytes and the packages (or our own folders) that contribute most, from esbuild's metafile.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { esbuildOptions } from '../lib/bundling.js';
import { SERVICE_FUNCTIONS } from '../functions/shared/service-routes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Output bytes per package (`@scope/name`) or, for our code, per folder (`functions/shared/store`). */
export function bytesByOrigin(metafile: Metafile): Array<[string, number]> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const totals = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const origin = pkg ?? file.split('/').slice(0, 3).join('/');
    totals.set(origin, (totals.get(origin) ?? 0) + bytesInOutput);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 12;
  const named = args.filter((arg, i) => !arg.startsWith('--') && (topAt < 0 || i !== topAt + 1));
  const names = named.length > 0 ? named : Object.keys(SERVICE_FUNCTIONS);
  const dir = mkdtempSync(join(tmpdir(), 'bundle-report-'));
  for (const name of names) {
    const spec = (SERVICE_FUNCTIONS as Record<string, { entry: string }>)[name];
    if (!spec) throw new Error(`No function ${name}: one of ${Object.keys(SERVICE_FUNCTIONS).join(', ')}`);
    const outfile = join(dir, name, 'index.mjs');
    const { metafile } = await build({
      ...esbuildOptions(root, join(root, spec.entry), outfile),
      metafile: true,
    });
    console.log(`\n${name}: ${statSync(outfile).size.toLocaleString('en')} bytes of JavaScript`);
    for (const [origin, bytes] of bytesByOrigin(metafile).slice(0, top))
      console.log(`  ${(bytes / 1024).toFixed(1).padStart(7)} KB  ${origin}`);
  }
}
