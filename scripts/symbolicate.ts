/**
 * `npm run symbolicate -- <function | path/to/index.mjs.map> < stack.txt`: rewrites the bundle
 * positions of a production stack trace (`/var/task/index.mjs:1:23456`) to TypeScript sources
 * (`functions/webhook/handler.ts:42:7`).
 *
 * The functions run without `--enable-source-maps` (it costs every cold start; README "Reading a
 * production stack trace"), so Lambda's logs carry bundle positions. The map is the one `cdk synth`
 * wrote beside the bundle (cdk.out of the same commit: builds are reproducible), or the
 * `index.mjs.map` inside the deployed code (`aws lambda get-function` gives its download URL).
 * Node's own `module.SourceMap` reads it: no dependency, and nothing enabled globally.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBundles } from '../local/bundles.js';

/** A bundle position in a stack frame: `index.mjs:line:column` (1-based), with or without a folder. */
const FRAME = /(?:file:\/\/)?(?:[^\s()]*\/)?index\.mjs:(\d+):(\d+)/g;

/**
 * `text` with every `index.mjs:line:column` replaced by `source:line:column` (1-based). Sources are
 * repository paths (`functions/…`, `node_modules/…`): esbuild writes them relative to wherever the
 * bundle was built, so the leading `../` are dropped. Positions the map does not cover stay as they were.
 */
export function symbolicate(text: string, map: SourceMapPayload): string {
  const sourceMap = new SourceMap(map);
  return text.replace(FRAME, (frame, line: string, column: string) => {
    const entry = sourceMap.findEntry(Number(line) - 1, Number(column) - 1);
    // findEntry answers the closest mapping before the position, even on another line.
    if (!('originalSource' in entry) || entry.generatedLine !== Number(line) - 1) return frame;
    const source = entry.originalSource.replace(/^(?:file:\/\/)?(?:\.\.?\/)*/, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/** The map of a function's bundle in `cdkOut` (as `cdk synth` wrote it), or the map file given. */
export function mapFile(target: string, cdkOut: string): string {
  if (target.endsWith('.map')) return target;
  const bundles = readBundles(cdkOut) as Record<string, { file: string }>;
  const bundle = bundles[target];
  if (!bundle)
    throw new Error(`No function ${target}: one of ${Object.keys(bundles).join(', ')}, or a .map file`);
  return `${bundle.file}.map`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: npm run symbolicate -- <function | index.mjs.map> < stack.txt');
    process.exit(2);
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const file = resolve(mapFile(target, resolve(root, process.env.BUNDLES_DIR ?? 'cdk.out')));
  const map = JSON.parse(readFileSync(file, 'utf8')) as SourceMapPayload;
  process.stdout.write(symbolicate(readFileSync(0, 'utf8'), map));
}
