/**
 * Bundle size (B1) and cold import time (B2) of every Lambda, against a reference bundle that
 * does one DynamoDB GetItem and nothing else (bench/reference/get-item.ts). Bundles are built
 * with exactly the deployed settings (lib/bundling.ts).
 *
 * - B1 = minified bundle bytes / reference bytes. Goal <= 1.5.
 * - B2 = median import time / median reference import time, each import in a fresh `node`,
 *   endpoint and reference interleaved so drift in machine load hits both. Goal <= 1.5.
 *
 * `npx tsx bench/bundles.ts [--rounds 15] [--keep] [--node-options '...']`; exits 1 when an
 * endpoint misses a goal. Imports run with the deployed NODE_OPTIONS unless told otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { lambdaEsbuildOptions, lambdaRuntimeEnvironment } from '../lib/bundling';
import { kebab } from '../shared/contract/planes';
import { operations } from '../shared/contract/spec';

export const B1_GOAL = 1.5;
export const B2_GOAL = 1.5;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REFERENCE_ENTRY = 'bench/reference/get-item.ts';
const REFERENCE_KEY = '_reference/get-item';

export interface BundleFigure {
  /** The operationId, or the folder name when openapi.yaml has no such operation. */
  readonly operation: string;
  readonly entry: string;
  readonly bytes: number;
  readonly b1: number;
  /** Median import time in a fresh process, ms. */
  readonly importMs: number;
  /** Median of the reference imports interleaved with this endpoint's, ms. */
  readonly referenceImportMs: number;
  readonly b2: number;
  readonly pass: boolean;
  /** Bundled bytes by package (node_modules) or project folder, largest first. */
  readonly composition: readonly (readonly [string, number])[];
  /** esbuild's `__require` shim is in the bundle: a CommonJS `require` that throws when reached in ESM. */
  readonly requireShim: boolean;
}

export interface BundleFigures {
  readonly rounds: number;
  readonly nodeOptions: string;
  readonly reference: {
    readonly bytes: number;
    readonly importMs: number;
    readonly composition: readonly (readonly [string, number])[];
  };
  readonly endpoints: readonly BundleFigure[];
}

export interface BundleFigureOptions {
  /** Import measurements per endpoint (and as many of the reference). @default 15 */
  readonly rounds?: number;
  /** Keep the bundles and print where. @default false */
  readonly keep?: boolean;
  /** NODE_OPTIONS of every timed process. @default the deployed one (lib/bundling.ts) */
  readonly nodeOptions?: string;
  /** Progress on stderr. @default false */
  readonly verbose?: boolean;
}

/** Builds every bundle once, then times imports; see the file comment. */
export async function bundleFigures(options: BundleFigureOptions = {}): Promise<BundleFigures> {
  const rounds = options.rounds ?? 15;
  const log = options.verbose ? (s: string) => process.stderr.write(s) : () => {};
  const outdir = await mkdtemp(join(tmpdir(), 'tenant-registry-bundles-'));
  try {
    const byFolder = new Map(operations().map((o) => [kebab(o.operationId), o.operationId]));
    const folders = (await readdir(join(ROOT, 'functions'), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const entries: Record<string, string> = { [REFERENCE_KEY]: REFERENCE_ENTRY };
    for (const folder of folders) {
      const entry = `functions/${folder}/handler.ts`;
      if (await exists(join(ROOT, entry))) entries[folder] = entry;
    }

    log(`bundling ${Object.keys(entries).length} entries into ${outdir}\n`);
    const result = await build({
      ...lambdaEsbuildOptions,
      entryPoints: entries,
      outdir,
      absWorkingDir: ROOT,
      metafile: true,
      logLevel: 'warning',
    });

    const out = (key: string) => join(outdir, `${key}.mjs`);
    const inspect = async (key: string) => {
      const file = out(key);
      const text = await readFile(file, 'utf8');
      return {
        file,
        bytes: Buffer.byteLength(text),
        requireShim: text.includes('Dynamic require of'),
        composition: composition(result.metafile, file),
      };
    };
    const reference = await inspect(REFERENCE_KEY);
    const endpoints = await Promise.all(
      Object.entries(entries)
        .filter(([key]) => key !== REFERENCE_KEY)
        .map(async ([key, entry]) => ({
          key,
          entry,
          operation: byFolder.get(key) ?? key,
          ...(await inspect(key)),
        })),
    );

    const nodeOptions = options.nodeOptions ?? lambdaRuntimeEnvironment.NODE_OPTIONS ?? '';
    // One warm-up of each, discarded: the first reads from a cold page cache.
    importMs(reference.file, nodeOptions);
    for (const e of endpoints) importMs(e.file, nodeOptions);

    const samples = new Map(endpoints.map((e) => [e.key, { own: [] as number[], ref: [] as number[] }]));
    for (let round = 1; round <= rounds; round++) {
      log(`\rimport round ${round}/${rounds}`);
      for (const e of endpoints) {
        const s = samples.get(e.key);
        if (!s) throw new Error(`no samples for ${e.key}`);
        s.own.push(importMs(e.file, nodeOptions));
        s.ref.push(importMs(reference.file, nodeOptions));
      }
    }
    log('\n');

    const allRef: number[] = [];
    const figures = endpoints.map((e): BundleFigure => {
      const s = samples.get(e.key) ?? { own: [], ref: [] };
      allRef.push(...s.ref);
      const own = median(s.own);
      const ref = median(s.ref);
      const b1 = e.bytes / reference.bytes;
      const b2 = own / ref;
      return {
        operation: e.operation,
        entry: e.entry,
        bytes: e.bytes,
        b1,
        importMs: own,
        referenceImportMs: ref,
        b2,
        pass: b1 <= B1_GOAL && b2 <= B2_GOAL && !e.requireShim,
        composition: e.composition,
        requireShim: e.requireShim,
      };
    });
    if (options.keep) log(`bundles kept in ${outdir}\n`);
    return {
      rounds,
      nodeOptions,
      reference: { bytes: reference.bytes, importMs: median(allRef), composition: reference.composition },
      endpoints: figures,
    };
  } finally {
    if (!options.keep) await rm(outdir, { recursive: true, force: true });
  }
}

/** The table, and for each endpoint over the B1 goal what its bundle holds beyond the reference's. */
export function formatFigures(f: BundleFigures): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const rows: string[][] = [
    ['operation', 'bytes', 'B1', 'import ms (median)', 'B2', 'result'],
    ['(reference: GetItem)', `${f.reference.bytes}`, '1.00', f.reference.importMs.toFixed(1), '1.00', ''],
    ...f.endpoints.map((e) => [
      e.operation,
      `${e.bytes}`,
      e.b1.toFixed(2),
      e.importMs.toFixed(1),
      e.b2.toFixed(2),
      e.pass ? 'PASS' : `FAIL (${failures(e).join(', ')})`,
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  const out = [
    `Goals: B1 <= ${B1_GOAL}, B2 <= ${B2_GOAL}. ${f.rounds} rounds, fresh node ${process.version} per import` +
      `${f.nodeOptions ? `, NODE_OPTIONS=${f.nodeOptions}` : ''}.`,
    '',
    line(rows[0] ?? []),
    ...rows.slice(1).map(line),
  ];

  // What the bundles over the B1 goal hold beyond the reference, grouped by the same culprits.
  const reference = new Map(f.reference.composition);
  const groups = new Map<string, { ops: string[]; detail: string }>();
  for (const e of [...f.endpoints].sort((a, b) => b.bytes - a.bytes).filter((x) => x.b1 > B1_GOAL)) {
    const extra = e.composition
      .map(([name, bytes]) => [name, bytes - (reference.get(name) ?? 0)] as const)
      .filter(([, bytes]) => bytes > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6);
    const key = extra.map(([name]) => name).join(',');
    const group = groups.get(key) ?? {
      ops: [],
      detail: `${kb(e.bytes - f.reference.bytes)} over the reference (${e.operation}); largest additions: ${extra
        .map(([name, bytes]) => `${name} +${kb(bytes)}`)
        .join(', ')}`,
    };
    group.ops.push(e.operation);
    groups.set(key, group);
  }
  for (const { ops, detail } of groups.values()) out.push('', `Over B1: ${ops.join(', ')}`, `  ${detail}`);
  for (const e of f.endpoints.filter((x) => x.requireShim)) {
    out.push(
      '',
      `${e.operation}: bundle holds esbuild's dynamic-require shim; add the createRequire banner.`,
    );
  }
  return out.join('\n');
}

function failures(e: BundleFigure): string[] {
  return [
    ...(e.b1 > B1_GOAL ? ['B1'] : []),
    ...(e.b2 > B2_GOAL ? ['B2'] : []),
    ...(e.requireShim ? ['require shim'] : []),
  ];
}

/** Milliseconds to import `file` in a new node process (module load and evaluation only). */
function importMs(file: string, nodeOptions: string): number {
  const script = `const t=performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now()-t))`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: tmpdir(),
    encoding: 'utf8',
    // A clean environment: nothing from this process (tsx's loader, credentials) leaks in.
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', NODE_OPTIONS: nodeOptions },
  });
  const ms = Number(child.stdout);
  if (child.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`importing ${file} failed (exit ${child.status}): ${child.stderr || child.stdout}`);
  }
  return ms;
}

/** Bytes each package (or project folder) contributes to one output. */
function composition(metafile: Metafile, outFile: string): (readonly [string, number])[] {
  const output = Object.entries(metafile.outputs).find(([path]) => join(ROOT, path) === outFile)?.[1];
  if (!output) throw new Error(`no metafile output for ${outFile}`);
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    const name = pkg ?? input.split('/').slice(0, 2).join('/');
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '15' },
      keep: { type: 'boolean', default: false },
      'node-options': { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  const figures = await bundleFigures({
    rounds,
    keep: values.keep,
    verbose: true,
    ...(values['node-options'] === undefined ? {} : { nodeOptions: values['node-options'] }),
  });
  process.stdout.write(`${formatFigures(figures)}\n`);
  if (figures.endpoints.some((e) => !e.pass)) process.exitCode = 1;
}
