import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeStandIn } from '../../bin/local/eventbridge-stand-in';
import { MemoryCheckpoints, StreamPoller } from '../../shared/adapters/dynamodb/stream-poller';
import { EventBridgeSink } from '../../shared/adapters/eventbridge/event-bridge-sink';
import type { RegistryEvent } from '../../shared/domain/events';
import { EventStreamConsumer } from '../../shared/services/event-stream';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { startStack, type TestStack } from '../support/stack';

/** Local mode's pipeline: the stream poller, the EventBridgeSink and the stand-in, through the real SDK. */
const LOCAL = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
let stack: TestStack;
let dir: string;
beforeAll(async () => {
  stack = await startStack();
  dir = mkdtempSync(join(tmpdir(), 'eventbridge-'));
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a committed change reaches the EventBridge stand-in: source, detail-type, the envelope; kept across restarts', async () => {
  const file = join(dir, 'eventbridge.json');
  const standIn = await EventBridgeStandIn.start({ file });
  const client = new EventBridgeClient({ ...LOCAL, endpoint: standIn.url });
  const streams = new DynamoDBStreamsClient({ ...LOCAL, endpoint: process.env.TEST_DYNAMODB_ENDPOINT });
  try {
    const sink = new EventBridgeSink(client, { busName: 'tenant-registry-local', retryBaseMs: 1 });
    const poller = new StreamPoller(
      stack.dynamodb,
      streams,
      stack.tableName,
      new EventStreamConsumer([sink]),
      new MemoryCheckpoints(),
      { intervalMs: 250 },
    );
    const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('local')) });
    expect(res.status).toBe(201);
    const id = res.body.tenant.id as string;
    const mine = () => standIn.putEventsSoFar().filter((e) => (e.detail as RegistryEvent).tenant_id === id);
    for (let i = 0; i < 50 && mine().length === 0; i++) await poller.pollOnce();
    expect(mine()).toHaveLength(1);
    expect(mine()[0]).toMatchObject({
      bus: 'tenant-registry-local',
      source: 'tenant-registry',
      detailType: 'tenant.created',
      detail: { type: 'tenant.created', tenant_id: id, sequence: 1, data: { id, status: 'trial' } },
    });
  } finally {
    client.destroy();
    streams.destroy();
    await standIn.close();
  }
  const again = await EventBridgeStandIn.start({ file });
  try {
    expect(again.putEventsSoFar().some((e) => e.detailType === 'tenant.created')).toBe(true);
  } finally {
    await again.close();
  }
});

test('the stand-in answers PutEvents as AWS does: more than 10 entries is a ValidationException, a bad entry fails alone', async () => {
  const standIn = await EventBridgeStandIn.start();
  const client = new EventBridgeClient({ ...LOCAL, endpoint: standIn.url });
  try {
    const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
    const entry = { Source: 'tenant-registry', DetailType: 't', Detail: '{"a":1}' };
    await expect(
      client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const out = await client.send(
      new PutEventsCommand({ Entries: [entry, { ...entry, Detail: 'not json' }] }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.EventId).toEqual(expect.any(String));
    expect(out.Entries?.[1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
  } finally {
    client.destroy();
    await standIn.close();
  }
});
