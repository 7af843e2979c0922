import {
  type AttributeValue,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { startStack, type TestStack } from '../support/stack';

/**
 * GET /v1/audit/verify across calls: a time budget per call and `next` to go on, so a chain of
 * any length verifies; the calls together check what one walk checks, and a break is found
 * wherever it is.
 */

type Item = Record<string, unknown>;
interface Verdict {
  ok: boolean;
  checked: number;
  next?: number;
  event_id?: number | null;
  reason?: string;
}

const EVENTS = 320;
let stack: TestStack;
let tenant: string;
let stored: Item[];

beforeAll(async () => {
  stack = await startStack();
  const created = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('walk')) });
  tenant = created.body.tenant.id as string;
  // In batches (one transaction each, the events in order): the chain is the same as 320 appends.
  for (let from = 0; from < EVENTS; from += 80) {
    const events = Array.from({ length: Math.min(80, EVENTS - from) }, (_, n) => ({
      tenant_id: tenant,
      action: `walk.${from + n}`,
      metadata: { i: from + n },
    }));
    const res = await stack.request('POST', '/v1/audit/batch', { body: { events } });
    expect(res.status).toBe(201);
  }
  stored = await eventItems();
  expect(stored).toHaveLength(EVENTS + 1);
}, 120_000);
afterAll(async () => {
  await stack.close();
});

async function eventItems(): Promise<Item[]> {
  const out: Item[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await stack.dynamodb.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
        ExpressionAttributeValues: { ':pk': { S: `AUDIT#${tenant}` }, ':e': { S: 'EVENT#' } },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    out.push(...(page.Items ?? []).map((i) => unmarshall(i)));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

async function verify(query: string): Promise<Verdict> {
  const res = await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}${query}`);
  expect([res.status, res.status === 200 ? 'ok' : res.body]).toEqual([200, 'ok']);
  return res.body as Verdict;
}

/** Calls with a 1 ms budget until one has no `next` (or reports a break). */
async function walkInSteps(): Promise<Verdict[]> {
  const calls: Verdict[] = [];
  let from = '';
  for (let i = 0; i < 100; i++) {
    const v = await verify(`&budget_ms=1${from}`);
    calls.push(v);
    if (!v.ok || v.next === undefined) return calls;
    from = `&from=${v.next}`;
  }
  throw new Error('the walk does not end');
}

test('a chain verified across calls with a tiny budget equals one full verify', async () => {
  const whole = await verify('');
  expect(whole).toEqual({ ok: true, checked: EVENTS + 1 });
  const calls = await walkInSteps();
  expect(calls.length).toBeGreaterThanOrEqual(3);
  expect(calls.every((c) => c.ok)).toBe(true);
  expect(calls.slice(0, -1).every((c) => typeof c.next === 'number')).toBe(true);
  expect(calls.at(-1)).not.toHaveProperty('next');
  expect(calls.reduce((n, c) => n + c.checked, 0)).toBe(whole.checked);
  // Each call goes on right after the last event the one before checked.
  const ids = stored.map((i) => Number(i.id));
  let seen = 0;
  for (const c of calls.slice(0, -1)) {
    seen += c.checked;
    expect(c.next).toBe(ids[seen - 1]);
  }
});

test('a break in the middle is reported, with its id, by the call that reaches it', async () => {
  const victim = stored[200] as Item;
  await stack.dynamodb.send(
    new PutItemCommand({ TableName: stack.tableName, Item: marshall({ ...victim, action: 'walk.forged' }) }),
  );
  try {
    const calls = await walkInSteps();
    const last = calls.at(-1) as Verdict;
    expect(last).toEqual({
      ok: false,
      checked: expect.any(Number),
      event_id: victim.id,
      reason: 'altered event',
    });
    expect(calls.slice(0, -1).every((c) => c.ok)).toBe(true);
    expect(calls.reduce((n, c) => n + c.checked, 0)).toBe(200);
    expect(await verify('')).toEqual({
      ok: false,
      checked: 200,
      event_id: victim.id,
      reason: 'altered event',
    });
  } finally {
    await stack.dynamodb.send(new PutItemCommand({ TableName: stack.tableName, Item: marshall(victim) }));
  }
});

test.each([
  ['a single event (claimed alone)', 0],
  ['an event of a batch (claimed by its block)', 100],
])('going on from %s that was deleted since reports it missing', async (_kind, index) => {
  const gone = stored[index] as Item;
  await stack.dynamodb.send(
    new DeleteItemCommand({ TableName: stack.tableName, Key: marshall({ PK: gone.PK, SK: gone.SK }) }),
  );
  try {
    expect(await verify(`&from=${gone.id}`)).toEqual({
      ok: false,
      checked: 0,
      event_id: gone.id,
      reason: 'the event to start from is missing',
    });
  } finally {
    await stack.dynamodb.send(new PutItemCommand({ TableName: stack.tableName, Item: marshall(gone) }));
  }
  // From the last event: nothing more to check, and the head matches.
  expect(await verify(`&from=${stored.at(-1)?.id}`)).toEqual({ ok: true, checked: 0 });
});

test.each([
  ['from=abc', 'query.from'],
  ['from=0', 'query.from'],
  ['from=12345', 'query.from: 12345 is not an event of this chain'],
  // An id in a batch slot of a millisecond no batch claimed.
  ['from=1000000000900', 'query.from: 1000000000900 is not an event of this chain'],
  ['budget_ms=0', 'query.budget_ms'],
  ['budget_ms=20001', 'query.budget_ms'],
  ['budget_ms=1.5', 'query.budget_ms'],
])('%s is a 400 naming the parameter', async (query, message) => {
  const res = await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}&${query}`);
  expect(res.status).toBe(400);
  expect(res.body.error).toBe('invalid_input');
  expect(res.body.message).toContain(message);
});

test('an event of another chain is not a place to start from', async () => {
  const other = await stack.request('POST', '/v1/audit', { body: { action: 'global.thing' } });
  const res = await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}&from=${other.body.id}`);
  expect(res.status).toBe(400);
  expect(res.body.message).toBe(`query.from: ${other.body.id} is not an event of this chain`);
});
