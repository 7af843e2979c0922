import { pathToFileURL } from 'node:url';
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EVENT_PROJECTION_WITH_KEY, eventItem } from '../shared/adapters/dynamodb/audited-writer';
import { TableReader, toItem } from '../shared/adapters/dynamodb/items';
import { auditListKey } from '../shared/adapters/dynamodb/keys';
import { auditLog } from '../shared/app';
import { type AuditEvent, type AuditInput, type ChainHead, chainOf, sealEvent } from '../shared/domain/audit';
import type { AuditLog } from '../shared/ports/audit-log';
import { type AuditListQuery, AuditService } from '../shared/services/audit';
import { fmt, startBenchStack } from './stack';

/**
 * A1: items read per audit page (DynamoDB's ScannedCount for the page's Query) with a log of
 * 100,000 events / with a log of 1,000, same filters, same page size, measured through the
 * service's own list path. Goal <= 1.2: a page costs what it holds, not what the log holds.
 * The log is seeded straight into the table with BatchWriteItem (items built by the writer's
 * own `eventItem`; see `eventInput` for the shape of the log). For contrast, the same pages
 * served the naive way: one Query on the unfiltered partition with a FilterExpression, which
 * reads through every newer event that does not match.
 */
export interface AuditFigure {
  readonly filters: string;
  readonly small: number;
  readonly large: number;
  readonly ratio: number;
  readonly naiveSmall: number;
  readonly naiveLarge: number;
}

export interface AuditFigures {
  readonly limit: number;
  readonly sizes: readonly [number, number];
  readonly rows: readonly AuditFigure[];
  readonly worst: number;
  readonly seedSeconds: number;
}

const HOT = { product: 'billing', actor_id: 'alice', action: 'invoice.sent' } as const;
const RARE = { product: 'vault', actor_id: 'auditor', action: 'export.run' } as const;
const PRODUCTS = ['billing', 'orders', 'customs', 'crm', 'shop'];
const ACTIONS = [
  'invoice.sent',
  'key.created',
  'key.revoked',
  'tenant.updated',
  'alias.added',
  'order.placed',
];
const TENANTS = Array.from(
  { length: 50 },
  (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
);
const HOT_TENANT = TENANTS[0] as string;

/** Deterministic pseudo-random numbers, so both runs seed the same shape of log. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Hot: 20% of events on one combination of all four filters. Rare: 200 events of one actor, all
 * among the first 1,000, so at 100,000 the newest of them are 99,000 events deep. The rest look
 * like state changes: a tenant (90%), an actor and an action, a product on a quarter of them.
 */
function eventInput(i: number, rnd: () => number): AuditInput {
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)] as T;
  if (i < 1_000 && i % 5 === 0) return { tenant_id: pick(TENANTS), ...RARE, target_id: `target-${i}` };
  if (rnd() < 0.2) return { tenant_id: HOT_TENANT, ...HOT, target_id: `target-${i}` };
  const tenant = rnd() < 0.1 ? undefined : pick(TENANTS);
  return {
    ...(tenant ? { tenant_id: tenant } : {}),
    ...(rnd() < 0.25 ? { product: pick(PRODUCTS) } : {}),
    actor_id: `user-${Math.floor(rnd() * 200)}`,
    action: pick(ACTIONS),
    target_id: `target-${i}`,
  };
}

/** Seeds events `from`..`to` (exclusive) onto their chains, a millisecond apart, 25 per batch. */
async function seed(
  db: DynamoDBClient,
  tableName: string,
  heads: Map<string, ChainHead>,
  from: number,
  to: number,
  start: number,
): Promise<void> {
  const rnd = random(from + 1);
  const items: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++) {
    const input = eventInput(i, rnd);
    const chain = chainOf(input);
    const event: AuditEvent = sealEvent(input, heads.get(chain), new Date(start + i));
    heads.set(chain, { last_id: event.id, hash: event.hash });
    items.push(eventItem(chain, event));
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      let pending = batch.map((item) => ({ PutRequest: { Item: toItem(item) } }));
      while (pending.length > 0) {
        const out = await db.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
}

/** The service's list path over the real store, counting what each page's Query read. */
function countingService(log: AuditLog): { service: AuditService; reads: () => number } {
  let read = 0;
  const counting: AuditLog = {
    append: (input) => log.append(input),
    appendBatch: (inputs, idempotency) => log.appendBatch(inputs, idempotency),
    chain: (chain) => log.chain(chain),
    tenantExists: (id) => log.tenantExists(id),
    head: (chain) => log.head(chain),
    checkpoint: (chain) => log.checkpoint(chain),
    events: (chain, fromId) => log.events(chain, fromId),
    idOwner: (id) => log.idOwner(id),
    page: async (query) => {
      const page = await log.page(query);
      read += page.read;
      return page;
    },
  };
  return { service: new AuditService(counting), reads: () => read };
}

export async function auditFigures(
  options: { small?: number; large?: number; limit?: number } = {},
): Promise<AuditFigures> {
  const small = options.small ?? 1_000;
  const large = options.large ?? 100_000;
  const limit = options.limit ?? 50;
  const stack = await startBenchStack({ TENANT_REGISTRY_LOG_LEVEL: 'SILENT' });
  try {
    const reader = new TableReader(stack.dynamodb, stack.tableName);
    const start = Date.now() - large - 1000;
    const heads = new Map<string, ChainHead>();
    // Time windows: the middle 80% of the small log, and of the large one.
    const window = (n: number) => ({
      since: start + Math.floor(n * 0.1),
      until: start + Math.floor(n * 0.9),
    });
    const cases: { name: string; query: (n: number) => Omit<AuditListQuery, 'limit'> }[] = [
      { name: '(none)', query: () => ({}) },
      { name: 'tenant_id', query: () => ({ tenant_id: HOT_TENANT }) },
      { name: 'product', query: () => ({ product: HOT.product }) },
      { name: 'actor_id', query: () => ({ actor_id: HOT.actor_id }) },
      { name: 'action', query: () => ({ action: HOT.action }) },
      { name: 'tenant_id+product', query: () => ({ tenant_id: HOT_TENANT, product: HOT.product }) },
      { name: 'product+actor_id+action', query: () => ({ ...HOT }) },
      { name: 'all four', query: () => ({ tenant_id: HOT_TENANT, ...HOT }) },
      { name: 'all four+since+until', query: (n) => ({ tenant_id: HOT_TENANT, ...HOT, ...window(n) }) },
      { name: 'action+since+until', query: (n) => ({ action: HOT.action, ...window(n) }) },
      { name: 'actor_id (rare)', query: () => ({ actor_id: RARE.actor_id }) },
      { name: 'product+actor_id+action (rare)', query: () => ({ ...RARE }) },
    ];

    const measure = async (n: number) => {
      const out: { list: number; naive: number }[] = [];
      for (const c of cases) {
        const { service, reads } = countingService(auditLog());
        const query = c.query(n);
        const page = await service.list({ ...query, limit });
        if (page.items.length !== limit) throw new Error(`${c.name}: page not full (${page.items.length})`);
        // Second page too: a cursor costs the same as a first page.
        await service.list({ ...query, limit, ...(page.next_cursor ? { cursor: page.next_cursor } : {}) });
        out.push({ list: reads() / 2, naive: await naive(reader, query, limit) });
      }
      return out;
    };

    const seeded = Date.now();
    await seed(stack.dynamodb, stack.tableName, heads, 0, small, start);
    const atSmall = await measure(small);
    await seed(stack.dynamodb, stack.tableName, heads, small, large, start);
    const seedSeconds = (Date.now() - seeded) / 1000;
    const atLarge = await measure(large);

    const rows = cases.map((c, i) => {
      const s = atSmall[i] ?? { list: Number.NaN, naive: Number.NaN };
      const l = atLarge[i] ?? { list: Number.NaN, naive: Number.NaN };
      return {
        filters: c.name,
        small: s.list,
        large: l.list,
        ratio: l.list / s.list,
        naiveSmall: s.naive,
        naiveLarge: l.naive,
      };
    });
    return { limit, sizes: [small, large], rows, worst: Math.max(...rows.map((r) => r.ratio)), seedSeconds };
  } finally {
    await stack.close();
  }
}

/**
 * What the same page costs without an index per combination: Query the unfiltered partition,
 * newest first, with a FilterExpression, until `limit` items match (or the range ends); pages
 * grow from `limit + 1` by doubling, so this reads at most about twice the minimum.
 */
async function naive(
  reader: TableReader,
  query: Omit<AuditListQuery, 'limit'>,
  limit: number,
): Promise<number> {
  const filters = (['tenant_id', 'product', 'actor_id', 'action'] as const).filter(
    (f) => query[f] !== undefined,
  );
  const key = auditListKey({});
  const lo = query.since === undefined ? 0 : query.since * 1000;
  const hi = query.until === undefined ? Number.MAX_SAFE_INTEGER : query.until * 1000 - 1;
  let read = 0;
  let found = 0;
  let pages = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await reader.query({
      IndexName: key.index,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
      ...(filters.length > 0 ? { FilterExpression: filters.map((f) => `#${f} = :${f}`).join(' AND ') } : {}),
      ExpressionAttributeNames: {
        '#pk': key.pkName,
        '#sk': key.skName,
        ...Object.fromEntries(filters.map((f) => [`#${f}`, f])),
      },
      values: {
        ':pk': key.pk,
        ':lo': key.sk(lo),
        ':hi': key.sk(hi),
        ...Object.fromEntries(filters.map((f) => [`:${f}`, query[f]])),
      },
      ScanIndexForward: false,
      // limit + 1 first, then doubling: reads at most twice what the naive way must.
      Limit: Math.min(5_000, (limit + 1) * 2 ** pages++),
      ...(start ? { start } : {}),
    });
    read += page.read;
    found += page.items.length;
    start = page.last;
  } while (start && found <= limit);
  return read;
}

export function printAudit(f: AuditFigures): void {
  const [small, large] = f.sizes;
  console.log(`\nA1  items read per audit page (limit ${f.limit}), log of ${large} / log of ${small} events`);
  console.log(
    `    ${'filters'.padEnd(31)} ${`@${small}`.padStart(8)} ${`@${large}`.padStart(8)} ${'ratio'.padStart(6)}   naive (FilterExpression) @${small} -> @${large}`,
  );
  for (const r of f.rows) {
    console.log(
      `    ${r.filters.padEnd(31)} ${fmt(r.small, 1).padStart(8)} ${fmt(r.large, 1).padStart(8)} ${fmt(r.ratio).padStart(6)}   ${r.naiveSmall} -> ${r.naiveLarge}`,
    );
  }
  console.log(
    `    A1 (worst filter combination) = ${fmt(f.worst)}  (goal <= 1.2); seeding took ${fmt(f.seedSeconds, 0)} s`,
  );
}

/**
 * V4: events verified per second through `GET /v1/audit/verify` (following `next` until done,
 * default budget) / events read per second by bare strongly consistent Query pages of the same
 * chain (what any walk must read: each event's attributes and its sort key, the projection the
 * walk itself asks for). Goal >= 0.5: hashing and checking cost less than reading. One
 * chain of `events` state-change-like events, seeded straight into the table with its head.
 */
export interface VerifyFigures {
  readonly events: number;
  readonly apiPerSecond: number;
  readonly queryPerSecond: number;
  readonly ratio: number;
  readonly calls: number;
}

export async function verifyFigures(
  options: { events?: number; rounds?: number } = {},
): Promise<VerifyFigures> {
  const events = options.events ?? 20_000;
  const rounds = options.rounds ?? 3;
  const stack = await startBenchStack({ TENANT_REGISTRY_LOG_LEVEL: 'SILENT' });
  try {
    const chain = '00000000-0000-4000-8000-0000000000f4';
    const start = Date.now() - events - 1000;
    const rnd = random(4);
    let head: ChainHead | undefined;
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < events; i++) {
      const input: AuditInput = {
        tenant_id: chain,
        actor_id: `user-${Math.floor(rnd() * 200)}`,
        actor_type: 'operator',
        action: ACTIONS[i % ACTIONS.length] as string,
        target_id: `target-${i}`,
        target_type: 'tenant',
        origin: 'operator',
        metadata: { fields: ['settings'], request_id: `req-${i}`, n: i },
      };
      const event = sealEvent(input, head, new Date(start + i));
      head = { last_id: event.id, hash: event.hash };
      items.push(eventItem(chain, event));
    }
    await writeItems(stack.dynamodb, stack.tableName, [
      ...items,
      { PK: `AUDIT#${chain}`, SK: 'HEAD', entity: 'audit_head', ...head },
    ]);
    const reader = new TableReader(stack.dynamodb, stack.tableName);
    const bare = async () => {
      let n = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await reader.query({
          ...EVENT_PROJECTION_WITH_KEY,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
          values: { ':pk': `AUDIT#${chain}`, ':e': 'EVENT#' },
          ConsistentRead: true,
          ...(startKey ? { start: startKey } : {}),
        });
        n += page.items.length;
        startKey = page.last;
      } while (startKey);
      if (n !== events) throw new Error(`bare Query read ${n} of ${events}`);
    };
    let calls = 0;
    const api = async () => {
      let checked = 0;
      let from = '';
      for (;;) {
        const res = await stack.request('GET', `/v1/audit/verify?tenant_id=${chain}${from}`);
        calls++;
        if (res.status !== 200 || !res.body.ok) throw new Error(`verify failed: ${res.text}`);
        checked += res.body.checked;
        if (res.body.next === undefined) break;
        from = `&from=${res.body.next}`;
      }
      if (checked !== events) throw new Error(`verified ${checked} of ${events}`);
    };
    const time = async (fn: () => Promise<void>) => {
      const t = performance.now();
      await fn();
      return (performance.now() - t) / 1000;
    };
    await bare();
    await api();
    calls = 0;
    const apiTimes: number[] = [];
    const bareTimes: number[] = [];
    for (let r = 0; r < rounds; r++) {
      bareTimes.push(await time(bare));
      apiTimes.push(await time(api));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const apiPerSecond = events / median(apiTimes);
    const queryPerSecond = events / median(bareTimes);
    return {
      events,
      apiPerSecond,
      queryPerSecond,
      ratio: apiPerSecond / queryPerSecond,
      calls: calls / rounds,
    };
  } finally {
    await stack.close();
  }
}

async function writeItems(
  db: DynamoDBClient,
  tableName: string,
  items: Record<string, unknown>[],
): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let pending = items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: toItem(item) } }));
    while (pending.length > 0) {
      const out = await db.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  }
}

export function printVerify(f: VerifyFigures): void {
  console.log(`\nV4  events verified per second, one chain of ${f.events} events`);
  console.log(
    `    GET /v1/audit/verify (following next, ${fmt(f.calls, 1)} calls): ${fmt(f.apiPerSecond, 0)}/s`,
  );
  console.log(`    bare strongly consistent Query pages of the same events: ${fmt(f.queryPerSecond, 0)}/s`);
  console.log(`    V4 = ${fmt(f.ratio)}  (goal >= 0.5)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  if (!process.argv.includes('--only=verify')) printAudit(await auditFigures());
  printVerify(await verifyFigures());
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.exit(0);
}
