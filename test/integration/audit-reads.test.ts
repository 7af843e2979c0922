import { randomUUID } from 'node:crypto';
import { QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoAuditLog } from '../../shared/adapters/dynamodb/audit-log';
import { eventFromItem } from '../../shared/adapters/dynamodb/audited-writer';
import { keys } from '../../shared/adapters/dynamodb/keys';
import type { AuditEvent } from '../../shared/domain/audit';
import { seedTenantChain } from '../support/audit-seed';
import { ManualClock } from '../support/clock';
import { startStack, type TestStack } from '../support/stack';

/**
 * What an audit read asks DynamoDB for: each event's own attributes (a ProjectionExpression),
 * never the item's keys, list-index keys or the outbox's copy of the event, and every event
 * still comes back exactly as stored, every field of it.
 */

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

/** Every field an event may carry, written out by hand (not from the reader's own list). */
const EVERY_FIELD = [
  'id',
  'created_at',
  'prev_hash',
  'hash',
  'tenant_id',
  'project_id',
  'actor_id',
  'actor_name',
  'actor_type',
  'action',
  'target_id',
  'target_type',
  'target_name',
  'product',
  'metadata',
  'source_ip',
  'user_agent',
  'origin',
  'key_id',
  'nonce',
];

/** Attribute names of every item each Query returned while `run` ran, per Query. */
async function attributesRead(run: () => Promise<unknown>): Promise<string[][]> {
  const seen: string[][] = [];
  const name = `record-items-${randomUUID()}`;
  stack.dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const items = (result.output as { Items?: Record<string, unknown>[] }).Items;
      if (items) seen.push(...items.map((item) => Object.keys(item).sort()));
      return result;
    },
    { step: 'initialize', name },
  );
  try {
    await run();
  } finally {
    stack.dynamodb.middlewareStack.remove(name);
  }
  return seen;
}

test('every read of events (lists, filtered lists, exports, walks) asks for the event only and gives it back whole', async () => {
  const tenant = randomUUID();
  const keyId = randomUUID();
  await seedTenantChain(stack.dynamodb, stack.tableName, tenant, 5, {
    input: (i) => ({
      project_id: 'p-1',
      actor_id: 'u-1',
      actor_name: 'Ada',
      actor_type: 'user',
      action: 'record.touched',
      target_id: `record-${i}`,
      target_type: 'record',
      target_name: `Record ${i}`,
      product: 'crm',
      metadata: { n: i, nested: { list: [1, 'two', null] } },
      source_ip: '203.0.113.7',
      user_agent: 'test/1.0',
      origin: 'tenant',
      key_id: keyId,
      nonce: `nonce-${i}`,
    }),
  });
  // The stored items, read whole and converted by the plain reader: the reference.
  const { Items = [] } = await stack.dynamodb.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :event)',
      ExpressionAttributeValues: marshall({ ':pk': keys.auditHead(tenant).PK, ':event': 'EVENT#' }),
      ConsistentRead: true,
    }),
  );
  const stored = Items.map((item) => eventFromItem(unmarshall(item)));
  expect(stored).toHaveLength(5);
  for (const event of stored) expect(Object.keys(event).sort()).toEqual([...EVERY_FIELD].sort());
  // The outbox's copy of an event beside it: storage, outside the hash, never read back.
  const first = stored[0] as AuditEvent;
  await stack.dynamodb.send(
    new UpdateItemCommand({
      TableName: stack.tableName,
      Key: marshall(keys.auditEvent(tenant, first.id)),
      UpdateExpression: 'SET #sequence = :sequence, #data = :data',
      ExpressionAttributeNames: { '#sequence': 'sequence', '#data': 'data' },
      ExpressionAttributeValues: marshall({ ':sequence': 7, ':data': JSON.stringify({ event: first }) }),
    }),
  );
  const whole = Items.map((item) => Object.keys(item));
  expect(whole.flat()).toEqual(expect.arrayContaining(['PK', 'SK', 'entity', 'chain', 'GSI3PK']));

  const log = new DynamoAuditLog(stack.dynamodb, stack.tableName, new ManualClock());
  const range = { minId: 0, maxId: Number.MAX_SAFE_INTEGER, limit: 10 };
  const reads: Record<string, { run: () => Promise<readonly AuditEvent[]>; key: boolean }> = {
    'a list (the chain partition)': {
      run: async () => (await log.page({ ...range, tenant_id: tenant, oldestFirst: true })).items,
      key: false,
    },
    'a list on an index (tenant and action)': {
      run: async () =>
        (await log.page({ ...range, tenant_id: tenant, action: 'record.touched', oldestFirst: true })).items,
      key: false,
    },
    'a filtered list (key_id with tenant_id: a FilterExpression)': {
      run: async () =>
        (await log.page({ ...range, key_id: keyId, tenant_id: tenant, oldestFirst: true })).items,
      key: false,
    },
    'an export page (streamed)': {
      run: async () =>
        (await log.page({ ...range, tenant_id: tenant, oldestFirst: true, streamed: true })).items,
      key: false,
    },
    'the whole chain': { run: async () => (await log.chain(tenant)).events, key: true },
    'a verification walk': {
      run: async () => {
        const events: AuditEvent[] = [];
        for await (const page of log.events(tenant, 0)) events.push(...page.events);
        return events;
      },
      key: true,
    },
  };
  for (const [name, read] of Object.entries(reads)) {
    let events: readonly AuditEvent[] = [];
    const attributes = await attributesRead(async () => {
      events = await read.run();
    });
    // Each event exactly as stored, every field.
    expect({ name, events }).toEqual({ name, events: stored });
    // What crossed the network: the event's attributes (and the sort key, for walks), nothing else.
    expect({ name, count: attributes.length }).toEqual({ name, count: 5 });
    for (const names of attributes) {
      expect({ name, names }).toEqual({ name, names: [...EVERY_FIELD, ...(read.key ? ['SK'] : [])].sort() });
    }
  }
});

test('the walks still read the sort key: an event stored under another id is found', async () => {
  const tenant = randomUUID();
  await seedTenantChain(stack.dynamodb, stack.tableName, tenant, 3);
  const log = new DynamoAuditLog(stack.dynamodb, stack.tableName, new ManualClock());
  const { events, keyIds } = await log.chain(tenant);
  expect(keyIds).toEqual(events.map((e) => e.id));
  // The middle event's id attribute changed: its key still says where it was stored.
  const middle = events[1] as AuditEvent;
  await stack.dynamodb.send(
    new UpdateItemCommand({
      TableName: stack.tableName,
      Key: marshall(keys.auditEvent(tenant, middle.id)),
      UpdateExpression: 'SET #id = :id',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: marshall({ ':id': middle.id + 1 }),
    }),
  );
  const walked = { events: [] as AuditEvent[], keyIds: [] as number[] };
  for await (const page of log.events(tenant, 0)) {
    walked.events.push(...page.events);
    walked.keyIds.push(...page.keyIds);
  }
  expect(walked.keyIds[1]).toBe(middle.id);
  expect(walked.events[1]?.id).toBe(middle.id + 1);
  expect((await log.chain(tenant)).keyIds[1]).toBe(middle.id);
});
