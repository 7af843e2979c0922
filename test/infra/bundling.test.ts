import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { TenantRegistry } from '../../lib/tenant-registry';
import { kebab } from '../../shared/contract/planes';
import { CACHE_DIR, cdkContext, ENV, inputHash, ROOT } from './support/synth';
import { resources, specOperations } from './support/template';

interface Bundled {
  /** Function description -> bytes of its index.mjs. */
  readonly bundles: Record<string, number>;
  readonly functions: number;
  readonly missingEntries: readonly string[];
}

/**
 * Synthesis with real bundling (local esbuild, as `npx cdk synth` does), once per change of any
 * input (sources of lib/, bin/, shared/, functions/, the spec, the lock file): about 3 s per
 * function, so the result is kept in a file named by the inputs' hash.
 */
function bundledSynth(): Bundled {
  const file = join(CACHE_DIR, `bundled-${inputHash('bundled', true)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Bundled;
  const missingEntries = specOperations
    .map((o) => `functions/${kebab(o.operationId)}/handler.ts`)
    .filter((f) => !existsSync(join(ROOT, f)));
  if (missingEntries.length > 0) return { bundles: {}, functions: 0, missingEntries };
  const outdir = mkdtempSync(join(tmpdir(), 'tenant-registry-synth-'));
  try {
    const app = new App({ outdir, context: cdkContext() });
    const registry = new TenantRegistry(app, 'TenantRegistry-bundled', { env: ENV });
    const assembly = app.synth();
    const bundles: Record<string, number> = {};
    let functions = 0;
    for (const stack of registry.stacks) {
      const template = assembly.getStackByName(stack.stackName).template;
      for (const [, fn] of resources(template, 'AWS::Lambda::Function')) {
        functions++;
        const asset = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
        const index = join(outdir, `asset.${asset}`, 'index.mjs');
        bundles[fn.Properties.Description] = existsSync(index) ? statSync(index).size : 0;
      }
    }
    const result = { bundles, functions, missingEntries };
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(result));
    return result;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

test('every function bundles with the shared settings (real esbuild, no Docker)', () => {
  const result = bundledSynth();
  expect(result.missingEntries).toEqual([]);
  // Plus the reconciler, the audit verifier, the webhook sender, the rotation and the stream consumer.
  expect(result.functions).toBe(specOperations.length + 5);
  for (const op of specOperations) {
    const [description, bytes] =
      Object.entries(result.bundles).find(([d]) => d.endsWith(`(${op.operationId})`)) ?? [];
    expect([op.operationId, description !== undefined]).toEqual([op.operationId, true]);
    // A real, minified ESM bundle: more than a stub, less than an unminified SDK.
    expect([op.operationId, (bytes ?? 0) > 10_000 && (bytes ?? 0) < 2_000_000]).toEqual([
      op.operationId,
      true,
    ]);
  }
  for (const job of ['alias reconciler', 'audit verifier', 'webhook sender', 'rotation', 'stream consumer']) {
    const entry = Object.entries(result.bundles).find(([d]) => d.includes(job));
    expect(entry?.[1]).toBeGreaterThan(10_000);
  }
}, 600_000);
