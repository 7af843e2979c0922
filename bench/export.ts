import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { seedTenantChain } from '../test/support/audit-seed';
import { randomToken } from '../test/support/stack';
import { fmt, startBenchStack } from './stack';

/**
 * X1: peak RSS growth of the server exporting 100,000 events / exporting 1,000.
 *
 * The server is what is measured, and only the export: each size gets a fresh child process
 * (`node --expose-gc`, V8 otherwise at its defaults, as `npm start` runs) serving the real
 * handlers over HTTP as `npm start` does (bin/local/server.ts over the local router, against this
 * run's DynamoDB Local), while this process is the client reading `GET /v1/audit/export` to its
 * end over a socket (so the server's writes wait for the socket to drain: backpressure, as behind
 * API Gateway's response streaming). The chains are seeded here, before, never in the measured
 * process. In the child, a warm-up export of the large chain (100,000 events), then the measured
 * one: two full GCs, the baseline RSS, the kernel's peak RSS reset (`/proc/self/clear_refs`,
 * Linux), the export, and the peak (`VmHWM`, the kernel's high-water mark of resident memory:
 * every page the process touched, not a sample). Growth = peak - baseline; below `FLOOR_MB` it is
 * noise (a page, a chunk, GC timing). Also printed: the heap after a full GC at the end minus the
 * baseline's, what the export left behind. The warm-up's own growth is its peak over the server's
 * RSS when it began to listen, with no collection before or after it (`firstExport`).
 *
 * The warm-up is the server's first export: it loads the code, grows V8's heap and malloc's
 * arenas to their working size, and gives V8's optimizing compiler the long run it takes to
 * compile the per-request code (the SDK's signing, endpoint and serde functions run once per
 * Query): once per process, printed as "first export". X1 measures what an export adds to a
 * server past that, as a warm Lambda or `npm start` is. With the JIT off (`X1_NODE_FLAGS=--no-opt`)
 * a 100,000-event export after a 30,000-event warm-up grew 0.0 MB in four runs of four; with it
 * on, 0 to 7.8 MB, while TurboFan compiled about 160 functions during the export. After a warm-up
 * as long as the large export, the same export grew 0.0 MB in six runs of seven
 * (docs/testing.md, "X1"). `X1_NODE_FLAGS` adds V8 flags to the child. Each size runs `X1_RUNS`
 * times (5), interleaved, and counts by its median run.
 * Goal <= 1.5: memory does not grow with the export.
 */
export interface ExportRow {
  readonly events: number;
  readonly growthMb: number;
  /** The heap after a full GC at the end of the export, minus before it. */
  readonly retainedMb: number;
  readonly bytes: number;
  readonly seconds: number;
}

export interface ExportFigures {
  readonly small: ExportRow;
  readonly large: ExportRow;
  readonly ratio: number;
  readonly seedSeconds: number;
  /** The child's V8 flags. */
  readonly flags: readonly string[];
  /** Each run's growth, in MB, in the order measured. */
  readonly runs: { readonly small: readonly number[]; readonly large: readonly number[] };
  /** Each fresh server's first export (the warm-up): its growth in MB, and its length. */
  readonly first: { readonly events: number; readonly growthMb: readonly number[] };
}

const CHILD = fileURLToPath(import.meta.url);
/** Below this, growth is measurement noise (one page of events, a chunk, GC timing). */
const FLOOR_MB = 1;
/**
 * Fresh server children per size: the figure is each size's median run. One run's growth varies
 * by a few MB with when V8 happens to collect (0.0 and 7.6 MB for the same export).
 */
const RUNS = Number(process.env.X1_RUNS ?? 5);
/** V8 flags added to the measured server (see above): none by default. */
const FLAGS = (process.env.X1_NODE_FLAGS ?? '').split(' ').filter(Boolean);

export async function exportFigures(
  options: { small?: number; large?: number } = {},
): Promise<ExportFigures> {
  const small = options.small ?? 1_000;
  const large = options.large ?? 100_000;
  const stack = await startBenchStack();
  try {
    const smallTenant = randomUUID();
    const largeTenant = randomUUID();
    const seeded = Date.now();
    await seedTenantChain(stack.dynamodb, stack.tableName, smallTenant, small);
    await seedTenantChain(stack.dynamodb, stack.tableName, largeTenant, large);
    const seedSeconds = (Date.now() - seeded) / 1000;
    // The warm-up exports the large chain: as long as the measured export, nothing more to seed.
    const warm = { tenant: largeTenant, events: large };
    const env = { endpoint: process.env.TEST_DYNAMODB_ENDPOINT ?? '', table: stack.tableName, warm };
    // Interleaved, so both sizes see the same drift of a shared machine.
    const smalls: ExportRow[] = [];
    const larges: ExportRow[] = [];
    const firsts: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const [tenant, events, rows] of [
        [smallTenant, small, smalls],
        [largeTenant, large, larges],
      ] as const) {
        const measured = await measure({ ...env, tenant }, events);
        rows.push(measured.export);
        firsts.push(measured.first);
      }
    }
    const a = median(smalls);
    const b = median(larges);
    return {
      small: a,
      large: b,
      runs: { small: smalls.map((r) => r.growthMb), large: larges.map((r) => r.growthMb) },
      ratio: Math.max(b.growthMb, FLOOR_MB) / Math.max(a.growthMb, FLOOR_MB),
      seedSeconds,
      flags: FLAGS,
      first: { events: large, growthMb: firsts },
    };
  } finally {
    await stack.close();
  }
}

/** The run of median growth. */
function median(rows: readonly ExportRow[]): ExportRow {
  return [...rows].sort((x, y) => x.growthMb - y.growthMb)[Math.floor(rows.length / 2)] as ExportRow;
}

interface ChildMessage {
  readonly port?: number;
  readonly baseline?: { rss: number; heap: number };
  readonly peak?: { rss: number; heap: number };
  /** The first export's peak RSS over the server's when it began to listen, in bytes. */
  readonly first?: number;
}

/** A fresh server child's first export (the warm-up), then its export of `tenant`. */
async function measure(
  env: {
    endpoint: string;
    table: string;
    warm: { readonly tenant: string; readonly events: number };
    tenant: string;
  },
  expected: number,
): Promise<{ first: number; export: ExportRow }> {
  const token = randomToken();
  // Nothing of the bench stack's own configuration (its secret id, stand-in endpoints).
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AWS_|TENANT_REGISTRY_|NODE_OPTIONS$)/.test(k)),
  );
  const child = spawn(process.execPath, ['--expose-gc', ...FLAGS, '--import', 'tsx', CHILD, '--child'], {
    env: { ...inherited, X1_ENDPOINT: env.endpoint, X1_TABLE: env.table, X1_TOKEN: token },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { port } = await ask(child, 'start');
    if (port === undefined) throw new Error('X1: the server child did not listen');
    return {
      first: await firstExport(child, port, token, env.warm),
      export: await exportOnce(child, port, token, env.tenant, expected),
    };
  } finally {
    child.kill();
  }
}

/**
 * The server's first export, the warm-up: its peak RSS over the server's RSS when it began to
 * listen. Nothing is collected before or after it (a collection before the warm-up changed what
 * the export after it measured: 6 MB instead of 0).
 */
async function firstExport(
  child: ChildProcess,
  port: number,
  token: string,
  warm: { readonly tenant: string; readonly events: number },
): Promise<number> {
  const got = await download(port, token, warm.tenant);
  if (got.lines !== warm.events + 1) throw new Error(`X1: the warm-up exported ${got.lines - 1} events`);
  const { first } = await ask(child, 'first');
  if (first === undefined) throw new Error('X1: the server child did not report its memory');
  return first / (1024 * 1024);
}

/** One export read to its end: the server's peak RSS growth over it, the heap it left behind. */
async function exportOnce(
  child: ChildProcess,
  port: number,
  token: string,
  tenant: string,
  expected: number,
): Promise<ExportRow> {
  const { baseline } = await ask(child, 'baseline');
  const started = Date.now();
  const got = await download(port, token, tenant);
  const seconds = (Date.now() - started) / 1000;
  const { peak: after } = await ask(child, 'peak');
  if (!baseline || !after) throw new Error('X1: the server child did not report its memory');
  if (got.lines !== expected + 1) throw new Error(`X1: exported ${got.lines - 1} events, seeded ${expected}`);
  const mb = (n: number) => n / (1024 * 1024);
  return {
    events: expected,
    growthMb: mb(Math.max(0, after.rss - baseline.rss)),
    retainedMb: mb(after.heap - baseline.heap),
    bytes: got.bytes,
    seconds,
  };
}

function ask(child: ChildProcess, what: string): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`X1 server child exited ${code}`));
    child.once('exit', onExit);
    child.once('message', (message: ChildMessage) => {
      child.off('exit', onExit);
      resolve(message);
    });
    child.send(what);
  });
}

/** Reads the export to its end as a client saving it would, counting lines and bytes. */
function download(port: number, token: string, tenant: string): Promise<{ lines: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/v1/audit/export?tenant_id=${tenant}`,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`X1: export answered ${res.statusCode}`));
          res.resume();
          return;
        }
        let lines = 0;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.on('end', () => resolve({ lines, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** In the child: the app configured as `npm start` would, served over HTTP; answers the parent. */
async function child(): Promise<void> {
  Object.assign(process.env, {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: process.env.X1_ENDPOINT,
    TENANT_REGISTRY_TABLE_NAME: process.env.X1_TABLE,
    TENANT_REGISTRY_API_ENABLED: 'true',
    TENANT_REGISTRY_API_TOKEN: process.env.X1_TOKEN,
    TENANT_REGISTRY_LOG_LEVEL: 'ERROR',
  });
  const { createRouter } = await import('../bin/local/router');
  const { serve } = await import('../bin/local/server');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('X1: the child needs --expose-gc');
  const collect = () => {
    gc();
    gc();
  };
  const server = await serve(await createRouter(), { port: 0 });
  resetPeak();
  const listening = process.memoryUsage().rss;
  process.on('message', (what: string) => {
    if (what === 'start') process.send?.({ port: (server.address() as AddressInfo).port });
    if (what === 'baseline') {
      collect();
      resetPeak();
      process.send?.({ baseline: { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed } });
    }
    if (what === 'first') process.send?.({ first: Math.max(0, peakRss() - listening) });
    if (what === 'peak') {
      const rss = Math.max(peakRss(), process.memoryUsage().rss);
      collect();
      process.send?.({ peak: { rss, heap: process.memoryUsage().heapUsed } });
    }
  });
}

/** Linux: `5` to clear_refs resets the peak RSS (VmHWM) to the current RSS. */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

function peakRss(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  const kb = Number(line?.replace(/\D+/g, ''));
  if (!Number.isFinite(kb) || kb === 0) throw new Error('X1: no VmHWM in /proc/self/status (Linux only)');
  return kb * 1024;
}

export function printExport(f: ExportFigures): void {
  console.log(
    `\nX1  audit export memory (peak RSS growth of the server${f.flags.length > 0 ? `, node ${f.flags.join(' ')}` : ''})`,
  );
  console.log(`    seeded ${f.small.events + f.large.events} events in ${fmt(f.seedSeconds, 1)} s`);
  console.log(
    `    first export of each fresh server (the warm-up, ${f.first.events} events): ` +
      `${f.first.growthMb.map((g) => fmt(g, 1)).join(', ')} MB peak growth (once: code, the JIT, V8's heap, malloc's arenas)`,
  );
  for (const [row, runs] of [
    [f.small, f.runs.small],
    [f.large, f.runs.large],
  ] as const) {
    console.log(
      `    ${String(row.events).padStart(7)} events: ${fmt(row.growthMb, 1).padStart(6)} MB peak growth ` +
        `(median of ${runs.map((g) => fmt(g, 1)).join(', ')}), ` +
        `${fmt(row.retainedMb, 1)} MB heap retained after GC, ` +
        `${fmt(row.bytes / (1024 * 1024), 1)} MB streamed in ${fmt(row.seconds, 1)} s`,
    );
  }
  console.log(
    `    X1 = ${fmt(f.ratio)} (growth at ${f.large.events} / at ${f.small.events}, each at least ${FLOOR_MB} MB; goal <= 1.5) ${f.ratio <= 1.5 ? 'OK' : 'OVER GOAL'}`,
  );
}

if (process.argv.includes('--child')) await child();
