import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { serve } from '../bin/local/server';
import { apiKeys } from '../shared/app';
import { formatKey, parseKey } from '../shared/domain/api-key';
import { KeyHasher } from '../shared/domain/key-hash';
import { uniqueSlug } from '../test/fixtures/tenants';
import type { FloodMode } from './flood-client';
import { call } from './latency';
import { fmt, percentile, startBenchStack } from './stack';

/**
 * Argon2 cost amplification (issue 9), through the local HTTP server.
 *
 *   F1  p50 of GET /{tenant}/profile with a cached key while 4 clients send random well-formed
 *       keys (random ids, valid checksums) / the same p50 without them, in alternating blocks
 *       on the same server (goal <= 1.5). The clients run in another process (their CPU still
 *       competes with the server's on this machine, as it would not from other machines).
 *       Its floor on this machine, in blocks of the same rounds: the same p50 while the same 4
 *       clients send what a rejection costs the store alone (its GetItem, straight to DynamoDB
 *       Local, no server), and while they send `GET /healthz` (the server's cheapest answer).
 *       A rejection cannot cost the machine less than its read, so F1 cannot go below the
 *       first whatever the server does; the second is what any flood of 4 closed loops costs.
 *   F2  server process CPU (process.cpuUsage, user + system) per random-key rejection / per
 *       wrong-secret rejection that runs argon2 (a known id, its budget raised so every one
 *       runs it), the same route and answer (401), alternating batches (goal <= 0.05). The
 *       client runs in the server's process, so its CPU counts on both sides; DynamoDB
 *       Local's does not (another process, as DynamoDB is for a Lambda).
 * Also printed: argon2 runs during the flood (0), and what one key id's wrong-secret flood
 * costs at the default bound.
 */

export const F1_GOAL = 1.5;
export const F2_GOAL = 0.05;
const FLOOD_CLIENTS = 4;

export interface FloodFigures {
  readonly f1: {
    readonly flood: number;
    readonly quiet: number;
    readonly ratio: number;
    /** p50 (and / quiet) while the clients send the rejection's GetItem straight to the store. */
    readonly store: number;
    readonly storeRatio: number;
    /** p50 (and / quiet) while the clients send `GET /healthz`. */
    readonly health: number;
    readonly healthRatio: number;
    readonly rounds: number;
    readonly block: number;
    readonly floodRequests: number;
    readonly floodRate: number;
    readonly floodStatuses: Readonly<Record<string, number>>;
    readonly argon2Runs: number;
    /** The machine's 1-minute load average after the flood, and its cores: the figure's context. */
    readonly load: number;
    readonly cores: number;
  };
  readonly f2: {
    readonly rejection: number;
    readonly argon2: number;
    readonly ratio: number;
    readonly batches: number;
    readonly rejectionsPerBatch: number;
    readonly argon2PerBatch: number;
  };
  readonly bound: { readonly attempts: number; readonly argon2Runs: number; readonly answers: string };
}

/** Counts argon2 verifies, whichever hasher runs them. */
function countArgon2(): { readonly count: () => number; readonly restore: () => void } {
  const original = KeyHasher.prototype.verify;
  let count = 0;
  KeyHasher.prototype.verify = function (this: KeyHasher, secret: string, encoded: string) {
    count += 1;
    return original.call(this, secret, encoded);
  };
  return {
    count: () => count,
    restore: () => {
      KeyHasher.prototype.verify = original;
    },
  };
}

/** The flood's process, driven by messages (bench/flood-client.ts). */
class Flood {
  private readonly child: ChildProcess;
  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static async start(
    port: number,
    path: string,
    clients: number,
    mode: FloodMode,
    store: { endpoint: string; table: string },
  ): Promise<Flood> {
    const args = [String(port), path, String(clients), mode, store.endpoint, store.table];
    const child = fork(new URL('./flood-client.ts', import.meta.url), args, {
      execArgv: ['--import', 'tsx'],
    });
    const flood = new Flood(child);
    await flood.next((m) => m === 'ready');
    return flood;
  }

  private next(match: (message: unknown) => boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if (!match(message)) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number | null) => reject(new Error(`the flood process exited (${code})`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  async on(): Promise<void> {
    const started = this.next((m) => m === 'started');
    this.child.send('start');
    await started;
  }

  async off(): Promise<{ requests: number; statuses: Record<string, number>; activeMs: number }> {
    const stopped = this.next((m) => typeof m === 'object' && m !== null && 'stopped' in m);
    this.child.send('stop');
    return (await stopped) as { requests: number; statuses: Record<string, number>; activeMs: number };
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send('exit');
    await exited;
  }
}

export async function floodFigures(
  options: { rounds?: number; block?: number; batches?: number } = {},
): Promise<FloodFigures> {
  const rounds = options.rounds ?? 300;
  const block = options.block ?? 10;
  const batches = options.batches ?? 3;
  const stack = await startBenchStack({ TENANT_REGISTRY_KEY_CACHE_TTL_SECONDS: '3600' });
  const server = await serve(stack.router, { port: 0 });
  const port = (server.address() as AddressInfo).port;
  const argon2 = countArgon2();
  const floods = new Map<FloodMode, Flood>();
  try {
    const created = await stack.request('POST', '/v1/tenants', {
      body: { slug: uniqueSlug('f1'), name: 'bench' },
    });
    const { id, slug } = created.body.tenant as { id: string; slug: string };
    const key = await stack.request('POST', '/v1/api-keys', { body: { tenant_id: id, name: 'bench' } });
    const plaintext = key.body.plaintext as string;
    const keyId = parseKey(plaintext)?.id;
    if (!keyId) throw new Error('the bench key does not parse');
    const path = `/${slug}/profile`;
    const auth = { authorization: `Bearer ${plaintext}` };
    const profile = async () => {
      const res = await call(port, 'GET', path, auth);
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
      return res.ms;
    };

    // F1. Warm-up: verifies the key (argon2 once) and caches it and the alias.
    for (let i = 0; i < 30; i++) await profile();
    const store = { endpoint: stack.ddb.endpoint, table: stack.tableName };
    for (const mode of ['keys', 'store', 'health'] as const) {
      floods.set(mode, await Flood.start(port, path, FLOOD_CLIENTS, mode, store));
    }
    const arms = ['quiet', 'keys', 'store', 'health'] as const;
    const samples = Object.fromEntries(arms.map((arm) => [arm, [] as number[]])) as Record<
      (typeof arms)[number],
      number[]
    >;
    const argon2Before = argon2.count();
    let stats = { requests: 0, statuses: {} as Record<string, number>, activeMs: 0 };
    // Blocks cycle through the arms (quiet, random keys, the store's share, /healthz).
    for (let b = 0; b < (arms.length * rounds) / block; b++) {
      const arm = arms[b % arms.length] ?? 'quiet';
      const flood = arm === 'quiet' ? undefined : floods.get(arm);
      await flood?.on();
      for (let i = 0; i < block; i++) samples[arm].push(await profile());
      const done = await flood?.off();
      if (arm === 'keys' && done) stats = done;
    }
    const floodArgon2 = argon2.count() - argon2Before;
    const load = loadavg()[0] ?? Number.NaN;
    for (const flood of floods.values()) await flood.close();
    floods.clear();

    // F2: the same route and answer, with and without argon2, in alternating batches.
    stack.configure({ TENANT_REGISTRY_KEY_FAILURE_LIMIT: '1000' });
    const rejectionsPerBatch = 400;
    const argon2PerBatch = 20;
    const cpuPer = async (count: number, mint: () => string) => {
      const keys = Array.from({ length: count }, mint);
      const runs = argon2.count();
      const before = process.cpuUsage();
      for (const k of keys) {
        const res = await call(port, 'GET', path, { authorization: `Bearer ${k}` });
        if (res.status !== 401) throw new Error(`a bad key answered ${res.status}`);
      }
      const used = process.cpuUsage(before);
      return { ms: (used.user + used.system) / 1000 / count, runs: argon2.count() - runs };
    };
    const randomKey = () => formatKey('trk', randomUUID(), randomBytes(32));
    const wrongSecret = () => formatKey('trk', keyId, randomBytes(32));
    await cpuPer(50, randomKey); // warm-up of the rejection path
    const cpu = { rejection: [] as number[], argon2: [] as number[] };
    for (let b = 0; b < batches; b++) {
      const r = await cpuPer(rejectionsPerBatch, randomKey);
      const a = await cpuPer(argon2PerBatch, wrongSecret);
      if (r.runs !== 0 || a.runs !== argon2PerBatch) {
        throw new Error(`argon2 ran ${r.runs} times for random keys and ${a.runs} for wrong secrets`);
      }
      cpu.rejection.push(r.ms);
      cpu.argon2.push(a.ms);
    }

    // The bound at its defaults: a wrong-secret flood on one key id, from a fresh container.
    stack.configure({});
    const attempts = 200;
    const runs = argon2.count();
    const answers = new Map<number, number>();
    for (let i = 0; i < attempts; i++) {
      const res = await call(port, 'GET', path, { authorization: `Bearer ${wrongSecret()}` });
      answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
    }

    const p50 = (xs: number[]) => percentile(xs, 50);
    return {
      f1: {
        flood: p50(samples.keys),
        quiet: p50(samples.quiet),
        ratio: p50(samples.keys) / p50(samples.quiet),
        store: p50(samples.store),
        storeRatio: p50(samples.store) / p50(samples.quiet),
        health: p50(samples.health),
        healthRatio: p50(samples.health) / p50(samples.quiet),
        rounds,
        block,
        floodRequests: stats.requests,
        floodRate: stats.requests / (stats.activeMs / 1000),
        floodStatuses: stats.statuses,
        argon2Runs: floodArgon2,
        load,
        cores: availableParallelism(),
      },
      f2: {
        rejection: p50(cpu.rejection),
        argon2: p50(cpu.argon2),
        ratio: p50(cpu.rejection) / p50(cpu.argon2),
        batches,
        rejectionsPerBatch,
        argon2PerBatch,
      },
      bound: {
        attempts,
        argon2Runs: argon2.count() - runs,
        answers: [...answers].map(([status, n]) => `${n} x ${status}`).join(', '),
      },
    };
  } finally {
    argon2.restore();
    for (const flood of floods.values()) await flood.close();
    await apiKeys().settled();
    server.close();
    await stack.close();
  }
}

export function printFlood(f: FloodFigures): void {
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const { f1, f2, bound } = f;
  const statuses = Object.entries(f1.floodStatuses)
    .map(([status, n]) => `${n} x ${status}`)
    .join(', ');
  console.log('\nArgon2 cost amplification, through the local HTTP server');
  console.log(
    `F1  ${`GET /{tenant}/profile (cached key) p50 with ${FLOOD_CLIENTS} random-key clients / without`.padEnd(58)} ` +
      `${fmt(f1.flood).padStart(7)} ms / ${fmt(f1.quiet).padStart(6)} ms = ${fmt(f1.ratio)}  ` +
      `(goal <= ${F1_GOAL}) ${verdict(f1.ratio <= F1_GOAL)}`,
  );
  console.log(
    `F1  floor here: the same p50 while the 4 clients send each rejection's GetItem straight to DynamoDB Local ` +
      `(no server): ${fmt(f1.store)} ms = ${fmt(f1.storeRatio)}; while they send GET /healthz: ` +
      `${fmt(f1.health)} ms = ${fmt(f1.healthRatio)}`,
  );
  console.log(
    `F1  (${f1.rounds} requests per arm in blocks of ${f1.block} cycling quiet, keys, store, healthz; random-key flood: ${f1.floodRequests} ` +
      `requests at ${fmt(f1.floodRate, 0)}/s, ${statuses}; argon2 runs during the flood: ${f1.argon2Runs}; ` +
      `load average ${fmt(f1.load, 1)} on ${f1.cores} cores)`,
  );
  console.log(
    `F2  ${'server CPU per random-key rejection / per argon2 rejection'.padEnd(58)} ` +
      `${fmt(f2.rejection, 3).padStart(7)} ms / ${fmt(f2.argon2).padStart(6)} ms = ${fmt(f2.ratio, 4)}  ` +
      `(goal <= ${F2_GOAL}) ${verdict(f2.ratio <= F2_GOAL)}`,
  );
  console.log(
    `F2  (median of ${f2.batches} alternating batches of ${f2.rejectionsPerBatch} random keys and ` +
      `${f2.argon2PerBatch} wrong secrets, both 401; at the default bound, ${bound.attempts} wrong secrets ` +
      `on one key id ran argon2 ${bound.argon2Runs} times: ${bound.answers})`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFlood(await floodFigures());
  process.exit(0);
}
