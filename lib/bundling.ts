import type { BuildOptions } from 'esbuild';

/**
 * How every function is bundled (esbuild through NodejsFunction): one definition, so the benchmark
 * measures exactly what `cdk deploy` ships.
 */
export const BUNDLING = {
  target: 'node22',
  platform: 'node',
  format: 'esm',
  minify: true,
  sourceMap: true,
  mainFields: ['module', 'main'],
  // Some CommonJS dependencies call require(); ESM output needs it defined.
  banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
  /**
   * Import paths esbuild replaces (paths relative to the repository root, esbuild's working
   * directory). Each saves cold-start time or bytes in every bundle; see the modules for why.
   */
  alias: {
    // Lambda's credentials are in the environment: no SSO/ini/IMDS chain (and no STS/SSO clients).
    '@aws-sdk/credential-provider-node': './functions/shared/runtime/lambda-credentials.ts',
    // Through require(): an ESM import of node:http loads undici on Node 22 (~30 ms).
    'node:http': './functions/shared/runtime/node-http.ts',
    'node:https': './functions/shared/runtime/node-https.ts',
  },
} as const;

/** BUNDLING.alias as NodejsFunction's `esbuildArgs` (`--alias:from=to`). */
export const esbuildAliasArgs = (): { '--alias': string[] } => ({
  '--alias': Object.entries(BUNDLING.alias).map(([from, to]) => `${from}=${to}`),
});

/**
 * The same bundle as NodejsFunction builds (lib/service-function.ts), for esbuild's API: scripts and
 * tests that build a function outside `cdk synth`. `root` is esbuild's working directory (the
 * repository), which BUNDLING.alias's paths are relative to.
 */
export function esbuildOptions(root: string, entry: string, outfile: string): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: BUNDLING.platform,
    format: BUNDLING.format,
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: false,
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    alias: { ...BUNDLING.alias },
    logLevel: 'silent',
  };
}
