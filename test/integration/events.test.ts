import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  MemoryCheckpoints,
  type StreamCheckpoints,
  StreamPoller,
} from '../../shared/adapters/dynamodb/stream-poller';
import * as app from '../../shared/app';
import type { RegistryEvent } from '../../shared/domain/events';
import type { EventSink } from '../../shared/ports/event-sink';
import { EventStreamConsumer } from '../../shared/services/event-stream';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { ManualClock } from '../support/clock';
import { injectFault } from '../support/faults';
import { inspect } from '../support/inspect';
import { startStack, type TestResponse, type TestStack } from '../support/stack';

/**
 * The outbox end to end: the real handlers commit over DynamoDB Local, the table's stream is read
 * by the same poller `npm start` runs, and the events land in a recording sink. No sleeps: the
 * test polls the stream until what it waits for is there.
 */

class RecordingSink implements EventSink {
  readonly received: RegistryEvent[] = [];
  async publish(events: readonly RegistryEvent[]) {
    this.received.push(...events);
    return { failedIds: [] };
  }
  /** Each id once: what a consumer that dedupes sees. */
  deduped(): RegistryEvent[] {
    return [...new Map(this.received.map((e) => [e.id, e])).values()];
  }
}

let stack: TestStack;
let streams: DynamoDBStreamsClient;
const clock = new ManualClock();

beforeAll(async () => {
  stack = await startStack();
  stack.configure({}, { clock });
  streams = new DynamoDBStreamsClient({
    endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
/** Figures for the terminal, printed once the stack's log capture has stopped. */
const notes: string[] = [];
afterAll(async () => {
  streams.destroy();
  await stack.close();
  if (notes.length > 0) console.log(notes.join('\n'));
});

function poller(sink: EventSink, checkpoints: StreamCheckpoints = new MemoryCheckpoints()) {
  return new StreamPoller(
    stack.dynamodb,
    streams,
    stack.tableName,
    new EventStreamConsumer([sink]),
    checkpoints,
    {
      intervalMs: 250,
    },
  );
}

/** Polls until `done` holds (each poll reads every shard to its current end). */
async function pollUntil(p: StreamPoller, done: () => boolean, maxPolls = 50): Promise<void> {
  for (let i = 0; i < maxPolls && !done(); i++) await p.pollOnce();
  expect(done()).toBe(true);
}

async function createTenant(): Promise<{ id: string; version: number }> {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('ev')) });
  expect(res.status).toBe(201);
  return { id: res.body.tenant.id, version: res.body.tenant.version };
}

const ofTenant = (events: readonly RegistryEvent[], id: string) => events.filter((e) => e.tenant_id === id);

test('a change is published once: its envelope, its sequence, the resource after the change', async () => {
  const sink = new RecordingSink();
  const p = poller(sink);
  const t = await createTenant();
  const patched = await stack.request('PATCH', `/v1/tenants/${t.id}`, {
    body: { name: 'Renamed', sales_owner: 'Ann Sales' },
  });
  expect(patched.status).toBe(200);
  await pollUntil(p, () => ofTenant(sink.received, t.id).length >= 2);
  const [created, updated] = ofTenant(sink.received, t.id);
  expect(created).toMatchObject({ type: 'tenant.created', tenant_id: t.id, sequence: 1 });
  expect(updated).toMatchObject({ type: 'tenant.updated', tenant_id: t.id, sequence: 2 });
  expect(updated?.data).toMatchObject({ id: t.id, name: 'Renamed', sales_owner: 'Ann Sales', version: 2 });
  // The audit list shows the same ids, and nothing of the outbox.
  const audit = await stack.request('GET', `/v1/audit?tenant_id=${t.id}`);
  expect(audit.body.items.map((e: { id: number }) => String(e.id)).sort()).toEqual(
    [created?.id, updated?.id].sort(),
  );
  for (const item of audit.body.items) {
    expect(item).not.toHaveProperty('sequence');
    expect(item).not.toHaveProperty('data');
  }
  const verdict = await stack.request('GET', `/v1/audit/verify?tenant_id=${t.id}`);
  expect(verdict.body).toEqual({ ok: true, checked: 2 });
});

test('an API key event carries the key, never its hash or plaintext', async () => {
  const sink = new RecordingSink();
  const p = poller(sink);
  const t = await createTenant();
  const created = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: t.id, name: 'ci', scopes: ['profile:read'] },
  });
  expect(created.status).toBe(201);
  await pollUntil(p, () => sink.received.some((e) => e.type === 'api_key.created' && e.tenant_id === t.id));
  const event = sink.received.find((e) => e.type === 'api_key.created' && e.tenant_id === t.id);
  const text = JSON.stringify(event);
  expect(text).not.toContain(created.body.plaintext);
  expect(text).not.toContain('secret_hash');
  expect(text).not.toContain('argon2id');
  expect(event?.data).toMatchObject({ id: created.body.api_key.id, prefix: created.body.api_key.prefix });
});

test('a handler that throws after its commit: the event is still published, exactly once after dedupe', async () => {
  const sink = new RecordingSink();
  const p = poller(sink);
  const t = await createTenant();
  const fault = injectFault(
    { dynamodb: app.dynamodb(), ssm: app.ssm() },
    { service: 'dynamodb', command: 'TransactWriteItemsCommand', nth: 1 },
    'timeout-after-commit',
  );
  let res: Awaited<ReturnType<TestStack['request']>>;
  try {
    res = await stack.request('PATCH', `/v1/tenants/${t.id}`, { body: { name: 'Committed anyway' } });
  } finally {
    fault.remove();
  }
  expect(fault.reached).toBe(true);
  // The caller was told it failed; the change committed.
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({ error: 'service_unavailable' });
  await pollUntil(p, () => ofTenant(sink.received, t.id).some((e) => e.type === 'tenant.updated'));
  // One more poll: nothing else arrives.
  await p.pollOnce();
  const updates = ofTenant(sink.deduped(), t.id).filter((e) => e.type === 'tenant.updated');
  expect(updates).toHaveLength(1);
  expect(updates[0]?.data).toMatchObject({ name: 'Committed anyway' });
});

test('a failed transaction publishes nothing', async () => {
  const sink = new RecordingSink();
  const p = poller(sink);
  const t = await createTenant();
  // A stale If-Match: the transaction is cancelled by its condition.
  const stale = await stack.request('PATCH', `/v1/tenants/${t.id}`, {
    body: { name: 'Never' },
    headers: { 'If-Match': '"99"' },
  });
  expect(stale.status).toBe(412);
  // A transaction DynamoDB refuses every time (the SDK gives up).
  const fault = injectFault(
    { dynamodb: app.dynamodb(), ssm: app.ssm() },
    { service: 'dynamodb', command: 'TransactWriteItemsCommand', nth: 1 },
    'server-error',
  );
  let failed: Awaited<ReturnType<TestStack['request']>>;
  try {
    failed = await stack.request('PATCH', `/v1/tenants/${t.id}`, { body: { name: 'Never either' } });
  } finally {
    fault.remove();
  }
  expect(failed.status).toBe(503);
  // A later change on the same chain marks the end of what could have been published.
  const marker = await stack.request('PATCH', `/v1/tenants/${t.id}`, { body: { name: 'Marker' } });
  expect(marker.status).toBe(200);
  await pollUntil(p, () => ofTenant(sink.received, t.id).some((e) => e.data.name === 'Marker'));
  const mine = ofTenant(sink.received, t.id);
  expect(mine.map((e) => [e.type, e.sequence, e.data.name])).toEqual([
    ['tenant.created', 1, expect.any(String)],
    ['tenant.updated', 2, 'Marker'],
  ]);
});

test('a consumer that dies after publishing and before its checkpoint: a duplicate with the same id, never a loss', async () => {
  const sink = new RecordingSink();
  const saved = new MemoryCheckpoints();
  // Checkpoints the first poller's progress up to now, so it starts on fresh records.
  await pollUntil(poller(new RecordingSink(), saved), () => true);
  const t = await createTenant();
  const renamed = await stack.request('PATCH', `/v1/tenants/${t.id}`, { body: { name: 'Before the crash' } });
  expect(renamed.status).toBe(200);

  let crashed = false;
  const dying: StreamCheckpoints = {
    get: (shard) => saved.get(shard),
    set: async () => {
      crashed = true;
      throw new Error('process died before its checkpoint');
    },
  };
  const first = poller(sink, dying);
  for (let i = 0; i < 50 && !crashed; i++) await first.pollOnce().catch(() => undefined);
  expect(crashed).toBe(true);
  const published = ofTenant(sink.received, t.id).map((e) => e.id);
  expect(published.length).toBeGreaterThan(0);

  // The restarted consumer resumes from the last checkpoint that was written.
  const second = poller(sink, saved);
  await pollUntil(second, () => ofTenant(sink.received, t.id).length >= 2 * published.length);
  const ids = ofTenant(sink.received, t.id).map((e) => e.id);
  for (const id of published) expect(ids.filter((x) => x === id)).toHaveLength(2);
  expect(ofTenant(sink.deduped(), t.id).map((e) => e.type)).toEqual(['tenant.created', 'tenant.updated']);
});

test('webhook.test is audited but no outbox event: it takes no sequence, nothing publishes it, no gap', async () => {
  const sink = new RecordingSink();
  const p = poller(sink);
  const t = await createTenant();
  stack.configure({ TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL: 'true' }, { clock });
  try {
    const hook = await stack.request('POST', '/v1/webhooks', {
      body: { url: 'http://127.0.0.1:9/hook', events: ['*'], tenant_id: t.id },
    });
    expect(hook.status).toBe(201);
    const tested = await stack.request('POST', `/v1/webhooks/${hook.body.webhook.id}/test`);
    expect([tested.status, tested.body.type]).toEqual([202, 'webhook.test']);
    const after = await stack.request('POST', '/v1/audit', {
      body: { tenant_id: t.id, action: 'invoice.paid', actor_id: 'billing' },
    });
    expect(after.status).toBe(201);
    const stored = await inspect(stack).auditEvents(t.id);
    expect(stored.map((e) => e.action)).toContain('webhook.test');
    await pollUntil(p, () => ofTenant(sink.received, t.id).length >= stored.length - 1);
    const mine = ofTenant(sink.deduped(), t.id);
    expect(mine.map((e) => e.type)).toEqual(stored.map((e) => e.action).filter((a) => a !== 'webhook.test'));
    // 1, 2, 3...: the test event between webhook.created and invoice.paid left no hole.
    expect(mine.map((e) => e.sequence)).toEqual(mine.map((_, i) => i + 1));
  } finally {
    await app.apiKeys().settled();
    stack.configure({}, { clock });
  }
});

test('200 changes over 20 tenants at once: every event published once, each tenant 1, 2, 3... without a gap, every 503 accounted for', async () => {
  const sink = new RecordingSink();
  const p = poller(sink);
  const tenants = await Promise.all(Array.from({ length: 20 }, () => createTenant()));
  const chainOf = new Map(tenants.map((t) => [t.id, t]));
  // 200 changes in flight at once, ten on each of 20 chains; the caller retries a 503 at once
  // (no sleep), at most MAX_ATTEMPTS times. Two kinds of 503 can come back, told apart by their
  // body: the chain stayed busy past the write budget (load; committed nothing, by contract), or
  // a dependency failed. One of the latter is certain here: a transaction of the burst commits
  // and then times out, so every append it carried is told 503 and retried although it committed.
  const MAX_ATTEMPTS = 20;
  const BUSY = {
    error: 'service_unavailable',
    message: expect.stringContaining('committed nothing'),
    request_id: expect.any(String),
  };
  const DEPENDENCY = {
    error: 'service_unavailable',
    message: 'a dependency is unavailable; retry later',
    request_id: expect.any(String),
  };
  const busy = new Map<string, number>();
  const failedAfterCommit = new Map<string, number>();
  const tally = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const change = async (tenantId: string, n: number) => {
    for (let attempt = 1; ; attempt++) {
      const res = await stack.request('POST', '/v1/audit', {
        body: { tenant_id: tenantId, action: 'invoice.paid', actor_id: 'billing', metadata: { n } },
      });
      if (res.status !== 503 || attempt === MAX_ATTEMPTS) return res;
      if (res.body.message === DEPENDENCY.message) {
        expect(res.body).toEqual(DEPENDENCY);
        tally(failedAfterCommit, `${tenantId}/${n}`);
      } else {
        expect(res.body).toEqual(BUSY);
        expect(res.headers['retry-after']).toBe('1');
        tally(busy, `${tenantId}/${n}`);
      }
    }
  };
  const fault = injectFault(
    { dynamodb: app.dynamodb(), ssm: app.ssm() },
    { service: 'dynamodb', command: 'TransactWriteItemsCommand', nth: 25 },
    'timeout-after-commit',
  );
  let results: TestResponse<any>[];
  try {
    results = await Promise.all(
      tenants.flatMap((t) => Array.from({ length: 10 }, (_, n) => change(t.id, n))),
    );
  } finally {
    fault.remove();
  }
  // Bounded: every change committed within its attempts.
  expect(results.filter((r) => r.status !== 201).map((r) => [r.status, r.body])).toEqual([]);
  // The fault fired once, on one transaction: one chain's group of appends (1 to 10 of them).
  // On a loaded machine a request may also outlast its invocation (the timeout answers 503 with
  // the same body, its write committed or not): more keys may be here, each failed at least once.
  expect(fault.hits).toBe(1);
  expect(failedAfterCommit.size).toBeGreaterThanOrEqual(1);
  clock.advance(1000);

  // Accounted for: a chain holds its creation and each change at least once, and at most once
  // more for each of its answers that failed after (or while) committing; a busy 503 added
  // nothing. Nothing lost, nothing stored that no request sent.
  const stored = new Map<string, string[]>();
  for (const t of tenants) {
    const events = await inspect(stack).auditEvents(t.id);
    stored.set(
      t.id,
      events.map((e) => String(e.id)),
    );
    const paid = events.filter((e) => e.action === 'invoice.paid').map((e) => e.metadata?.n as number);
    expect([t.id, events[0]?.action]).toEqual([t.id, 'tenant.created']);
    for (let n = 0; n < 10; n++) {
      const copies = paid.filter((x) => x === n).length;
      const most = 1 + (failedAfterCommit.get(`${t.id}/${n}`) ?? 0);
      expect([t.id, n, copies >= 1 && copies <= most]).toEqual([t.id, n, true]);
    }
    expect(events).toHaveLength(1 + paid.length);
  }
  const total = [...stored.values()].reduce((n, ids) => n + ids.length, 0);
  const extra = [...failedAfterCommit.values()].reduce((n, k) => n + k, 0);
  expect(total).toBeGreaterThanOrEqual(220);
  expect(total).toBeLessThanOrEqual(220 + extra);
  for (const r of results) expect(stored.get(r.body.tenant_id)).toContain(String(r.body.id));

  const published = () => sink.received.filter((e) => e.tenant_id !== undefined && chainOf.has(e.tenant_id));
  await pollUntil(p, () => published().length >= total, 200);
  // Once per id: no event twice, none missing, none that the table does not hold.
  expect(published()).toHaveLength(total);
  expect(new Set(published().map((e) => e.id)).size).toBe(total);
  for (const t of tenants) {
    const mine = ofTenant(sink.received, t.id);
    const chain = stored.get(t.id) ?? [];
    // Stream order is commit order per chain: 1..n, strictly increasing, no gap, no repeat.
    expect([t.id, mine.map((e) => e.sequence)]).toEqual([t.id, chain.map((_, i) => i + 1)]);
    expect([t.id, mine.map((e) => e.id)]).toEqual([t.id, chain]);
    expect(mine.filter((e) => e.type === 'invoice.paid').every((e) => e.data.actor_id === 'billing')).toBe(
      true,
    );
  }
  // What the busy 503s cost, for the record (load decides it; each committed nothing).
  notes.push(
    `${total} events published; ${failedAfterCommit.size} appends failed after their commit and were retried; ${[...busy.values()].reduce((a, b) => a + b, 0)} busy 503s retried`,
  );
}, 300_000);

test('an audit batch is published as its events, numbered in chain order after what came before; block claims publish nothing', async () => {
  const sink = new RecordingSink();
  const p = poller(sink);
  const t = await createTenant();
  const batch = await stack.request('POST', '/v1/audit/batch', {
    body: {
      events: ['doc.a', 'doc.b', 'doc.c'].map((action) => ({ tenant_id: t.id, action, actor_id: 'u1' })),
    },
  });
  expect(batch.status).toBe(201);
  const single = await stack.request('POST', '/v1/audit', { body: { tenant_id: t.id, action: 'doc.d' } });
  expect(single.status).toBe(201);
  await pollUntil(p, () => ofTenant(sink.received, t.id).some((e) => e.type === 'doc.d'));
  const ids = [...batch.body.events.map((e: { id: number }) => String(e.id)), String(single.body.id)];
  expect(ofTenant(sink.deduped(), t.id).map((e) => [e.type, e.sequence, e.id])).toEqual([
    ['tenant.created', 1, expect.any(String)],
    ['doc.a', 2, ids[0]],
    ['doc.b', 3, ids[1]],
    ['doc.c', 4, ids[2]],
    ['doc.d', 5, ids[3]],
  ]);
});
