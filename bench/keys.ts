import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '../bin/local/server';
import { apiKeys } from '../shared/app';
import { DEFAULT_ARGON2_PARAMS, KeyHasher, OWASP_FLOOR_PARAMS } from '../shared/domain/key-hash';
import { uniqueSlug } from '../test/fixtures/tenants';
import { fmt, percentile, startBenchStack } from './stack';

/**
 * V1-V3: API key verification through the local HTTP server.
 *
 *   V1  p50 of a cached verify / p50 of GET /v1/version, interleaved one for one (goal <= 2)
 *   V2  throughput of cached verifies / throughput with argon2 on every call (cache off),
 *       in alternating blocks, median of the blocks (goal >= 100)
 *   V3  argon2id verify at the chosen parameters / at OWASP's floor, hash-wasm both,
 *       interleaved (goal <= 2.5)
 */

export interface KeyFigures {
  readonly v1: { verify: number; noop: number; ratio: number; rounds: number };
  readonly v2: { cached: number; uncached: number; ratio: number; blocks: number };
  readonly v3: { chosen: number; floor: number; ratio: number; rounds: number; params: string };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function call(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; ms: number; body: string }>((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ms: performance.now() - started,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const median = (xs: number[]) => percentile(xs, 50);

export async function keyFigures(
  options: { rounds?: number; blocks?: number; argonRounds?: number } = {},
): Promise<KeyFigures> {
  const rounds = options.rounds ?? 500;
  const blocks = options.blocks ?? 3;
  const argonRounds = options.argonRounds ?? 15;
  const stack = await startBenchStack({ TENANT_REGISTRY_LOG_LEVEL: 'WARN' });
  const server = await serve(stack.router, { port: 0 });
  const port = (server.address() as AddressInfo).port;
  const auth = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };

  try {
    const tenant = await stack.request('POST', '/v1/tenants', {
      body: { slug: uniqueSlug('kb'), name: 'bench' },
    });
    const created = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: tenant.body.tenant.id, name: 'bench' },
    });
    const body = JSON.stringify({ key: created.body.plaintext as string });
    const verify = async () => {
      const res = await call(port, 'POST', '/v1/internal/api-keys/verify', auth, body);
      if (res.status !== 200 || !res.body.includes('"valid":true')) {
        throw new Error(`verify answered ${res.status} ${res.body}`);
      }
      return res.ms;
    };
    const noop = async () => {
      const res = await call(port, 'GET', '/v1/version', auth);
      if (res.status !== 200) throw new Error(`version answered ${res.status}`);
      return res.ms;
    };

    // V1: interleaved one for one, after a warm-up that fills the cache.
    const v1 = { verify: [] as number[], noop: [] as number[] };
    for (let i = 0; i < rounds + 30; i++) {
      const a = await verify();
      const b = await noop();
      if (i < 30) continue;
      v1.verify.push(a);
      v1.noop.push(b);
    }

    // V2: alternating blocks, cache on (default TTL) and off (TTL 0: argon2 on every call).
    const cachedRates: number[] = [];
    const uncachedRates: number[] = [];
    const rate = async (count: number) => {
      const started = performance.now();
      for (let i = 0; i < count; i++) await verify();
      return count / ((performance.now() - started) / 1000);
    };
    for (let b = 0; b < blocks; b++) {
      stack.configure({ TENANT_REGISTRY_LOG_LEVEL: 'WARN' });
      await verify(); // fills the cache
      cachedRates.push(await rate(1000));
      stack.configure({ TENANT_REGISTRY_LOG_LEVEL: 'WARN', TENANT_REGISTRY_KEY_CACHE_TTL_SECONDS: '0' });
      uncachedRates.push(await rate(20));
    }

    // V3: the same library, the chosen parameters against OWASP's floor, interleaved.
    const chosen = new KeyHasher(DEFAULT_ARGON2_PARAMS);
    const floor = new KeyHasher(OWASP_FLOOR_PARAMS);
    const secret = randomBytes(32).toString('base64url');
    const chosenHash = await chosen.hash(secret);
    const floorHash = await floor.hash(secret);
    const v3 = { chosen: [] as number[], floor: [] as number[] };
    for (let i = 0; i < argonRounds + 2; i++) {
      let t = performance.now();
      if (!(await chosen.verify(secret, chosenHash))) throw new Error('argon2 verify failed');
      const a = performance.now() - t;
      t = performance.now();
      if (!(await floor.verify(secret, floorHash))) throw new Error('argon2 verify failed');
      const b = performance.now() - t;
      if (i < 2) continue;
      v3.chosen.push(a);
      v3.floor.push(b);
    }

    const p = DEFAULT_ARGON2_PARAMS;
    return {
      v1: {
        verify: median(v1.verify),
        noop: median(v1.noop),
        ratio: median(v1.verify) / median(v1.noop),
        rounds,
      },
      v2: {
        cached: median(cachedRates),
        uncached: median(uncachedRates),
        ratio: median(cachedRates) / median(uncachedRates),
        blocks,
      },
      v3: {
        chosen: median(v3.chosen),
        floor: median(v3.floor),
        ratio: median(v3.chosen) / median(v3.floor),
        rounds: argonRounds,
        params: `m=${p.m},t=${p.t},p=${p.p}`,
      },
    };
  } finally {
    await apiKeys().settled();
    server.close();
    agent.destroy();
    await stack.close();
  }
}

export function printKeys(f: KeyFigures): string {
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const lines = [
    '\nAPI key verification through the local HTTP server',
    `V1  cached verify p50 / GET /v1/version p50 (${f.v1.rounds} interleaved rounds)       ${fmt(f.v1.verify).padStart(7)} ms / ${fmt(f.v1.noop).padStart(6)} ms = ${fmt(f.v1.ratio)}  (goal <= 2) ${verdict(f.v1.ratio <= 2)}`,
    `V2  cached verifies/s / argon2-every-call verifies/s (median of ${f.v2.blocks} blocks)   ${fmt(f.v2.cached, 0).padStart(7)} /s / ${fmt(f.v2.uncached, 1).padStart(6)} /s = ${fmt(f.v2.ratio, 1)}  (goal >= 100) ${verdict(f.v2.ratio >= 100)}`,
    `V3  argon2id verify at ${f.v3.params} / at OWASP floor m=19456,t=2,p=1 (p50 of ${f.v3.rounds}) ${fmt(f.v3.chosen).padStart(7)} ms / ${fmt(f.v3.floor).padStart(6)} ms = ${fmt(f.v3.ratio)}  (goal <= 2.5) ${verdict(f.v3.ratio <= 2.5)}`,
  ];
  const text = lines.join('\n');
  console.log(text);
  return text;
}

/** For bench/run.ts: measures, prints, and returns the figures. */
export async function keyBench(options?: Parameters<typeof keyFigures>[0]): Promise<KeyFigures> {
  const figures = await keyFigures(options);
  printKeys(figures);
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await keyBench();
  process.exit(0);
}
