import type { RecordedCall } from './sdk-recorder';

/**
 * The comparison behind test/integration/least-privilege.test.ts (docs/permissions.md): what a
 * role grants against what its code was seen to send, and the allowances for what a role must
 * hold although no test can see the code call it.
 */

/** One action on one resource, as a role's policy grants it (resources as the template renders them). */
export interface Grant {
  readonly action: string;
  /** `<TableXXXX.Arn>/index/*`, `arn:aws:ssm:...:parameter/.../aliases/*`, `*`. */
  readonly resource: string;
}

/** A call the code made, its resource rendered the way the template renders the granted one. */
export interface SeenCall extends RecordedCall {
  readonly arn: string;
}

export interface Allowance {
  /** A function label (operationId, `AliasReconciler`, `RotateAdminToken`) or `*` for every one. */
  readonly fn: string;
  readonly action: string;
  /** The granted resource as the template renders it. */
  readonly resource: RegExp;
  /**
   * The run in which the code is seen making this call (the same function in another mode, e.g.
   * `createTenant (Keycloak)`): the allowance holds only while that run shows the call.
   * @default none: nothing in the run can show it
   */
  readonly seenIn?: string;
  readonly reason: string;
}

/**
 * What a role may hold that the recorded run cannot show. Keep it short: every entry is a grant
 * no test proves, so each says why, and the comparison fails on an entry nothing needs any more.
 */
export const ALLOWANCES: readonly Allowance[] = [
  {
    fn: '*',
    action: 'logs:CreateLogStream',
    resource: /^<\w+Logs\w+\.Arn>$/,
    reason: "The Lambda runtime writes the function's own log group, not the handler's SDK clients.",
  },
  {
    fn: '*',
    action: 'logs:PutLogEvents',
    resource: /^<\w+Logs\w+\.Arn>$/,
    reason: "The Lambda runtime writes the function's own log group, not the handler's SDK clients.",
  },
  {
    fn: '*',
    action: 'xray:PutTraceSegments',
    resource: /^\*$/,
    reason: 'Active tracing: the Lambda service sends the segments; X-Ray has no resource-level permissions.',
  },
  {
    fn: '*',
    action: 'xray:PutTelemetryRecords',
    resource: /^\*$/,
    reason:
      'Active tracing: the Lambda service sends the telemetry; X-Ray has no resource-level permissions.',
  },
  {
    fn: 'createTenant',
    action: 'dynamodb:UpdateItem',
    resource: /^<Table[0-9A-F]{8}\.Arn>$/,
    seenIn: 'createTenant (Keycloak)',
    reason:
      'With Keycloak configured, the invite URL is written into the idempotency record of the create (an Update in its transaction); the permissions map has one entry per operation, whatever the mode.',
  },
  {
    fn: 'createTenant (Keycloak)',
    action: 'kms:Decrypt',
    resource: /^arn:aws:kms:/,
    reason:
      "The Keycloak client secret under a customer managed key: Secrets Manager decrypts it with the caller's kms:Decrypt permission while serving the GetSecretValue the adapter sends (recorded), so no SDK client of the code ever calls KMS; the grant holds only via Secrets Manager (kms:ViaService).",
  },
  {
    fn: 'StreamConsumer',
    action: 'dynamodb:DescribeStream',
    resource: /^<Table[0-9A-F]{8}\.StreamArn>$/,
    reason:
      "The table stream's event source mapping reads the stream with the function's role; the handler gets its records and never calls DynamoDB Streams itself.",
  },
  {
    fn: 'StreamConsumer',
    action: 'dynamodb:GetRecords',
    resource: /^<Table[0-9A-F]{8}\.StreamArn>$/,
    reason:
      "The table stream's event source mapping reads the stream with the function's role; the handler gets its records and never calls DynamoDB Streams itself.",
  },
  {
    fn: 'StreamConsumer',
    action: 'dynamodb:GetShardIterator',
    resource: /^<Table[0-9A-F]{8}\.StreamArn>$/,
    reason:
      "The table stream's event source mapping reads the stream with the function's role; the handler gets its records and never calls DynamoDB Streams itself.",
  },
  {
    fn: 'StreamConsumer',
    action: 'dynamodb:ListStreams',
    resource: /^<Table[0-9A-F]{8}\.StreamArn>$/,
    reason:
      "The table stream's event source mapping reads the stream with the function's role; the handler gets its records and never calls DynamoDB Streams itself.",
  },
  {
    fn: 'StreamConsumer',
    action: 'sqs:GetQueueAttributes',
    resource: /^<EventsDeadLetters[0-9A-F]{8}\.Arn>$/,
    reason:
      "The event source mapping's on-failure destination: Lambda sends the failed records' coordinates there with the function's role, never the handler.",
  },
  {
    fn: 'StreamConsumer',
    action: 'sqs:GetQueueUrl',
    resource: /^<EventsDeadLetters[0-9A-F]{8}\.Arn>$/,
    reason:
      "The event source mapping's on-failure destination: Lambda sends the failed records' coordinates there with the function's role, never the handler.",
  },
  {
    fn: 'StreamConsumer',
    action: 'sqs:SendMessage',
    resource: /^<EventsDeadLetters[0-9A-F]{8}\.Arn>$/,
    reason:
      "The event source mapping's on-failure destination: Lambda sends the failed records' coordinates there with the function's role, never the handler.",
  },
  {
    fn: 'WebhookSender',
    action: 'sqs:ChangeMessageVisibility',
    resource: /^<DataWebhookDeliveries[0-9A-F]{8}\.Arn>$/,
    reason:
      "The delivery queue's event source mapping polls, hides and deletes messages with the function's role; the handler only gets the batch and sends retries back (SendMessage, recorded).",
  },
  {
    fn: 'WebhookSender',
    action: 'sqs:DeleteMessage',
    resource: /^<DataWebhookDeliveries[0-9A-F]{8}\.Arn>$/,
    reason:
      "The delivery queue's event source mapping polls, hides and deletes messages with the function's role; the handler only gets the batch and sends retries back (SendMessage, recorded).",
  },
  {
    fn: 'WebhookSender',
    action: 'sqs:GetQueueAttributes',
    resource: /^<DataWebhookDeliveries[0-9A-F]{8}\.Arn>$/,
    reason:
      "The delivery queue's event source mapping polls, hides and deletes messages with the function's role; the handler only gets the batch and sends retries back (SendMessage, recorded).",
  },
  {
    fn: 'WebhookSender',
    action: 'sqs:GetQueueUrl',
    resource: /^<DataWebhookDeliveries[0-9A-F]{8}\.Arn>$/,
    reason:
      "The delivery queue's event source mapping polls, hides and deletes messages with the function's role; the handler only gets the batch and sends retries back (SendMessage, recorded).",
  },
  {
    fn: 'WebhookSender',
    action: 'sqs:ReceiveMessage',
    resource: /^<DataWebhookDeliveries[0-9A-F]{8}\.Arn>$/,
    reason:
      "The delivery queue's event source mapping polls, hides and deletes messages with the function's role; the handler only gets the batch and sends retries back (SendMessage, recorded).",
  },
];

/** IAM's wildcards: `*` any run of characters, `?` one character; everything else literal. */
export function iamMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\<>]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

const allows = (g: Grant, c: SeenCall) => iamMatch(g.action, c.action) && iamMatch(g.resource, c.arn);

/**
 * Everything wrong with one function's role, each problem a sentence naming the function, the
 * action and the resource: a call the role does not allow (it would be AccessDenied in AWS), a
 * grant nothing used and no allowance covers, an allowance its own run no longer backs.
 * `seenIn`: the calls of other runs, by label, for allowances that name one.
 */
export function roleProblems(
  fn: string,
  grants: readonly Grant[],
  seen: readonly SeenCall[],
  allowances: readonly Allowance[] = ALLOWANCES,
  seenIn: (label: string) => readonly SeenCall[] = () => [],
): string[] {
  const problems: string[] = [];
  for (const c of seen) {
    if (!grants.some((g) => allows(g, c)))
      problems.push(`${fn} calls ${c.action} on ${c.arn} (${c.command}), which its role does not allow`);
  }
  for (const g of grants) {
    const used = seen.some((c) => allows(g, c));
    const covering = allowances.filter(
      (a) => (a.fn === fn || a.fn === '*') && a.action === g.action && a.resource.test(g.resource),
    );
    if (used) {
      for (const a of covering.filter((x) => x.fn === fn))
        problems.push(`${fn}: the allowance for ${a.action} is not needed, the code was seen calling it`);
      continue;
    }
    if (covering.length === 0) {
      problems.push(
        `${fn}'s role allows ${g.action} on ${g.resource}, which its code was never seen to call: drop the ` +
          'grant (lib/permissions.ts), drive the path that needs it in test/integration/least-privilege.test.ts, ' +
          'or add an allowance with its reason (test/support/least-privilege.ts)',
      );
    }
    for (const a of covering.filter((x) => x.seenIn !== undefined)) {
      if (!seenIn(a.seenIn ?? '').some((c) => allows(g, c)))
        problems.push(
          `${fn}: the allowance for ${a.action} says ${a.seenIn} calls it, which it was not seen doing`,
        );
    }
  }
  return problems;
}
