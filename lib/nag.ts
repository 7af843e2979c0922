import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { TenantRegistry } from './tenant-registry';

/**
 * cdk-nag's AwsSolutions and Serverless packs on every stack of the app, so `cdk synth` and
 * `cdk deploy` fail on an unacknowledged finding (test/infra runs the same packs).
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

/**
 * Every cdk-nag finding the stack acknowledges, in one place, each with its rule id and why it
 * does not apply. test/infra runs the AwsSolutions and Serverless packs and expects nothing
 * else. Wildcard findings are acknowledged one resource string at a time, never a whole rule,
 * and only on the roles that hold that grant (granted from lib/permissions.ts): the same wildcard
 * on any other role is reported.
 */
export function addNagSuppressions(registry: TenantRegistry): void {
  const consumer = registry.events.pipeline.consumer;
  for (const fn of registry.functions) {
    acknowledge(
      fn.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (Lambda active tracing adds exactly these).',
    );
    acknowledge(
      fn.function,
      'AwsSolutions-L1',
      'nodejs22.x is deliberate: bundles target node22 and the code is tested on the Node 20/22 line; moving to a newer runtime is a tested change of lib/bundling.ts, not a default.',
    );
    acknowledge(
      fn.function,
      'Serverless-LambdaLatestVersion',
      'Same as AwsSolutions-L1: the runtime is pinned to nodejs22.x on purpose.',
    );
    acknowledge(
      fn.function,
      'Serverless-LambdaDLQ',
      fn === consumer
        ? 'Invoked synchronously by its event source mapping, never asynchronously: the stream keeps a failed record and retries it, and the mapping sends what still fails to its SQS on-failure destination (EventsDeadLetters alarm).'
        : 'No asynchronous invocations to lose: endpoints are invoked synchronously by API Gateway or the ALB (the caller gets the error), rotation synchronously by Secrets Manager (which retries and keeps AWSPENDING), and the reconciler is idempotent and repairs on its next scheduled run; every function error raises the FunctionErrors alarm.',
    );
  }

  // Indexes are granted by name (no wildcard to acknowledge); each published alias is its own
  // parameter, so the alias grant is `<prefix>/aliases/*`, acknowledged on exactly the roles
  // RegistryData granted it to (an entry of lib/permissions.ts with alias actions).
  const data = registry.data.data;
  for (const role of data.aliasWildcardHolders) {
    const aliases = `Resource::${nagString(Stack.of(role), data.aliasParameterArn('/*'))}`;
    acknowledge(
      role,
      `AwsSolutions-IAM5[${aliases}]`,
      'Each published alias is its own SSM parameter under <prefix>/aliases/; the wildcard is that one path, never the prefix or the account.',
    );
  }
  acknowledge(
    registry.events.pipeline.deadLetters,
    'Serverless-SQSRedrivePolicy',
    "This queue is the stream consumer's on-failure destination (a dead-letter queue itself): the runbook reads its messages and replays the events; no consumer receives from it, so no redrive policy applies.",
  );
  acknowledge(
    registry.events.pipeline.deadLetters,
    'AwsSolutions-SQS3',
    "This queue is the stream consumer's on-failure destination (a dead-letter queue itself): its messages are read by the runbook, never consumed by a function, so there is nothing to redrive it to.",
  );
  acknowledge(
    data.webhookDeadLetters,
    'Serverless-SQSRedrivePolicy',
    'This queue is the DLQ of the webhook delivery queue: its messages wait for an operator (the WebhookDeadLetters alarm pages on the first), a DLQ of the DLQ would only move them.',
  );
  const sender = registry.operator.webhookSender;
  if (sender) {
    const mapping = sender.function.node.children.find((c) => c.node.id.startsWith('SqsEventSource'));
    if (mapping) {
      acknowledge(
        mapping,
        'Serverless-LambdaEventSourceMappingDestination',
        'An on-failure destination is for stream and Kafka sources; for SQS, failed messages go to the queue’s own DLQ (maxReceiveCount 5), alarmed on.',
      );
    }
  }
  const reconcileRule = registry.operator.reconcileRule;
  if (reconcileRule) {
    acknowledge(
      reconcileRule,
      'Serverless-EventBusDLQ',
      'The reconciler is idempotent: a missed scheduled run is repaired by the next one an hour later, and its failures raise the FunctionErrors alarm; a DLQ would hold nothing worth replaying.',
    );
  }

  const verifyRule = registry.operator.auditVerifyRule;
  if (verifyRule) {
    acknowledge(
      verifyRule,
      'Serverless-EventBusDLQ',
      'The audit verifier saves its progress per chain and the next hourly run goes on from there; its failures raise the FunctionErrors alarm and broken links the AuditChainBroken alarm; a DLQ would hold nothing worth replaying.',
    );
  }

  const alarms = registry.data.alarms;
  const email = alarms.emailSubscriptionId
    ? alarms.topic.node.tryFindChild(alarms.emailSubscriptionId)
    : undefined;
  if (email) {
    acknowledge(
      email,
      'Serverless-SNSRedrivePolicy',
      'An email subscription to the alarm topic: a message SNS cannot deliver to a mailbox is not worth replaying from a queue (the alarm stays in ALARM on the dashboard), and a DLQ would be another resource to watch.',
    );
  }

  const api = registry.ingress.restApi;
  if (api) {
    acknowledge(
      api.api,
      'AwsSolutions-APIG2',
      "Requests are validated in each function against openapi.yaml (closed zod schemas, checked equal to the spec by test/contract), with errors in the app's {error, message, request_id} shape; a gateway validator would answer in another shape.",
    );
    acknowledge(
      api.api,
      'AwsSolutions-APIG4',
      'Authorization is done by the app: the operator and service planes require the admin bearer token (Secrets Manager) in every function, the tenant plane a tenant API key (argon2id-hashed, checked in every tenant function), the health probes are public by design, and the resource policy restricts the operator and service planes to the CIDR allowlist.',
    );
    acknowledge(
      api.api,
      'AwsSolutions-COG4',
      'No Cognito: operators and services authenticate with the admin bearer token, tenants with API keys, both checked in the app.',
    );
    if (api.api.node.tryFindChild('CloudWatchRole')) {
      acknowledge(
        api.api,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'The account-level role API Gateway uses to write access and execution logs; AWS documents this managed policy for exactly this role.',
      );
    }
    if (!api.waf) {
      acknowledge(
        api.api,
        'AwsSolutions-APIG3',
        'WAF is optional (`-c waf=true`, it costs a web ACL and per-request fees); without it the resource policy still denies the operator and service planes outside the CIDR allowlist.',
      );
    }
  }
  const alb = registry.ingress.alb;
  if (alb) {
    acknowledge(
      alb,
      'AwsSolutions-EC23',
      'The listener is open on purpose: the health probes (and the tenant plane, authenticated by API key) are public; the operator and service planes are reachable only through listener rules whose source-ip conditions carry the CIDR allowlist.',
    );
    acknowledge(
      alb,
      'AwsSolutions-S1',
      "This bucket receives the load balancer's access logs; logging access to the log bucket itself would need yet another bucket.",
    );
  }
}

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * A value as cdk-nag prints it in a finding id: tokens resolved, `{Ref: X}` as `<X>`,
 * `{Fn::GetAtt: [X, Arn]}` as `<X.Arn>`, joins concatenated.
 */
export function nagString(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.Ref === 'string') return `<${o.Ref}>`;
      const att = o['Fn::GetAtt'];
      if (Array.isArray(att)) return `<${att.join('.')}>`;
      const join = o['Fn::Join'];
      if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1]))
        return join[1].map(render).join(join[0]);
    }
    throw new Error(`cannot render ${JSON.stringify(v)} for cdk-nag`);
  };
  return render(stack.resolve(value));
}
