import { pathToFileURL } from 'node:url';
import { aliasResolver } from '../shared/app';
import { config } from '../shared/config/env';
import { uniqueSlug } from '../test/fixtures/tenants';
import { startBenchStack } from './stack';

/**
 * S1: what hot paths cost the account-wide quotas. SSM calls per 1,000 alias resolutions
 * over 100 known, 100 unknown and 100 malformed slugs; Secrets Manager calls per 1,000
 * authenticated requests. Counted at the stand-ins, i.e. real SDK calls on the wire.
 */
export interface CallFigures {
  readonly resolutions: number;
  readonly ssmCalls: number;
  readonly distinctValid: number;
  readonly malformedSsmCalls: number;
  readonly requests: number;
  readonly secretCalls: number;
  readonly aliasTtlSeconds: number;
  readonly tokenTtlSeconds: number;
}

export async function callFigures(): Promise<CallFigures> {
  const stack = await startBenchStack();
  try {
    const known: string[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await stack.request('POST', '/v1/tenants', {
        body: { slug: uniqueSlug('k'), name: 'bench' },
      });
      known.push(res.body.tenant.slug);
    }
    const unknown = Array.from({ length: 100 }, (_, i) => `unknown-${i}-${Date.now().toString(36)}`);
    const malformed = Array.from({ length: 100 }, (_, i) => (i % 2 ? `Bad_Slug_${i}` : `-${'x'.repeat(i)}`));
    const slugs = [...known, ...unknown, ...malformed];

    // A fresh container: nothing cached yet.
    stack.configure({});
    stack.resetStats();
    const resolver = aliasResolver();
    for (let i = 0; i < 1000; i++) await resolver.resolve(slugs[i % slugs.length] ?? '');
    const ssmCalls = Object.values(stack.ssmStats()).reduce((a, b) => a + b, 0);

    stack.resetStats();
    for (const slug of malformed) await resolver.resolve(slug);
    const malformedSsmCalls = Object.values(stack.ssmStats()).reduce((a, b) => a + b, 0);

    stack.configure({});
    stack.resetStats();
    for (let i = 0; i < 1000; i++) {
      const res = await stack.request('GET', '/v1/version');
      if (res.status !== 200) throw new Error(`unexpected ${res.status}`);
    }
    const secretCalls = Object.values(stack.secretsStats()).reduce((a, b) => a + b, 0);
    return {
      resolutions: 1000,
      ssmCalls,
      distinctValid: known.length + unknown.length,
      malformedSsmCalls,
      requests: 1000,
      secretCalls,
      aliasTtlSeconds: config().aliasCacheTtlSeconds,
      tokenTtlSeconds: config().tokenCacheTtlSeconds,
    };
  } finally {
    await stack.close();
  }
}

export function printCalls(f: CallFigures): void {
  console.log('\nCalls on the wire (counted at the SSM and Secrets Manager stand-ins)');
  console.log(
    `S1  SSM calls per ${f.resolutions} resolutions of 100 known + 100 unknown + 100 malformed slugs: ${f.ssmCalls} ` +
      `(goal <= ${f.distinctValid}: one per distinct valid slug per ${f.aliasTtlSeconds} s TTL window) ${f.ssmCalls <= f.distinctValid ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `S1  SSM calls for the 100 malformed slugs: ${f.malformedSsmCalls} (goal 0) ${f.malformedSsmCalls === 0 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `S1  Secrets Manager calls per ${f.requests} authenticated requests: ${f.secretCalls} ` +
      `(goal 1 per ${f.tokenTtlSeconds} s TTL window) ${f.secretCalls <= 1 ? 'PASS' : 'FAIL'}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printCalls(await callFigures());
}
