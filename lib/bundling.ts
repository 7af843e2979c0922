import { aws_lambda_nodejs as nodejs } from 'aws-cdk-lib';
import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda is bundled, in one place: the CDK stack (through `nodejsFunctionBundling()`)
 * and the bundle benchmark (bench/bundles.ts, through `esbuild.build()`) read the same settings,
 * so what is measured is what is deployed.
 *
 * - ESM out (`.mjs`), for Node 22 on Lambda.
 * - `mainFields: ['module', 'main']`: esbuild's default for platform node is `main` first, which
 *   resolves the AWS SDK to its CommonJS build; it tree-shakes far worse and the bundles grow by
 *   about 60%.
 * - The AWS SDK is bundled, not taken from the runtime (`external: []`): the version is the one
 *   in package-lock.json, and a bundled SDK tree-shakes to what the handler uses.
 * - No `require` banner (`import { createRequire } from 'module'; const require =
 *   createRequire(import.meta.url);`): no bundled module calls `require` today. Add it here if a
 *   CommonJS dependency ever does; bench/bundles.ts fails on esbuild's "Dynamic require" shim.
 */
export const lambdaEsbuildOptions = Object.freeze({
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  outExtension: { '.js': '.mjs' },
  mainFields: ['module', 'main'],
  external: [],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
} satisfies BuildOptions);

/**
 * Environment every function runs with. Without `--enable-source-maps` the source maps above are
 * shipped but never used in stack traces.
 */
export const lambdaRuntimeEnvironment: Readonly<Record<string, string>> = Object.freeze({
  NODE_OPTIONS: '--enable-source-maps',
});

/** The same settings as `lambdaEsbuildOptions`, as `NodejsFunction` bundling props. */
export function nodejsFunctionBundling(): nodejs.BundlingOptions {
  const o = lambdaEsbuildOptions;
  return {
    format: nodejs.OutputFormat.ESM,
    target: o.target,
    minify: o.minify,
    sourceMap: o.sourcemap,
    sourcesContent: o.sourcesContent,
    mainFields: [...o.mainFields],
    externalModules: [...o.external],
    // esbuild comes from devDependencies: bundle locally, never in Docker.
    forceDockerBundling: false,
  };
}
