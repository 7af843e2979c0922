import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { serve } from '../bin/local/server';
import { eventItem } from '../shared/adapters/dynamodb/audited-writer';
import { toItem } from '../shared/adapters/dynamodb/items';
import { indexes, keys } from '../shared/adapters/dynamodb/keys';
import { dynamodb, ssm } from '../shared/app';
import { sealEvent } from '../shared/domain/audit';
import { newTenant } from '../shared/domain/tenant';
import { uniqueSlug } from '../test/fixtures/tenants';
import { fmt, percentile, startBenchStack } from './stack';

/**
 * R1 and W1: the real endpoints through the local HTTP server against bare SDK calls served
 * by the same server, requests interleaved one for one so machine noise hits both alike.
 */

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request over a keep-alive connection: its status and milliseconds. */
export function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
) {
  return new Promise<{ status: number; ms: number }>((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface LatencyFigures {
  readonly r1: { endpoint: number; bare: number; ratio: number };
  readonly w1: { endpoint: number; bare: number; ratio: number };
  readonly rounds: number;
}

export async function latencyFigures(rounds = 300): Promise<LatencyFigures> {
  const stack = await startBenchStack();
  const table = stack.tableName;
  // Marshalled as the app marshals (its clients cache their middleware, which the SDK's
  // DynamoDBDocumentClient refuses).
  const put = (Item: Record<string, unknown>) => ({
    Put: { TableName: table, Item: toItem(Item), ConditionExpression: 'attribute_not_exists(PK)' },
  });
  const bareRoutes: Record<string, (path: string) => Promise<unknown>> = {
    // R1's baseline: one GetItem of the same item, nothing else.
    '/bench/get-item/': async (path) =>
      (
        await dynamodb().send(
          new GetItemCommand({
            TableName: table,
            Key: { PK: { S: keys.tenant(path.slice(-36)).PK }, SK: { S: 'PROFILE' } },
            ConsistentRead: true,
          }),
        )
      ).Item,
    // W1's baseline: the items a create writes (tenant, slug claim, chain head, event with its
    // index attributes, id claim), in one transaction, plus the alias parameter.
    '/bench/create': async () => {
      const now = new Date();
      const tenant = newTenant(randomUUID(), { slug: uniqueSlug('w'), name: 'bench' }, now);
      const event = sealEvent({ tenant_id: tenant.id, action: 'tenant.created' }, undefined, now);
      await dynamodb().send(
        new TransactWriteItemsCommand({
          TransactItems: [
            put({
              ...keys.tenant(tenant.id),
              ...indexes.tenantList(tenant.created_at, tenant.id),
              ...indexes.tenantsByStatus(tenant.status, tenant.created_at, tenant.id),
              ...tenant,
            }),
            put({ ...keys.slugClaim(tenant.slug), slug: tenant.slug, tenant_id: tenant.id }),
            put({ ...keys.auditHead(tenant.id), last_id: event.id, hash: event.hash }),
            put(eventItem(tenant.id, event)),
            put({ ...keys.auditId(event.id), chain: tenant.id }),
          ],
        }),
      );
      await ssm().send(
        new PutParameterCommand({
          Name: `${stack.ssmPrefix}/aliases/${tenant.slug}`,
          Value: tenant.id,
          Type: 'String',
          Overwrite: true,
        }),
      );
      return { tenant };
    },
  };
  const server = await serve(
    {
      match: stack.router.match,
      handle: async (req) => {
        const bare = Object.entries(bareRoutes).find(([prefix]) => req.url.startsWith(prefix));
        if (!bare) return stack.router.handle(req);
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(await bare[1](req.url)),
        };
      },
    },
    { port: 0 },
  );
  const port = (server.address() as AddressInfo).port;
  const auth = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };

  try {
    const created = await stack.request('POST', '/v1/tenants', {
      body: { slug: uniqueSlug('r'), name: 'bench' },
    });
    const id = created.body.tenant.id as string;
    const samples = { r1: [] as number[], r1b: [] as number[], w1: [] as number[], w1b: [] as number[] };
    const warmup = 30;
    for (let i = 0; i < rounds + warmup; i++) {
      const a = await call(port, 'GET', `/v1/tenants/${id}`, auth);
      const b = await call(port, 'GET', `/bench/get-item/${id}`, auth);
      const body = JSON.stringify({ slug: uniqueSlug('w'), name: 'bench' });
      const c = await call(port, 'POST', '/v1/tenants', auth, body);
      const d = await call(port, 'POST', '/bench/create', auth, '{}');
      if (a.status !== 200 || b.status !== 200 || c.status !== 201 || d.status !== 200) {
        throw new Error(`unexpected status ${a.status}/${b.status}/${c.status}/${d.status}`);
      }
      if (i < warmup) continue;
      samples.r1.push(a.ms);
      samples.r1b.push(b.ms);
      samples.w1.push(c.ms);
      samples.w1b.push(d.ms);
    }
    const p50 = (xs: number[]) => percentile(xs, 50);
    return {
      rounds,
      r1: { endpoint: p50(samples.r1), bare: p50(samples.r1b), ratio: p50(samples.r1) / p50(samples.r1b) },
      w1: { endpoint: p50(samples.w1), bare: p50(samples.w1b), ratio: p50(samples.w1) / p50(samples.w1b) },
    };
  } finally {
    server.close();
    agent.destroy();
    await stack.close();
  }
}

export function printLatency(f: LatencyFigures): void {
  const row = (
    name: string,
    what: string,
    x: { endpoint: number; bare: number; ratio: number },
    goal: number,
  ) =>
    `${name}  ${what.padEnd(58)} ${fmt(x.endpoint).padStart(7)} ms / ${fmt(x.bare).padStart(6)} ms = ${fmt(x.ratio)}  (goal <= ${goal}) ${x.ratio <= goal ? 'PASS' : 'FAIL'}`;
  console.log(`\nLatency, p50 over ${f.rounds} interleaved rounds through the local HTTP server`);
  console.log(row('R1', 'GET /v1/tenants/{id} / bare GetItem route', f.r1, 1.5));
  console.log(row('W1', 'POST /v1/tenants / bare TransactWriteItems + PutParameter', f.w1, 1.5));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printLatency(await latencyFigures(Number(process.argv[2] ?? 300)));
}
