import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_lambda as lambda,
  RemovalPolicy,
  Stack,
  aws_secretsmanager as secretsmanager,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { type AliasAction, type OperationAccess, TABLE_WRITE_ACTIONS } from '../permissions';
import { PROJECT_ROOT, RegistryFunction } from './registry-function';

/** DynamoDB's default quota of global secondary indexes per table (GSI_NUMBERS uses all of them). */
const MAX_GSIS = 20;
/** One attempt takes at most 10 s; a batch of 10 runs at once. */
export const WEBHOOK_SENDER_TIMEOUT_SECONDS = 30;

export interface RegistryDataProps {
  /** The registry's table (declared in the stack, where its indexes are). */
  readonly table: dynamodb.Table;
  /** SSM prefix; aliases are published at `<prefix>/aliases/<slug>`. */
  readonly ssmPrefix: string;
  /**
   * Days between automatic rotations of the admin token (the seed's quarterly rotation).
   * @default 90
   */
  readonly rotationDays?: number;
}

/**
 * Who may touch the registry's state, and the admin token with its rotation: the table, the
 * published alias map's place in SSM, and the secret. Every grant also sets the variable that tells the code where
 * the resource is, so a function can never hold a permission without knowing what it is for,
 * nor know a resource it may not touch.
 */
export class RegistryData extends Construct {
  readonly table: dynamodb.Table;
  readonly adminToken: secretsmanager.Secret;
  readonly rotation: RegistryFunction;
  readonly ssmPrefix: string;
  /**
   * The roles granted actions on `<prefix>/aliases/*`: lib/nag.ts acknowledges that wildcard on
   * exactly these, so the same grant anywhere else is reported.
   */
  readonly aliasWildcardHolders = new Set<iam.IRole>();
  /** Webhook deliveries due for an attempt (docs/webhooks.md), between the dispatcher and the sender. */
  readonly webhookQueue: sqs.Queue;
  /** Messages the sender failed on five times (the table out of reach, a bug): alarmed on. */
  readonly webhookDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: RegistryDataProps) {
    super(scope, id);
    this.ssmPrefix = props.ssmPrefix;

    this.table = props.table;

    // Generated at deploy: 48 letters and digits, never in the template or in a parameter.
    this.adminToken = new secretsmanager.Secret(Stack.of(this), 'AdminToken', {
      description: 'Tenant Registry admin bearer token (AWSCURRENT and AWSPREVIOUS are accepted)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.rotation = new RegistryFunction(this, 'RotateAdminToken', {
      entry: `${PROJECT_ROOT}bin/jobs/rotate-admin-token.ts`,
      description: 'Tenant Registry admin token rotation (Secrets Manager rotation steps)',
      timeout: Duration.seconds(30),
    });
    // Given the function itself, the rotation schedule would also grant it
    // secretsmanager:GetRandomPassword on `*`, which the rotation never calls (it draws tokens
    // with node:crypto). Given a reference it grants nothing, so the same invoke permission and
    // exactly the four actions of the rotation steps are granted here.
    const schedule = this.adminToken.addRotationSchedule('Rotation', {
      rotationLambda: lambda.Function.fromFunctionAttributes(this, 'RotationTarget', {
        functionArn: this.rotation.function.functionArn,
        sameEnvironment: true,
        skipPermissions: true,
      }),
      automaticallyAfter: Duration.days(props.rotationDays ?? 90),
      // CloudFormation's RotateImmediatelyOnUpdate defaults to true: creating or changing the
      // schedule would rotate at once, and a second change soon after would retire the previous
      // token (AWSPREVIOUS) before anyone moved to the new one. Off, a changed schedule only
      // takes effect at the next rotation window (Secrets Manager then just tests the rotation
      // function); rotating now stays a deliberate `aws secretsmanager rotate-secret`.
      rotateImmediatelyOnUpdate: false,
    });
    this.rotation.function
      .grantInvoke(new iam.ServicePrincipal('secretsmanager.amazonaws.com'))
      .applyBefore(schedule);
    this.rotation.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [this.adminToken.secretArn],
      }),
    );

    this.webhookDeadLetters = new sqs.Queue(this, 'WebhookDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.webhookQueue = new sqs.Queue(this, 'WebhookDeliveries', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the sender's timeout (AWS's advice for Lambda event sources), so a batch still
      // being handled is not handed to another sender.
      visibilityTimeout: Duration.seconds(6 * WEBHOOK_SENDER_TIMEOUT_SECONDS),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.webhookDeadLetters, maxReceiveCount: 5 },
    });
  }

  /** Sending to the webhook delivery queue; sets TENANT_REGISTRY_WEBHOOK_QUEUE_URL. */
  grantWebhookQueue(fn: lambda.Function): void {
    fn.addEnvironment('TENANT_REGISTRY_WEBHOOK_QUEUE_URL', this.webhookQueue.queueUrl);
    // SendMessage alone (grantSendMessages adds GetQueueAttributes and GetQueueUrl, which no code
    // calls): the queue is SQS-managed encrypted, so no KMS grant either.
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.webhookQueue.queueArn] }),
    );
  }

  /**
   * Exactly these table actions, and Query on exactly these indexes (lib/permissions.ts); sets
   * TENANT_REGISTRY_TABLE_NAME.
   */
  grantTable(fn: lambda.Function, access: Pick<OperationAccess, 'table' | 'indexes' | 'writeKeys'>): void {
    const actions = [...new Set(access.table ?? [])];
    const indexes = [...new Set(access.indexes ?? [])];
    if (actions.length === 0 && indexes.length === 0) return;
    fn.addEnvironment('TENANT_REGISTRY_TABLE_NAME', this.table.tableName);
    const writeKeys = [...new Set(access.writeKeys ?? [])];
    const keyed = writeKeys.length > 0 ? actions.filter((a) => TABLE_WRITE_ACTIONS.includes(a)) : [];
    const open = actions.filter((a) => !keyed.includes(a));
    if (open.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: open.map((a) => `dynamodb:${a}`),
          resources: [this.table.tableArn],
        }),
      );
    }
    if (keyed.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: keyed.map((a) => `dynamodb:${a}`),
          resources: [this.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': writeKeys } },
        }),
      );
    }
    // Queries on the indexes, each by name (no wildcard); nothing else ever touches an index.
    // A name must be one the table can have (GSI1..GSI<MAX_GSIS>), not necessarily one it has
    // yet: while a deployed table gains its indexes one deploy at a time (docs/operations.md),
    // a grant may name an index that does not exist yet, which IAM allows.
    if (indexes.length > 0) {
      const unknown = indexes.filter(
        (name) => !/^GSI([1-9]\d?)$/.test(name) || Number(name.slice(3)) > MAX_GSIS,
      );
      if (unknown.length > 0) throw new Error(`no such index on the table: ${unknown.join(', ')}`);
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: indexes.map((name) => `${this.table.tableArn}/index/${name}`),
        }),
      );
    }
  }

  /**
   * Exactly these actions on the alias parameters (`<prefix>/aliases/*`; GetParametersByPath on
   * the path `<prefix>/aliases` itself). Sets TENANT_REGISTRY_SSM_PREFIX.
   */
  grantAliases(fn: lambda.Function, access: readonly AliasAction[]): void {
    const actions = [...new Set(access)];
    if (actions.length === 0) return;
    fn.addEnvironment('TENANT_REGISTRY_SSM_PREFIX', this.ssmPrefix);
    const each = actions.filter((a) => a !== 'GetParametersByPath');
    if (each.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: each.map((a) => `ssm:${a}`),
          resources: [this.aliasParameterArn('/*')],
        }),
      );
      if (fn.role) this.aliasWildcardHolders.add(fn.role);
    }
    if (actions.includes('GetParametersByPath')) {
      // GetParametersByPath is authorised on the path itself.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParametersByPath'],
          resources: [this.aliasParameterArn('')],
        }),
      );
    }
  }

  /** An entry of lib/permissions.ts (an operation's or a job's): `grantTable` and `grantAliases`. */
  grant(fn: lambda.Function, access: OperationAccess): void {
    this.grantTable(fn, access);
    this.grantAliases(fn, access.aliases ?? []);
    if (access.webhookQueue) this.grantWebhookQueue(fn);
  }

  /** Reading the admin token (AWSCURRENT and AWSPREVIOUS); sets TENANT_REGISTRY_API_TOKEN_SECRET_ID. */
  grantAdminTokenRead(fn: lambda.Function): void {
    fn.addEnvironment('TENANT_REGISTRY_API_TOKEN_SECRET_ID', this.adminToken.secretArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.adminToken.secretArn],
      }),
    );
  }

  /** `arn:...:parameter<prefix>/aliases<suffix>`. */
  aliasParameterArn(suffix: string): string {
    return Stack.of(this).formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: `${this.ssmPrefix.replace(/^\/+/, '')}/aliases${suffix}`,
    });
  }
}
