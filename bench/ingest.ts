import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { eventItem } from '../shared/adapters/dynamodb/audited-writer';
import { type PlainWrite, toTransactItem } from '../shared/adapters/dynamodb/items';
import { keys } from '../shared/adapters/dynamodb/keys';
import { type AuditInput, sealBatch, sealEvent } from '../shared/domain/audit';
import { eventData } from '../shared/domain/events';
import { tenantBody, uniqueSlug } from '../test/fixtures/tenants';
import type { TestStack } from '../test/support/stack';
import { fmt, percentile, startBenchStack } from './stack';

/**
 * Audit ingest through the real handlers (operator plane) over DynamoDB Local.
 *
 * H1: events/s appended by 16 concurrent writers to ONE tenant with single appends / the same
 * 16 writers spread over 16 tenants (one each). Goal >= 0.5 with 0 errors: a busy chain must
 * not collapse (a lost head race is retried with jittered backoff within the write budget).
 * H2: events/s with batches of 99 / with single appends, one writer, one tenant. Goal >= 20.
 * Rounds of the two sides alternate, so drift of the shared machine hits both alike.
 *
 * H2's ceiling on this DynamoDB: the same ratio for bare TransactWriteItems of exactly the items
 * the writer commits (a batch: the head and 99 event items with their index attributes; an
 * append: the head, the event and its id claim), alternating, one at a time, no handler, no
 * read: 99 x p50(append items) / p50(batch items). H2 cannot exceed it whatever the code does.
 */
export interface IngestFigures {
  readonly hot: number;
  readonly spread: number;
  readonly h1: number;
  readonly h1Errors: Record<string, number>;
  readonly batched: number;
  readonly single: number;
  readonly h2: number;
  readonly h2Errors: Record<string, number>;
  /** p50 ms of a bare transaction of a single append's items (3) and of a batch's (100). */
  readonly bareSingleMs: number;
  readonly bareBatchMs: number;
  readonly ceiling: number;
}

const WRITERS = 16;

async function createTenant(stack: TestStack): Promise<string> {
  const res = await stack.request('POST', '/v1/tenants', {
    body: tenantBody(uniqueSlug('ingest')),
    unchecked: true,
  });
  if (res.status !== 201) throw new Error(`create tenant: ${res.status}`);
  return res.body.tenant.id;
}

/** Runs `writers` closed-loop writers for `perWriter` requests each; events stored per second. */
async function closedLoop(
  writers: number,
  perWriter: number,
  send: (writer: number, i: number) => Promise<{ status: number; events: number; error?: string }>,
  errors: Record<string, number>,
): Promise<{ events: number; seconds: number }> {
  let events = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const r = await send(w, i);
        if (r.status === 201) events += r.events;
        else errors[`${r.status} ${r.error}`] = (errors[`${r.status} ${r.error}`] ?? 0) + 1;
      }
    }),
  );
  return { events, seconds: (performance.now() - started) / 1000 };
}

export async function ingestFigures(
  options: { rounds?: number; perWriter?: number; batches?: number; singles?: number } = {},
): Promise<IngestFigures> {
  const rounds = options.rounds ?? 3;
  const perWriter = options.perWriter ?? 15;
  const batches = options.batches ?? 4;
  const singles = options.singles ?? 60;
  const stack = await startBenchStack({ TENANT_REGISTRY_LOG_LEVEL: 'SILENT' });
  try {
    const append = async (tenant: string, n: number) => {
      const res = await stack.request('POST', '/v1/audit', {
        body: { tenant_id: tenant, action: 'bench.append', metadata: { n } },
        unchecked: true,
      });
      return { status: res.status, events: 1, error: res.body?.error };
    };
    const batch = async (tenant: string) => {
      const events = Array.from({ length: 99 }, (_, n) => ({
        tenant_id: tenant,
        action: 'bench.batch',
        metadata: { n },
      }));
      const res = await stack.request('POST', '/v1/audit/batch', { body: { events }, unchecked: true });
      return {
        status: res.status,
        events: res.status === 201 ? res.body.events.length : 0,
        error: res.body?.error,
      };
    };

    const hotTenant = await createTenant(stack);
    const spreadTenants = await Promise.all(Array.from({ length: WRITERS }, () => createTenant(stack)));
    const h1Errors: Record<string, number> = {};
    const sum = { hot: { events: 0, seconds: 0 }, spread: { events: 0, seconds: 0 } };
    for (let r = 0; r < rounds; r++) {
      const hot = await closedLoop(WRITERS, perWriter, (_, i) => append(hotTenant, i), h1Errors);
      const spread = await closedLoop(
        WRITERS,
        perWriter,
        (w, i) => append(spreadTenants[w] as string, i),
        h1Errors,
      );
      sum.hot.events += hot.events;
      sum.hot.seconds += hot.seconds;
      sum.spread.events += spread.events;
      sum.spread.seconds += spread.seconds;
    }

    const h2Tenant = await createTenant(stack);
    const h2Errors: Record<string, number> = {};
    // Warm-up: H1 ran the single appends' path already; a batch's first transactions take
    // DynamoDB Local's JVM seconds (measured 0.7-2.6 s for the first six against about 0.2 s
    // after), which would count against batches only. The bare reference runs after both.
    const warmTenant = await createTenant(stack);
    await closedLoop(1, 6, () => batch(warmTenant), {});
    const h2 = { batched: { events: 0, seconds: 0 }, single: { events: 0, seconds: 0 } };
    for (let r = 0; r < rounds; r++) {
      const b = await closedLoop(1, batches, () => batch(h2Tenant), h2Errors);
      const s = await closedLoop(1, singles, (_, i) => append(h2Tenant, i), h2Errors);
      h2.batched.events += b.events;
      h2.batched.seconds += b.seconds;
      h2.single.events += s.events;
      h2.single.seconds += s.seconds;
    }
    const verify = await stack.request('GET', `/v1/audit/verify?tenant_id=${hotTenant}`, { unchecked: true });
    if (verify.body?.ok !== true)
      throw new Error(`the hot chain does not verify: ${JSON.stringify(verify.body)}`);

    const bare = await bareTransactions(stack, 15);

    const rate = (x: { events: number; seconds: number }) => x.events / x.seconds;
    return {
      hot: rate(sum.hot),
      spread: rate(sum.spread),
      h1: rate(sum.hot) / rate(sum.spread),
      h1Errors,
      batched: rate(h2.batched),
      single: rate(h2.single),
      h2: rate(h2.batched) / rate(h2.single),
      h2Errors,
      ...bare,
    };
  } finally {
    await stack.close();
  }
}

/** Milliseconds the bare transactions' events are sealed at: ids never repeat within a table. */
let bareMs = Date.UTC(2025, 0, 1);

/**
 * p50 of bare TransactWriteItems of a single append's items and of a batch of 99's, built by the
 * writer's own `eventItem` (index attributes, outbox `sequence` and `data`), on fresh chains.
 */
async function bareTransactions(
  stack: TestStack,
  rounds: number,
): Promise<{ bareSingleMs: number; bareBatchMs: number; ceiling: number }> {
  let ms = bareMs;
  const input = (n: number): AuditInput => ({
    tenant_id: randomUUID(),
    action: 'bench.batch',
    metadata: { n },
    origin: 'operator',
  });
  const put = (Item: Record<string, unknown>): PlainWrite => ({
    Put: { Item, ConditionExpression: 'attribute_not_exists(PK)' },
  });
  const head = (chain: string, last: { id: number; hash: string }, sequence: number) =>
    put({ ...keys.auditHead(chain), entity: 'audit_head', last_id: last.id, hash: last.hash, sequence });
  const single = (): PlainWrite[] => {
    const audit = input(0);
    const chain = audit.tenant_id as string;
    const event = sealEvent(audit, undefined, new Date(ms++));
    return [
      head(chain, event, 1),
      put(eventItem(chain, event, { sequence: 1, data: eventData(audit) })),
      put({ ...keys.auditId(event.id), entity: 'audit_id', chain }),
    ];
  };
  const batch = (): PlainWrite[] => {
    const first = input(0);
    const chain = first.tenant_id as string;
    const inputs = Array.from({ length: 99 }, (_, n) => ({ ...input(n), tenant_id: chain }));
    const events = sealBatch(inputs, undefined, ms++);
    return [
      head(chain, events.at(-1) as { id: number; hash: string }, 99),
      ...events.map((event, j) =>
        put(eventItem(chain, event, { sequence: j + 1, data: eventData(inputs[j] as AuditInput) })),
      ),
    ];
  };
  const timed = async (writes: PlainWrite[]) => {
    const started = performance.now();
    await stack.dynamodb.send(
      new TransactWriteItemsCommand({ TransactItems: writes.map((w) => toTransactItem(w, stack.tableName)) }),
    );
    return performance.now() - started;
  };
  const singles: number[] = [];
  const batches: number[] = [];
  await timed(single());
  await timed(batch());
  for (let r = 0; r < rounds; r++) {
    singles.push(await timed(single()));
    batches.push(await timed(batch()));
  }
  bareMs = ms;
  const bareSingleMs = percentile(singles, 50);
  const bareBatchMs = percentile(batches, 50);
  return { bareSingleMs, bareBatchMs, ceiling: (99 * bareSingleMs) / bareBatchMs };
}

export function printIngest(f: IngestFigures): void {
  const errors = (e: Record<string, number>) =>
    Object.keys(e).length === 0 ? '0 errors' : `errors ${JSON.stringify(e)}`;
  console.log(
    `\nH1  events/s, ${WRITERS} writers on one tenant / spread over ${WRITERS} tenants: ${fmt(f.hot, 1)} / ${fmt(f.spread, 1)} = ${fmt(f.h1)} (goal >= 0.5), ${errors(f.h1Errors)}`,
  );
  console.log(
    `H2  events/s, batches of 99 / single appends, one tenant: ${fmt(f.batched, 1)} / ${fmt(f.single, 1)} = ${fmt(f.h2, 1)} (goal >= 20), ${errors(f.h2Errors)}`,
  );
  console.log(
    `    ceiling on this DynamoDB: bare TransactWriteItems p50 ${fmt(f.bareSingleMs, 1)} ms (an append's 3 items) / ` +
      `${fmt(f.bareBatchMs, 1)} ms (a batch's 100) -> 99 x ${fmt(f.bareSingleMs, 1)} / ${fmt(f.bareBatchMs, 1)} = ${fmt(f.ceiling, 1)}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printIngest(await ingestFigures());
  process.exit(0);
}
