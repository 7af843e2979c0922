import {
  type Allowance,
  type Grant,
  iamMatch,
  roleProblems,
  type SeenCall,
} from '../support/least-privilege';
import { iamRequestsOf } from '../support/sdk-recorder';

/** The machinery of the least-privilege proof (test/integration/least-privilege.test.ts). */

describe('SDK commands as the IAM requests AWS authorizes', () => {
  test('each item of a TransactWriteItems is its own action; there is no transaction action', () => {
    const input = {
      TransactItems: [
        { Put: { TableName: 't', Item: {} } },
        { Update: { TableName: 't', Key: {}, UpdateExpression: 'SET a = :a' } },
        { Delete: { TableName: 'u', Key: {} } },
        { ConditionCheck: { TableName: 't', Key: {}, ConditionExpression: 'x' } },
      ],
    };
    expect(iamRequestsOf('dynamodb', 'TransactWriteItemsCommand', input)).toEqual([
      { action: 'dynamodb:PutItem', resource: 'table/t' },
      { action: 'dynamodb:UpdateItem', resource: 'table/t' },
      { action: 'dynamodb:DeleteItem', resource: 'table/u' },
      { action: 'dynamodb:ConditionCheckItem', resource: 'table/t' },
    ]);
    expect(
      iamRequestsOf('dynamodb', 'TransactGetItemsCommand', {
        TransactItems: [{ Get: { TableName: 't', Key: {} } }],
      }),
    ).toEqual([{ action: 'dynamodb:GetItem', resource: 'table/t' }]);
  });

  test("the event functions' services: EventBridge per bus, SQS batches as their single action", () => {
    expect(
      iamRequestsOf('events', 'PutEventsCommand', {
        Entries: [
          { EventBusName: 'registry', Detail: '{}' },
          { EventBusName: 'arn:aws:events:eu-central-1:123456789012:event-bus/registry' },
          { Detail: '{}' },
        ],
      }),
    ).toEqual([
      { action: 'events:PutEvents', resource: 'event-bus/registry' },
      { action: 'events:PutEvents', resource: 'event-bus/default' },
    ]);
    const QueueUrl = 'https://sqs.eu-central-1.amazonaws.com/123456789012/webhooks';
    expect(iamRequestsOf('sqs', 'SendMessageBatchCommand', { QueueUrl, Entries: [] })).toEqual([
      { action: 'sqs:SendMessage', resource: 'queue/webhooks' },
    ]);
    expect(iamRequestsOf('sqs', 'DeleteMessageBatchCommand', { QueueUrl, Entries: [] })).toEqual([
      { action: 'sqs:DeleteMessage', resource: 'queue/webhooks' },
    ]);
    expect(() => iamRequestsOf('sqs', 'PurgeQueueCommand', { QueueUrl })).toThrow(/sdk-recorder\.ts/);
    expect(() => iamRequestsOf('events', 'PutRuleCommand', {})).toThrow(/sdk-recorder\.ts/);
  });

  test('a Query names the index it reads; batches name each table', () => {
    expect(iamRequestsOf('dynamodb', 'QueryCommand', { TableName: 't', IndexName: 'GSI3' })).toEqual([
      { action: 'dynamodb:Query', resource: 'table/t/index/GSI3' },
    ]);
    expect(iamRequestsOf('dynamodb', 'QueryCommand', { TableName: 't' })).toEqual([
      { action: 'dynamodb:Query', resource: 'table/t' },
    ]);
    expect(iamRequestsOf('dynamodb', 'BatchGetItemCommand', { RequestItems: { a: {}, b: {} } })).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: 'table/a' },
      { action: 'dynamodb:BatchGetItem', resource: 'table/b' },
    ]);
  });

  test('GetParametersByPath is authorized on the path; the others on each parameter', () => {
    expect(iamRequestsOf('ssm', 'GetParametersByPathCommand', { Path: '/p/aliases' })).toEqual([
      { action: 'ssm:GetParametersByPath', resource: 'parameter/p/aliases' },
    ]);
    expect(iamRequestsOf('ssm', 'PutParameterCommand', { Name: '/p/aliases/acme' })).toEqual([
      { action: 'ssm:PutParameter', resource: 'parameter/p/aliases/acme' },
    ]);
    expect(iamRequestsOf('secretsmanager', 'DescribeSecretCommand', { SecretId: 's' })).toEqual([
      { action: 'secretsmanager:DescribeSecret', resource: 'secret:s' },
    ]);
  });

  test('a command without a known mapping is an error, never a guess', () => {
    expect(() => iamRequestsOf('dynamodb', 'ExecuteStatementCommand', {})).toThrow(
      /no IAM mapping.*sdk-recorder/,
    );
    expect(() => iamRequestsOf('ssm', 'LabelParameterVersionCommand', {})).toThrow(/no IAM mapping/);
  });
});

describe('IAM wildcards', () => {
  test.each([
    ['<T.Arn>/index/*', '<T.Arn>/index/GSI1', true],
    ['<T.Arn>/index/*', '<T.Arn>', false],
    ['<T.Arn>', '<T.Arn>/index/GSI1', false],
    ['arn:aws:ssm:r:1:parameter/p/aliases/*', 'arn:aws:ssm:r:1:parameter/p/aliases/acme', true],
    ['arn:aws:ssm:r:1:parameter/p/aliases/*', 'arn:aws:ssm:r:1:parameter/p/aliases', false],
    ['arn:x-??????', 'arn:x-AbCdEf', true],
    ['dynamodb:Get*', 'dynamodb:GetItem', true],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (pattern, value, expected) => {
    expect(iamMatch(pattern, value)).toBe(expected);
  });
});

describe('a role against what its code was seen to call', () => {
  const TABLE = '<T.Arn>';
  const grant = (action: string, resource = TABLE): Grant => ({ action, resource });
  const call = (action: string, arn = TABLE): SeenCall => ({ action, arn, resource: arn, command: 'X' });
  const none: readonly Allowance[] = [];

  test('exactly what was called: nothing to say', () => {
    expect(roleProblems('f', [grant('dynamodb:GetItem')], [call('dynamodb:GetItem')], none)).toEqual([]);
  });

  test('a call the role does not allow, and a grant nothing used, each named', () => {
    expect(
      roleProblems(
        'f',
        [grant('dynamodb:GetItem'), grant('dynamodb:Query', `${TABLE}/index/*`)],
        [call('dynamodb:GetItem'), call('dynamodb:Query', TABLE)],
        none,
      ),
    ).toEqual([
      'f calls dynamodb:Query on <T.Arn> (X), which its role does not allow',
      "f's role allows dynamodb:Query on <T.Arn>/index/*, which its code was never seen to call: drop the grant " +
        '(lib/permissions.ts), drive the path that needs it in test/integration/least-privilege.test.ts, or add an ' +
        'allowance with its reason (test/support/least-privilege.ts)',
    ]);
  });

  test('an allowance covers an unused grant, and is refused once the code is seen using it', () => {
    const allowances: Allowance[] = [
      { fn: 'f', action: 'dynamodb:UpdateItem', resource: /^<T\.Arn>$/, reason: 'r' },
    ];
    expect(roleProblems('f', [grant('dynamodb:UpdateItem')], [], allowances)).toEqual([]);
    expect(
      roleProblems('f', [grant('dynamodb:UpdateItem')], [call('dynamodb:UpdateItem')], allowances),
    ).toEqual(['f: the allowance for dynamodb:UpdateItem is not needed, the code was seen calling it']);
    // Another function's allowance covers nothing here.
    expect(roleProblems('g', [grant('dynamodb:UpdateItem')], [], allowances)).toHaveLength(1);
  });

  test('an allowance that names the run showing the call holds only while that run shows it', () => {
    const allowances: Allowance[] = [
      { fn: 'f', action: 'dynamodb:UpdateItem', resource: /^<T\.Arn>$/, seenIn: 'f (mode)', reason: 'r' },
    ];
    const runs = (calls: SeenCall[]) => (label: string) => (label === 'f (mode)' ? calls : []);
    expect(
      roleProblems('f', [grant('dynamodb:UpdateItem')], [], allowances, runs([call('dynamodb:UpdateItem')])),
    ).toEqual([]);
    expect(roleProblems('f', [grant('dynamodb:UpdateItem')], [], allowances, runs([]))).toEqual([
      'f: the allowance for dynamodb:UpdateItem says f (mode) calls it, which it was not seen doing',
    ]);
  });
});
