import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { handler } from '../../bin/jobs/verify-audit';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { startStack, type TestStack } from '../support/stack';

/**
 * The scheduled verifier as Lambda runs it (bin/jobs/verify-audit.ts) over DynamoDB Local: a
 * clean run records each chain's progress; a tampered event makes it emit the broken-link
 * metric (CloudWatch embedded metric format) naming the chain and the event.
 */

let stack: TestStack;
let tenant: string;

beforeAll(async () => {
  stack = await startStack({ env: { TENANT_REGISTRY_STAGE: 'jobtest' } });
  const created = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('job')) });
  tenant = created.body.tenant.id as string;
  for (let i = 0; i < 4; i++) {
    expect(
      (await stack.request('POST', '/v1/audit', { body: { tenant_id: tenant, action: `job.${i}` } })).status,
    ).toBe(201);
  }
  expect((await stack.request('POST', '/v1/audit', { body: { action: 'global.1' } })).status).toBe(201);
});
afterAll(async () => {
  await stack.close();
});

async function item(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const out = await stack.dynamodb.send(
    new GetItemCommand({
      TableName: stack.tableName,
      Key: marshall({ PK: pk, SK: sk }),
      ConsistentRead: true,
    }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
}

const metricLines = (name: string) =>
  stack.logs.json().filter((l) => typeof l._aws === 'object' && Object.hasOwn(l, name));

test('a clean run records how far each chain is verified and counts the events', async () => {
  stack.logs.clear();
  const report = await handler();
  expect(report.wrapped).toBe(true);
  const head = await item(`AUDIT#${tenant}`, 'HEAD');
  expect(await item(`AUDIT#${tenant}`, 'VERIFIED')).toMatchObject({
    entity: 'audit_verify_progress',
    round_checked: 0,
    verified_through: { id: head?.last_id },
  });
  expect(await item('AUDIT#global', 'VERIFIED')).toMatchObject({
    verified_through: { id: expect.any(Number) },
  });
  expect(metricLines('AuditChainBroken')).toEqual([]);
  const [verified] = metricLines('AuditEventsVerified');
  expect(verified).toMatchObject({
    _aws: {
      CloudWatchMetrics: [
        {
          Namespace: 'TenantRegistry',
          Dimensions: [['Stage']],
          Metrics: [{ Name: 'AuditEventsVerified', Unit: 'Count' }],
        },
      ],
    },
    Stage: 'jobtest',
    AuditEventsVerified: 6,
  });
});

test('a tampered event makes the run emit AuditChainBroken with the chain and the event', async () => {
  const out = await stack.dynamodb.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
      ExpressionAttributeValues: marshall({ ':pk': `AUDIT#${tenant}`, ':e': 'EVENT#' }),
      ConsistentRead: true,
    }),
  );
  const victim = unmarshall((out.Items ?? [])[2] ?? {});
  await stack.dynamodb.send(
    new PutItemCommand({ TableName: stack.tableName, Item: marshall({ ...victim, actor_id: 'mallory' }) }),
  );
  stack.logs.clear();
  const report = await handler();
  expect(report.chains.filter((c) => !c.ok).map((c) => c.chain)).toEqual([tenant]);
  const broken = metricLines('AuditChainBroken');
  expect(broken).toHaveLength(1);
  expect(broken[0]).toMatchObject({
    _aws: {
      CloudWatchMetrics: [
        { Namespace: 'TenantRegistry', Metrics: [{ Name: 'AuditChainBroken', Unit: 'Count' }] },
      ],
    },
    Stage: 'jobtest',
    AuditChainBroken: 1,
    event: 'audit.chain_broken',
    chain: tenant,
    event_id: victim.id,
    reason: 'altered event',
  });
  expect(await item(`AUDIT#${tenant}`, 'VERIFIED')).toMatchObject({
    broken: { event_id: victim.id, reason: 'altered event' },
  });
  // Every run reports it again until it is mended.
  stack.logs.clear();
  await handler();
  expect(metricLines('AuditChainBroken')).toHaveLength(1);
  await stack.dynamodb.send(new PutItemCommand({ TableName: stack.tableName, Item: marshall(victim) }));
  stack.logs.clear();
  await handler();
  expect(metricLines('AuditChainBroken')).toEqual([]);
  expect(await item(`AUDIT#${tenant}`, 'VERIFIED')).not.toHaveProperty('broken');
});
