import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from '../../lib/bundling.js';
import { symbolicate } from '../../scripts/symbolicate.js';

/** A bundle built like the functions' (minified, map beside it), and the stack it throws without maps. */
async function bundledStack(): Promise<{ stack: string; map: SourceMapPayload }> {
  const dir = mkdtempSync(join(tmpdir(), 'symbolicate-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src/failing.ts'),
    [
      'export function parse(input: string): number {',
      '  if (input === "") {',
      "    throw new Error('nothing to parse');",
      '  }',
      '  return Number(input);',
      '}',
      'export const handler = () => parse("");',
      '',
    ].join('\n'),
  );
  const outfile = join(dir, 'out/index.mjs');
  await build(esbuildOptions(dir, join(dir, 'src/failing.ts'), outfile));
  // As in Lambda: no --enable-source-maps, so the stack names the bundle's positions.
  const stack = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(`file://${outfile}`)}); try { m.handler(); } catch (e) { console.log(e.stack); }`,
    ],
    { env: { PATH: process.env.PATH }, encoding: 'utf8' },
  );
  return { stack, map: JSON.parse(readFileSync(`${outfile}.map`, 'utf8')) as SourceMapPayload };
}

describe('symbolicate', () => {
  it("rewrites a production stack's bundle positions to the TypeScript source lines", async () => {
    const { stack, map } = await bundledStack();
    expect(stack).toMatch(/index\.mjs:\d+:\d+/);
    expect(stack).not.toContain('failing.ts');
    const readable = symbolicate(stack, map);
    expect(readable).toContain('Error: nothing to parse');
    // The throw (line 3) and its caller (line 7), as repository-relative paths.
    expect(readable).toMatch(/src\/failing\.ts:3:\d+/);
    expect(readable).toMatch(/src\/failing\.ts:7:\d+/);
    expect(readable).not.toMatch(/index\.mjs:\d+:\d+/);
  });

  it('leaves lines without a bundle position, and positions the map does not cover, as they were', async () => {
    const { map } = await bundledStack();
    const text =
      'ERROR something failed\n    at node:internal/process/task_queues:105:5\n    at index.mjs:999:1';
    expect(symbolicate(text, map)).toBe(text);
  });
});
