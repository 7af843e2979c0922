import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '../bin/local/server';
import { apiKeys, dynamodb } from '../shared/app';
import { config } from '../shared/config/env';
import { uniqueSlug } from '../test/fixtures/tenants';
import { liveMiddlewareStack } from '../test/support/sdk-middleware';
import { call } from './latency';
import { fmt, percentile, startBenchStack } from './stack';

/**
 * The tenant plane's figures.
 *
 *   T1  p50 of GET /{tenant}/profile with a cached key and a cached alias / p50 of
 *       GET /v1/tenants/{id} with the admin token, interleaved one for one through the local
 *       HTTP server (goal <= 1.3)
 *   S2  SSM calls per 1,000 tenant-plane reads by path slug over 100 tenants, each with its own
 *       key, routes mixed, from a cold alias cache within one alias-cache TTL window (goal <= 100),
 *       and per 1,000 requests naming one unknown slug with a valid key, all 403 (goal <= 1).
 *       Counted at the SSM stand-in: 0, because the tenant plane's resolver sits on the table's
 *       slug claims, so the lookups that do happen (one per distinct slug per TTL window) are
 *       counted too, as GetItems of slug claims. The keys are verified before the window opens
 *       (argon2 is slow enough to stretch it past the TTL).
 *
 * The local router serves every function from one process, so S2 counts one shared alias
 * cache. Deployed, each function has its own containers and caches; `perFunctionBound` is
 * what S2's traffic would cost in lookups with one warm container per function.
 */

export const T1_GOAL = 1.3;

const sum = (stats: Record<string, number>) => Object.values(stats).reduce((a, b) => a + b, 0);

/** Counts the app's GetItems of slug claims (`PK = SLUG#...`) from now on: the resolver's table lookups. */
function countSlugClaimReads(): { readonly count: () => number } {
  let count = 0;
  liveMiddlewareStack(dynamodb()).add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: { PK?: { S?: string } } }).Key;
      if (context.commandName === 'GetItemCommand' && key?.PK?.S?.startsWith('SLUG#')) count++;
      return next(args);
    },
    { step: 'initialize', name: 'countSlugClaimReads' },
  );
  return { count: () => count };
}

export interface TenantFigures {
  readonly t1: {
    readonly profile: number;
    readonly admin: number;
    readonly ratio: number;
    readonly rounds: number;
    /** Alias lookups (SSM calls and slug-claim reads) while measuring: 0 when the alias stayed cached. */
    readonly ssmCalls: number;
  };
  readonly s2: {
    readonly requests: number;
    readonly tenants: number;
    readonly routes: readonly string[];
    readonly ssmCalls: number;
    /** GetItems of slug claims: the resolver's lookups on the table. */
    readonly slugReads: number;
    /** Seconds from the first to the last counted request. */
    readonly windowSeconds: number;
    /** Distinct (route, slug) pairs: SSM calls with one warm container per function. */
    readonly perFunctionBound: number;
    readonly floodRequests: number;
    readonly floodSsmCalls: number;
    readonly floodSlugReads: number;
    readonly floodWindowSeconds: number;
    readonly aliasTtlSeconds: number;
  };
}

export async function tenantFigures(options: { rounds?: number } = {}): Promise<TenantFigures> {
  const t1 = await latency(options.rounds ?? 300);
  const s2 = await calls();
  return { t1, s2 };
}

/** T1: profile by slug with a tenant key against the admin read of the same tenant by id. */
async function latency(rounds: number): Promise<TenantFigures['t1']> {
  const stack = await startBenchStack();
  const server = await serve(stack.router, { port: 0 });
  const port = (server.address() as AddressInfo).port;
  try {
    const created = await stack.request('POST', '/v1/tenants', {
      body: { slug: uniqueSlug('t1'), name: 'bench' },
    });
    const { id, slug } = created.body.tenant as { id: string; slug: string };
    const key = await stack.request('POST', '/v1/api-keys', { body: { tenant_id: id, name: 'bench' } });
    const tenantAuth = { authorization: `Bearer ${key.body.plaintext as string}` };
    const adminAuth = { authorization: `Bearer ${stack.token}` };

    const samples = { profile: [] as number[], admin: [] as number[] };
    const warmup = 30;
    let slugReads: { readonly count: () => number } | undefined;
    for (let i = 0; i < rounds + warmup; i++) {
      // The first round verifies the key (argon2) and resolves the slug; the rest hit the caches.
      if (i === warmup) {
        stack.resetStats();
        slugReads = countSlugClaimReads();
      }
      const a = await call(port, 'GET', `/${slug}/profile`, tenantAuth);
      const b = await call(port, 'GET', `/v1/tenants/${id}`, adminAuth);
      if (a.status !== 200 || b.status !== 200) throw new Error(`unexpected status ${a.status}/${b.status}`);
      if (i < warmup) continue;
      samples.profile.push(a.ms);
      samples.admin.push(b.ms);
    }
    const ssmCalls = sum(stack.ssmStats()) + (slugReads?.count() ?? 0);
    const profile = percentile(samples.profile, 50);
    const admin = percentile(samples.admin, 50);
    return { profile, admin, ratio: profile / admin, rounds, ssmCalls };
  } finally {
    server.close();
    await stack.close();
  }
}

/** S2: SSM calls of spread tenant-plane reads and of an unknown-slug flood. */
async function calls(): Promise<TenantFigures['s2']> {
  const stack = await startBenchStack({ TENANT_REGISTRY_LOG_LEVEL: 'WARN' });
  try {
    const tenants: { slug: string; key: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const created = await stack.request('POST', '/v1/tenants', {
        body: { slug: uniqueSlug('s2'), name: 'bench' },
      });
      const key = await stack.request('POST', '/v1/api-keys', {
        body: { tenant_id: created.body.tenant.id, name: 'bench' },
      });
      if (key.status !== 201) throw new Error(`creating a key answered ${key.status}`);
      tenants.push({ slug: created.body.tenant.slug, key: key.body.plaintext });
    }
    // The reads a default (read-only) key may make.
    const routes = ['profile', 'entitlements', 'swagger', 'audit'];

    // A fresh container: nothing cached. The keys are then verified once, outside the window:
    // argon2 costs 0.1-0.5 s a key on a busy machine, which would stretch the window past the
    // alias TTL, and the key cache's own TTL is raised for the same reason. Neither touches SSM.
    stack.configure({ TENANT_REGISTRY_KEY_CACHE_TTL_SECONDS: '3600' });
    for (const { key } of tenants) {
      if (!(await apiKeys().authenticate(key))) throw new Error('a fresh key does not verify');
    }
    stack.resetStats();
    const slugReads = countSlugClaimReads();
    const requests = 1000;
    const pairs = new Set<string>();
    let started = performance.now();
    for (let i = 0; i < requests; i++) {
      const tenant = tenants[i % tenants.length];
      // Every tenant cycles through every route: 100 consecutive requests share a route.
      const route = routes[Math.floor(i / tenants.length) % routes.length];
      if (!tenant || !route) throw new Error('no tenant or route');
      pairs.add(`${route} ${tenant.slug}`);
      const res = await stack.request('GET', `/${tenant.slug}/${route}`, {
        token: null,
        headers: { 'x-api-key': tenant.key },
      });
      if (res.status !== 200) throw new Error(`GET /{tenant}/${route} answered ${res.status} ${res.text}`);
    }
    const windowSeconds = (performance.now() - started) / 1000;
    const ssmCalls = sum(stack.ssmStats());
    const spreadSlugReads = slugReads.count();

    // An unknown-slug flood with a valid key, from a fresh container.
    stack.configure({});
    stack.resetStats();
    const floodReads = countSlugClaimReads();
    const unknown = uniqueSlug('nobody');
    const flooder = tenants[0];
    if (!flooder) throw new Error('no tenants');
    started = performance.now();
    for (let i = 0; i < requests; i++) {
      const res = await stack.request('GET', `/${unknown}/profile`, {
        token: null,
        headers: { 'x-api-key': flooder.key },
      });
      if (res.status !== 403) throw new Error(`unknown slug answered ${res.status} ${res.text}`);
    }
    const floodWindowSeconds = (performance.now() - started) / 1000;
    const floodSsmCalls = sum(stack.ssmStats());
    const floodSlugReads = floodReads.count();

    return {
      requests,
      tenants: tenants.length,
      routes,
      ssmCalls,
      slugReads: spreadSlugReads,
      windowSeconds,
      perFunctionBound: pairs.size,
      floodRequests: requests,
      floodSsmCalls,
      floodSlugReads,
      floodWindowSeconds,
      aliasTtlSeconds: config().aliasCacheTtlSeconds,
    };
  } finally {
    await stack.close();
  }
}

export function printTenant(f: TenantFigures): void {
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const { t1, s2 } = f;
  console.log(`\nTenant plane, p50 over ${t1.rounds} interleaved rounds through the local HTTP server`);
  console.log(
    `T1  ${'GET /{tenant}/profile (cached key + alias) / GET /v1/tenants/{id}'.padEnd(58)} ` +
      `${fmt(t1.profile).padStart(7)} ms / ${fmt(t1.admin).padStart(6)} ms = ${fmt(t1.ratio)}  ` +
      `(goal <= ${T1_GOAL}) ${verdict(t1.ratio <= T1_GOAL)}` +
      (t1.ssmCalls > 0
        ? `  [${t1.ssmCalls} alias lookups while measuring: alias not cached throughout]`
        : ''),
  );
  const window = (seconds: number) =>
    seconds <= s2.aliasTtlSeconds
      ? `in ${fmt(seconds, 1)} s, within one ${s2.aliasTtlSeconds} s TTL window`
      : `in ${fmt(seconds, 1)} s: LONGER than one ${s2.aliasTtlSeconds} s TTL window`;
  console.log(
    '\nTenant plane lookups on the wire (SSM counted at the stand-in, slug claims at the DynamoDB client)',
  );
  console.log(
    `S2  SSM calls per ${s2.requests} reads by path slug over ${s2.tenants} tenants (${s2.routes.join(', ')}): ` +
      `${s2.ssmCalls} (goal <= ${s2.tenants} per TTL window) ${verdict(s2.ssmCalls <= s2.tenants)}; ` +
      `slug-claim GetItems ${s2.slugReads} ${verdict(s2.slugReads <= s2.tenants)}; ${window(s2.windowSeconds)}`,
  );
  console.log(
    `S2  (one process serves every route here; with one warm container per function the same traffic costs up to ` +
      `${s2.perFunctionBound} slug-claim GetItems: ${s2.routes.length} functions x ${s2.tenants} slugs, and still 0 SSM calls)`,
  );
  console.log(
    `S2  SSM calls per ${s2.floodRequests} requests naming 1 unknown slug with a valid key (403): ` +
      `${s2.floodSsmCalls} (goal <= 1 per TTL window) ${verdict(s2.floodSsmCalls <= 1)}; ` +
      `slug-claim GetItems ${s2.floodSlugReads} ${verdict(s2.floodSlugReads <= 1)}; ${window(s2.floodWindowSeconds)}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTenant(await tenantFigures({ rounds: Number(process.argv[2] ?? 300) }));
  process.exit(0);
}
