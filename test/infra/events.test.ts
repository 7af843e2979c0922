import { synthesize } from './support/synth';
import { resources, type Tpl } from './support/template';

const { stacks } = synthesize('api');
const events = stacks['TenantRegistry-test-Events'] as Tpl;
const data = stacks['TenantRegistry-test'] as Tpl;
const one = (t: Tpl, type: string) => {
  const found = resources(t, type);
  expect([type, found.length]).toEqual([type, 1]);
  return found[0]?.[1].Properties;
};

describe('events: outbox -> stream -> consumer -> bus', () => {
  test('the table streams NEW_IMAGE', () => {
    expect(one(data, 'AWS::DynamoDB::Table').StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  test('the consumer reads only inserted audit event items, reports partial failures, bisects, retries, then the DLQ', () => {
    const mapping = one(events, 'AWS::Lambda::EventSourceMapping');
    expect(mapping).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mapping.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['audit_event'] } } } },
    ]);
    const queueId = resources(events, 'AWS::SQS::Queue')[0]?.[0];
    expect(mapping.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    expect(JSON.stringify(mapping.EventSourceArn)).toContain('StreamArn');
  });

  test('the bus is tenant-registry-<stage>, archived for 90 days by default (source tenant-registry)', () => {
    expect(one(events, 'AWS::Events::EventBus').Name).toBe('tenant-registry-prod');
    const archive = one(events, 'AWS::Events::Archive');
    expect(archive.RetentionDays).toBe(90);
    expect(JSON.parse(JSON.stringify(archive.EventPattern))).toEqual({ source: ['tenant-registry'] });
  });

  test('the DLQ is encrypted, keeps messages 14 days and refuses plain HTTP', () => {
    const queue = one(events, 'AWS::SQS::Queue');
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
    const policy = one(events, 'AWS::SQS::QueuePolicy');
    expect(JSON.stringify(policy)).toContain('aws:SecureTransport');
  });

  test('least privilege: PutEvents on the bus only, the stream read on the stream only, SendMessage to the DLQ and the delivery queue only', () => {
    const fnId = resources(events, 'AWS::Lambda::Function')[0]?.[0] as string;
    const fn = events.Resources[fnId].Properties;
    const roleId = fn.Role['Fn::GetAtt'][0];
    const statements = resources(events, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap(
        ([, p]) =>
          p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    const byAction = new Map<string, unknown[]>();
    for (const s of statements) {
      for (const a of [s.Action].flat())
        byAction.set(a, [...(byAction.get(a) ?? []), ...[s.Resource].flat()]);
    }
    const busId = resources(events, 'AWS::Events::EventBus')[0]?.[0];
    expect(byAction.get('events:PutEvents')).toEqual([{ 'Fn::GetAtt': [busId, 'Arn'] }]);
    for (const action of [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]) {
      const granted = byAction.get(action) ?? [];
      expect([action, granted.length]).toEqual([action, 1]);
      expect(JSON.stringify(granted)).toContain('StreamArn');
    }
    // Beside the stream, the webhook dispatcher's table access (JOB_ACCESS StreamConsumer: the
    // subscribed endpoints on GSI1, a pending delivery per endpoint), exact in permissions.test.ts.
    expect([...byAction.keys()].filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:PutItem',
      'dynamodb:Query',
    ]);
    expect([...byAction.keys()].filter((a) => a.startsWith('sqs:')).sort()).toEqual([
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    expect(fn.Environment.Variables.TENANT_REGISTRY_EVENT_BUS_NAME).toEqual({ Ref: busId });
    expect(fn.Environment.Variables.TENANT_REGISTRY_TABLE_NAME).toBeDefined();
    expect(fn.Environment.Variables.TENANT_REGISTRY_WEBHOOK_QUEUE_URL).toBeDefined();
  });

  test('alarms on the DLQ depth and the iterator age notify the alarm topic', () => {
    const alarms = resources(events, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual([
      'TenantRegistry-test.EventsDeadLetters',
      'TenantRegistry-test.EventsIteratorAge',
    ]);
    const byName = Object.fromEntries(alarms.map((a) => [a.AlarmName, a]));
    expect(byName['TenantRegistry-test.EventsDeadLetters']).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(byName['TenantRegistry-test.EventsIteratorAge']).toMatchObject({
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
      Threshold: 300_000,
    });
    for (const a of alarms) expect(JSON.stringify(a.AlarmActions)).toContain('AlarmTopic');
  });
});
