import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { transformSync, version } from 'esbuild';

/**
 * Jest's transform for the TypeScript sources: esbuild strips the types, file by file, to native
 * ESM (`tsc --noEmit` in `npm test` does the type checking). It reads the compiler options that
 * change the emitted code (`target`, `verbatimModuleSyntax`, class fields) from tsconfig.json,
 * as tsc would. On a clean clone every worker transforms every module it loads: with ts-jest's
 * `transpileModule` that cost several seconds per worker, with esbuild a fraction of one.
 */

const tsconfig = readFileSync(new URL('../../tsconfig.json', import.meta.url), 'utf8');
const own = readFileSync(new URL(import.meta.url), 'utf8');
const { target } = JSON.parse(tsconfig).compilerOptions;

export default {
  process(sourceText, sourcePath, options) {
    const { code, map } = transformSync(sourceText, {
      loader: 'ts',
      // CommonJS where Jest loads a file through require (the global setup and teardown).
      format: options.supportsStaticESM ? 'esm' : 'cjs',
      target: target.toLowerCase(),
      tsconfigRaw: tsconfig,
      sourcefile: sourcePath,
      sourcemap: 'external',
      sourcesContent: false,
    });
    return { code, map };
  },
  getCacheKey(sourceText, sourcePath, options) {
    return createHash('sha256')
      .update(version)
      .update(own)
      .update(tsconfig)
      .update(sourcePath)
      .update(options.configString)
      .update(options.instrument ? 'instrument' : '')
      .update(options.supportsStaticESM ? 'esm' : 'cjs')
      .update(sourceText)
      .digest('hex');
  },
};
