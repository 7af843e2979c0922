import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { seedTenantChain } from '../test/support/audit-seed';
import { randomToken } from '../test/support/stack';
import { fmt, startBenchStack } from './stack';

/**
 * X1: peak RSS growth of a process exporting 100,000 events / exporting 1,000, each export a
 * fresh child process running the real handler (`GET /v1/audit/export` through the local router)
 * against the same DynamoDB Local, reading the streamed body to its end and dropping it as a
 * client writing to disk would. Growth is the process's peak RSS during the export (sampled at
 * every chunk of the body, about 64 KiB) minus its RSS before it, both after a warm-up export
 * of 1,000 events (so module loading and first-call costs weigh on neither), V8 at its defaults.
 * Known: V8 lets a steady stream of garbage grow the heap before it collects (measured 11.9 MB
 * at 100,000 events / 1.0 MB at 1,000), so this ratio reads heap growth policy as much as what an
 * export retains; retained heap after a full GC would separate the two (not done yet). Goal <= 1.5: memory does not grow with the export.
 * Both chains are seeded straight into the table (test/support/audit-seed.ts).
 */
export interface ExportFigures {
  readonly small: {
    readonly events: number;
    readonly growthMb: number;
    readonly bytes: number;
    readonly seconds: number;
  };
  readonly large: {
    readonly events: number;
    readonly growthMb: number;
    readonly bytes: number;
    readonly seconds: number;
  };
  readonly ratio: number;
  readonly seedSeconds: number;
}

interface ChildResult {
  readonly lines: number;
  readonly bytes: number;
  readonly growth: number;
  readonly seconds: number;
}

const CHILD = fileURLToPath(import.meta.url);
/** Below this, growth is measurement noise (one page of events, a chunk, GC timing). */
const FLOOR_MB = 1;

export async function exportFigures(
  options: { small?: number; large?: number } = {},
): Promise<ExportFigures> {
  const small = options.small ?? 1_000;
  const large = options.large ?? 100_000;
  const stack = await startBenchStack();
  try {
    const warm = randomUUID();
    const smallTenant = randomUUID();
    const largeTenant = randomUUID();
    const seeded = Date.now();
    await seedTenantChain(stack.dynamodb, stack.tableName, warm, 1_000);
    await seedTenantChain(stack.dynamodb, stack.tableName, smallTenant, small);
    await seedTenantChain(stack.dynamodb, stack.tableName, largeTenant, large);
    const seedSeconds = (Date.now() - seeded) / 1000;
    const env = {
      endpoint: process.env.TEST_DYNAMODB_ENDPOINT ?? '',
      table: stack.tableName,
      warm,
    };
    const a = await runChild({ ...env, tenant: smallTenant });
    const b = await runChild({ ...env, tenant: largeTenant });
    if (a.lines !== small + 1 || b.lines !== large + 1) {
      throw new Error(`X1: exported ${a.lines - 1} and ${b.lines - 1} events, seeded ${small} and ${large}`);
    }
    const mb = (n: number) => n / (1024 * 1024);
    return {
      small: { events: small, growthMb: mb(a.growth), bytes: a.bytes, seconds: a.seconds },
      large: { events: large, growthMb: mb(b.growth), bytes: b.bytes, seconds: b.seconds },
      ratio: Math.max(mb(b.growth), FLOOR_MB) / Math.max(mb(a.growth), FLOOR_MB),
      seedSeconds,
    };
  } finally {
    await stack.close();
  }
}

function runChild(env: {
  endpoint: string;
  table: string;
  warm: string;
  tenant: string;
}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // Nothing of the bench stack's own configuration (its secret id, stand-in endpoints).
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(AWS_|TENANT_REGISTRY_)/.test(k)),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, '--child'], {
      env: {
        ...inherited,
        X1_ENDPOINT: env.endpoint,
        X1_TABLE: env.table,
        X1_WARM: env.warm,
        X1_TENANT: env.tenant,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{'))
        reject(new Error(`X1 child exited ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(last) as ChildResult);
    });
  });
}

/** In the child: configure the app as `npm start` would, warm up, then measure one export. */
async function child(): Promise<void> {
  const token = randomToken();
  Object.assign(process.env, {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: process.env.X1_ENDPOINT,
    TENANT_REGISTRY_TABLE_NAME: process.env.X1_TABLE,
    TENANT_REGISTRY_API_ENABLED: 'true',
    TENANT_REGISTRY_API_TOKEN: token,
    TENANT_REGISTRY_LOG_LEVEL: 'ERROR',
  });
  const { createRouter } = await import('../bin/local/router');
  const router = await createRouter();
  let peak = 0;
  const exportOnce = async (tenant: string) => {
    const res = await router.handle({
      method: 'GET',
      url: `/v1/audit/export?tenant_id=${tenant}`,
      headers: { authorization: [`Bearer ${token}`] },
      body: '',
      sourceIp: '127.0.0.1',
    });
    if (res.statusCode !== 200 || !res.stream)
      throw new Error(`export answered ${res.statusCode}: ${res.body}`);
    let lines = 0;
    let bytes = 0;
    for await (const chunk of res.stream) {
      peak = Math.max(peak, process.memoryUsage().rss);
      bytes += Buffer.byteLength(chunk);
      for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) lines++;
    }
    return { lines, bytes };
  };
  await exportOnce(process.env.X1_WARM ?? '');
  const before = process.memoryUsage().rss;
  peak = before;
  const started = Date.now();
  const { lines, bytes } = await exportOnce(process.env.X1_TENANT ?? '');
  const seconds = (Date.now() - started) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(JSON.stringify({ lines, bytes, growth: Math.max(0, peak - before), seconds }));
}

export function printExport(f: ExportFigures): void {
  console.log('\nX1  audit export memory (peak RSS growth of the exporting process)');
  console.log(`    seeded ${f.small.events + f.large.events + 1_000} events in ${fmt(f.seedSeconds, 1)} s`);
  for (const row of [f.small, f.large]) {
    console.log(
      `    ${String(row.events).padStart(7)} events: ${fmt(row.growthMb, 1).padStart(6)} MB growth, ` +
        `${fmt(row.bytes / (1024 * 1024), 1)} MB streamed in ${fmt(row.seconds, 1)} s`,
    );
  }
  console.log(
    `    X1 = ${fmt(f.ratio)} (growth at ${f.large.events} / at ${f.small.events}, each at least ${FLOOR_MB} MB; goal <= 1.5) ${f.ratio <= 1.5 ? 'OK' : 'OVER GOAL'}`,
  );
}

if (process.argv.includes('--child')) {
  await child();
  process.exit(0);
}
