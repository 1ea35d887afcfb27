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
} as const;
